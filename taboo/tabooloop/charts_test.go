package tabooloop_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/taboo/reward"
	"github.com/spag-go/spag/taboo/tabooloop"
)

// TestCharts checks what a Taboo loop's chart starts from: against a
// frozen reference that is the starting model, round 0 is the earliest
// round's baseline games (the reference against itself); against a
// reference of its own, or without baseline games, round 0 is not drawn.
func TestCharts(t *testing.T) {
	results := []eval.RoundResult{
		{Round: 2, Opponent: "native", Role: "attacker", Wins: 7, Games: 10, BaselineWins: 5, BaselineGames: 10},
		{Round: 1, Opponent: "native", Role: "attacker", Wins: 6, Games: 10, BaselineWins: 4, BaselineGames: 10},
		{Round: 1, Opponent: "native", Role: "defender", Wins: 3, Games: 10, BaselineWins: 2, BaselineGames: 10},
		{Round: 1, Opponent: "builtin", Role: "attacker", Wins: 1, Games: 10},
	}
	tests := []struct {
		name      string
		cfg       tabooloop.Config
		results   []eval.RoundResult
		wantStart []eval.RoundResult
		wantName  string
	}{
		{"from the shipped model", tabooloop.Config{Init: "init.ckpt", InitSpec: "native"}, results,
			[]eval.RoundResult{{Opponent: "native", Role: "attacker", Wins: 4, Games: 10}, {Opponent: "native", Role: "defender", Wins: 2, Games: 10}},
			"vs the frozen reference (native)"},
		{"a reference of its own", tabooloop.Config{Init: "a.ckpt", Ref: "ref.ckpt"}, results, nil,
			"vs the frozen reference (native:ref.ckpt)"},
		{"no baseline games", tabooloop.Config{Init: "init.ckpt", InitSpec: "native"}, results[3:], nil, "vs the frozen reference (native)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tabooloop.Charts(tt.cfg, tt.results, nil)
			if len(c.Rounds) != len(tt.results) {
				t.Errorf("chart holds %d results, want %d", len(c.Rounds), len(tt.results))
			}
			if len(c.WinRate.Start) != len(tt.wantStart) {
				t.Fatalf("round 0 = %+v, want %+v", c.WinRate.Start, tt.wantStart)
			}
			for i, r := range tt.wantStart {
				if got := c.WinRate.Start[i]; got != r {
					t.Errorf("round 0 point %d = %+v, want %+v", i, got, r)
				}
			}
			found := false
			for _, name := range c.WinRate.Names {
				found = found || name == tt.wantName
			}
			if !found {
				t.Errorf("names %v lack %q", c.WinRate.Names, tt.wantName)
			}
			if note := strings.Join(c.WinRate.Notes, " "); (len(tt.wantStart) > 0) != strings.Contains(note, "round 1's baseline games") {
				t.Errorf("notes %q", note)
			}
		})
	}
}

// TestRecordedAndSamples reads a stored loop back: its configuration, and
// each finished round's training samples by role, whichever objective the
// round trained with.
func TestRecordedAndSamples(t *testing.T) {
	ctx := context.Background()
	store, err := episodes.Open(ctx, filepath.Join(t.TempDir(), "r.db"), episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cfg := tabooloop.Config{Rounds: 3, Games: 4, EvalGames: 10, Init: "init.ckpt", InitSpec: "native"}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &episodes.Loop{Config: raw}
	if err := store.CreateLoop(ctx, rec); err != nil {
		t.Fatal(err)
	}
	for i, st := range []tabooloop.RoundState{
		{Rewards: &reward.RewardStats{AttackerSamples: 5, DefenderSamples: 2}},
		{ZeroSum: &reward.ZeroSumStats{AttackerSamples: 7, DefenderSamples: 9}},
		{},
	} {
		state, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.SaveRound(ctx, rec.ID, episodes.Round{Round: i + 1, Stage: tabooloop.StageDone, State: state}); err != nil {
			t.Fatal(err)
		}
	}
	_, got, err := tabooloop.Recorded(ctx, store, rec.ID)
	if err != nil || got.Games != 4 || got.EvalGames != 10 || got.Init != "init.ckpt" {
		t.Fatalf("Recorded = %+v, %v", got, err)
	}
	samples, err := tabooloop.Samples(ctx, store, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []eval.SampleCount{{Round: 1, Role: "attacker", Samples: 5}, {Round: 1, Role: "defender", Samples: 2},
		{Round: 2, Role: "attacker", Samples: 7}, {Round: 2, Role: "defender", Samples: 9}}
	if len(samples) != len(want) {
		t.Fatalf("Samples = %+v, want %+v", samples, want)
	}
	for i := range want {
		if samples[i] != want[i] {
			t.Errorf("sample count %d = %+v, want %+v", i, samples[i], want[i])
		}
	}
	if _, _, err := tabooloop.Recorded(ctx, store, "nosuch"); err == nil {
		t.Error("Recorded of a missing loop: no error")
	}
}
