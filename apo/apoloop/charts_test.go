package apoloop

import (
	"math"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo/revdict"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/rl/train"
)

// TestChartsOf: an APO loop's chart gives each measure its own panel and
// axis (a win rate, hit rates, pairs ranked right: not all "win rate"),
// round 0 from the initial pair where the loop measured it (not on the
// rounds' gold-vs-generated items), and the reward models' calibration
// errors as panels of their own.
func TestChartsOf(t *testing.T) {
	base := &Measures{GeneratorWins: 20, Games: 100, Yardstick: revdict.Rates{N: 100, Top1: 2, Top5: 9},
		Preferences: &train.RMEval{PrefAccuracy: 0.7, Pairs: 200, ECE: 0.04}, Generated: &train.RMEval{PrefAccuracy: 0.2, Pairs: 100, ECE: 0.3}}
	m := &Measures{GeneratorWins: 30, Games: 100, Yardstick: revdict.Rates{N: 100, Top1: 4, Top5: 12},
		Preferences: &train.RMEval{PrefAccuracy: 0.75, Pairs: 200, ECE: 0.05}, Generated: &train.RMEval{PrefAccuracy: 0.5, Pairs: 100, ECE: 0.2}}
	c := chartsOf([]RoundState{{Measures: m, Baseline: base}, {}})
	o := c.WinRate
	if !o.ByOpponent || len(c.Rounds) != 5 {
		t.Fatalf("ByOpponent %v, %d cells; want a panel per measure of round 1's 5 cells", o.ByOpponent, len(c.Rounds))
	}
	for _, opp := range []string{AgainstTop1, AgainstTop5, AgainstPreferences, AgainstGenerated} {
		if a := o.Axes[opp]; a == "" || strings.Contains(a, "win rate") {
			t.Errorf("axis of %s is %q, want what it counts", opp, a)
		}
	}
	want := map[string]int{AgainstFrozenRM: 20, AgainstTop1: 2, AgainstTop5: 9, AgainstPreferences: 140}
	if len(o.Start) != len(want) {
		t.Errorf("round 0 cells %+v, want %d", o.Start, len(want))
	}
	for _, s := range o.Start {
		if w, ok := want[s.Opponent]; !ok || s.Round != 0 || s.Wins != w || s.BaselineGames != 0 {
			t.Errorf("round 0 cell %+v: want the initial pair's %d wins, no baseline (and none on gold vs generated)", s, want[s.Opponent])
		}
	}
	if len(o.Metrics) != 2 || len(o.Metrics[0].Points) != 2 || o.Metrics[0].Points[0].Round != 0 || o.Metrics[0].Points[0].Value != 0.04 ||
		!math.IsNaN(o.Metrics[0].Points[0].Baseline) || o.Metrics[1].Points[0] != (eval.MetricPoint{Round: 1, Value: 0.2, Baseline: 0.3}) {
		t.Errorf("calibration panels %+v: want preferences from round 0 and gold vs generated from round 1", o.Metrics)
	}
	if _, err := eval.WinRateChart(c.Rounds, o); err != nil {
		t.Errorf("the chart: %v", err)
	}
}
