package loopkit

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
)

type state struct {
	Run string `json:"run,omitempty"`
}

// TestRecord records a loop, saves a round's stage and state, and finds
// it again among the stored rounds, as a resumed loop does.
func TestRecord(t *testing.T) {
	ctx := context.Background()
	store, err := episodes.Open(ctx, filepath.Join(t.TempDir(), "l.db"), episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var log bytes.Buffer
	rec, err := Create(ctx, store, map[string]int{"rounds": 2}, "test", &log)
	if err != nil {
		t.Fatal(err)
	}
	r := episodes.Round{Round: 1, Stage: "train"}
	if err := rec.Save(ctx, &r, &state{Run: "r1"}); err != nil {
		t.Fatal(err)
	}
	rec.Logf("round %d: %s", 1, "saved")
	if want := "loop " + rec.ID + ": round 1: saved\n"; log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}
	stored, err := store.Loop(ctx, rec.ID)
	if err != nil || string(stored.Config) != `{"rounds":2}` {
		t.Fatalf("loop %+v, %v", stored, err)
	}
	rounds, err := store.Rounds(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		n     int
		ok    bool
		stage string
		run   string
	}{
		{n: 1, ok: true, stage: "train", run: "r1"},
		{n: 2},
	} {
		var st state
		got, ok, err := Find(rounds, tt.n, &st)
		if err != nil || ok != tt.ok || got.Stage != tt.stage || st.Run != tt.run {
			t.Errorf("Find(%d) = %+v, %v, %v with state %+v", tt.n, got, ok, err, st)
		}
	}
	bad := []episodes.Round{{Round: 3, State: json.RawMessage(`[`)}}
	if _, ok, err := Find(bad, 3, &state{}); !ok || err == nil || !strings.Contains(err.Error(), "round 3: stored state unreadable") {
		t.Errorf("Find of an unreadable state: %v, %v", ok, err)
	}
}
