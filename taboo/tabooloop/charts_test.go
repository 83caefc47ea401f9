package tabooloop_test

import (
	"strings"
	"testing"

	"github.com/spag-go/spag/eval"
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
