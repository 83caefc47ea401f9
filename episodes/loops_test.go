package episodes_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/spag-go/spag/episodes"
)

func TestLoopsAndRounds(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "loops.db")
	store, err := episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.LatestLoop(ctx); !errors.Is(err, episodes.ErrNotFound) {
		t.Fatalf("LatestLoop on an empty store: %v", err)
	}
	l := &episodes.Loop{Config: []byte(`{"rounds":2}`), CodeVersion: "test"}
	if err := store.CreateLoop(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateLoop(ctx, &episodes.Loop{Config: []byte(`not json`)}); err == nil {
		t.Error("a loop with an invalid config was stored")
	}
	for _, r := range []episodes.Round{
		{Round: 1, Stage: "train", State: []byte(`{"run":"r1"}`)},
		{Round: 2, Stage: "selfplay", State: []byte(`{}`)},
		{Round: 1, Stage: "eval", State: []byte(`{"run":"r1","checkpoint":"c"}`)},
	} {
		if err := store.SaveRound(ctx, l.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	// What was saved survives closing and reopening.
	store, err = episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	got, err := store.LatestLoop(ctx)
	if err != nil || got.ID != l.ID || string(got.Config) != `{"rounds":2}` {
		t.Fatalf("LatestLoop = %+v, %v", got, err)
	}
	rounds, err := store.Rounds(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rounds) != 2 || rounds[0].Stage != "eval" || string(rounds[0].State) != `{"run":"r1","checkpoint":"c"}` || rounds[1].Stage != "selfplay" {
		t.Errorf("rounds = %+v", rounds)
	}
	if _, err := store.Loop(ctx, "l-missing"); !errors.Is(err, episodes.ErrNotFound) {
		t.Errorf("Loop of an unknown ID: %v", err)
	}
}
