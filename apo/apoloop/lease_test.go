package apoloop_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/spag-go/spag/apo/apoloop"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/selfplay"
)

// TestResumeHeld resumes one APO loop twice at once, as two spag iterate
// --resume would: the second is refused while the first holds the loop,
// and takes it once the first has closed it.
func TestResumeHeld(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "apo.db")
	store, err := episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &episodes.Loop{Config: []byte(`{"game": "apo", "rounds": 1}`), CodeVersion: "test"}
	if err := store.CreateLoop(ctx, rec); err != nil {
		t.Fatal(err)
	}
	store.Close()
	env := func() *apoloop.Env {
		s := &selfplay.Session{Path: path}
		t.Cleanup(func() { s.Close() })
		return &apoloop.Env{Session: s}
	}
	first, err := apoloop.Resume(ctx, env(), rec)
	if err != nil {
		t.Fatal(err)
	}
	second := env()
	if _, err := apoloop.Resume(ctx, second, rec); !errors.Is(err, episodes.ErrBusy) {
		t.Fatalf("a second resume while the first runs: %v; want it refused (ErrBusy)", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := apoloop.Resume(ctx, second, rec)
	if err != nil {
		t.Fatalf("resume once the first has let go: %v", err)
	}
	again.Close()
}
