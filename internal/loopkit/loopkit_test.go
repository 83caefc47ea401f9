package loopkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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

// TestRunStages runs a round from its recorded stage on, saving after
// each stage; a failing stage stops it where it was, and an unknown stage
// is an error.
func TestRunStages(t *testing.T) {
	for _, tt := range []struct {
		name, from, failAt string
		ran, saved         []string // the stages run; the stage recorded at each save
		wantErr            string
	}{
		{name: "from the start", from: "a", ran: []string{"a", "b", "c"}, saved: []string{"b", "c", "done"}},
		{name: "resumed at b", from: "b", ran: []string{"b", "c"}, saved: []string{"c", "done"}},
		{name: "done", from: "done"},
		{name: "b fails", from: "a", failAt: "b", ran: []string{"a", "b"}, saved: []string{"b"}, wantErr: "b failed"},
		{name: "unknown stage", from: "x", wantErr: `round 4: unknown stage "x"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := episodes.Round{Round: 4, Stage: tt.from}
			var ran, saved []string
			var stages []Stage
			for _, name := range []string{"a", "b", "c"} {
				stages = append(stages, Stage{Name: name, Run: func(context.Context) error {
					ran = append(ran, name)
					if name == tt.failAt {
						return errors.New(name + " failed")
					}
					return nil
				}})
			}
			err := RunStages(context.Background(), &r, stages, "done", func() error { saved = append(saved, r.Stage); return nil })
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("RunStages: %v, want %q", err, tt.wantErr)
			}
			if strings.Join(ran, ",") != strings.Join(tt.ran, ",") || strings.Join(saved, ",") != strings.Join(tt.saved, ",") {
				t.Errorf("ran %v, saved at %v; want %v, %v", ran, saved, tt.ran, tt.saved)
			}
		})
	}
}

func TestGameOf(t *testing.T) {
	for in, want := range map[string]string{
		`{"game":"apo","rounds":2}`: "apo",
		`{"rounds":2,"games":10}`:   "",
		`not json`:                  "",
	} {
		if got := GameOf([]byte(in)); got != want {
			t.Errorf("GameOf(%s) = %q, want %q", in, got, want)
		}
	}
}

// TestHold lets one process at a time run a loop: while the loop's
// creator holds it, a resume through another connection is refused with
// the holder named; once released, the resume takes it.
func TestHold(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	var stores [2]*episodes.Store
	for i := range stores {
		s, err := episodes.Open(ctx, path, episodes.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	rec, err := Create(ctx, stores[0], map[string]int{"rounds": 2}, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Hold(ctx, stores[1], rec.ID, nil)
	if !errors.Is(err, episodes.ErrBusy) || !strings.Contains(err.Error(), fmt.Sprintf("loop %s is in use by process %d", rec.ID, os.Getpid())) {
		t.Fatalf("resume while the loop runs: %v; want it refused naming process %d", err, os.Getpid())
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	resumed, err := Hold(ctx, stores[1], rec.ID, nil)
	if err != nil {
		t.Fatalf("resume after the first let go: %v", err)
	}
	if err := resumed.Close(); err != nil {
		t.Fatal(err)
	}
}
