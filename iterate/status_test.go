package iterate

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/taboo/tabooloop"
)

func TestReadStatusFollowsTheRounds(t *testing.T) {
	ctx := context.Background()
	store, err := episodes.Open(ctx, filepath.Join(t.TempDir(), "loop.db"), episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	run := func(at time.Duration) string {
		t.Helper()
		r := &episodes.Run{Game: "taboo()", CreatedAt: t0.Add(at), Total: 4}
		if err := store.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	save := func(loopID string, round int, stage string, st tabooloop.RoundState) {
		t.Helper()
		raw, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.SaveRound(ctx, loopID, episodes.Round{Round: round, Stage: stage, State: raw}); err != nil {
			t.Fatal(err)
		}
	}
	run(0) // a run of something else, older than the loop
	loop := &episodes.Loop{Config: []byte(`{"rounds":2}`), CreatedAt: t0.Add(time.Minute)}
	if err := store.CreateLoop(ctx, loop); err != nil {
		t.Fatal(err)
	}

	s, err := ReadStatus(ctx, store, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != loop.ID || s.Rounds != 2 || s.Round != 0 || s.Run != "" || s.Done() {
		t.Errorf("a loop without rounds: %+v", s)
	}
	if _, ok, err := NewestStatus(ctx, store); !ok || err != nil {
		t.Errorf("a loop newer than every run is not the newest thing: %v, %v", ok, err)
	}

	selfplay := run(2 * time.Minute)
	save(loop.ID, 1, tabooloop.StageSelfplay, tabooloop.RoundState{SelfplayRun: selfplay})
	if s, err = ReadStatus(ctx, store, loop.ID); err != nil || s.Round != 1 || s.Stage != tabooloop.StageSelfplay || s.Run != selfplay {
		t.Errorf("in self-play: %+v, %v; want run %s", s, err, selfplay)
	}
	if _, ok, _ := NewestStatus(ctx, store); !ok {
		t.Error("the loop whose self-play run is the newest run is not the newest thing")
	}

	save(loop.ID, 1, tabooloop.StageTrain, tabooloop.RoundState{SelfplayRun: selfplay})
	if s, _ = ReadStatus(ctx, store, loop.ID); s.Stage != tabooloop.StageTrain || s.Run != "" {
		t.Errorf("in training: %+v; want no run", s)
	}

	first, second := run(3*time.Minute), run(4*time.Minute)
	result := eval.RoundResult{Round: 1, Opponent: "builtin", Role: "attacker", Wins: 3, Games: 4}
	save(loop.ID, 1, tabooloop.StageEval, tabooloop.RoundState{SelfplayRun: selfplay,
		Arenas:  map[string]map[string]string{"builtin": {"a": first, "b": second}},
		Results: []eval.RoundResult{result}})
	s, err = ReadStatus(ctx, store, loop.ID)
	if err != nil || s.Stage != tabooloop.StageEval || s.Run != second || !slices.Equal(s.Results, []eval.RoundResult{result}) {
		t.Errorf("in evaluation: %+v, %v; want the newest arena run %s and the result so far", s, err, second)
	}
	if !slices.Equal(s.Runs, []string{selfplay, first, second}) {
		t.Errorf("runs %v", s.Runs)
	}

	save(loop.ID, 1, tabooloop.StageDone, tabooloop.RoundState{SelfplayRun: selfplay, Results: []eval.RoundResult{result}})
	save(loop.ID, 2, tabooloop.StageDone, tabooloop.RoundState{})
	if s, _ = ReadStatus(ctx, store, loop.ID); !s.Done() || s.Round != 2 {
		t.Errorf("after the last round: %+v", s)
	}

	// A run made after the loop's own is newer than the loop.
	run(5 * time.Minute)
	if _, ok, _ := NewestStatus(ctx, store); ok {
		t.Error("a run made after the loop's runs did not make the loop old")
	}
}
