package kuhnloop

import (
	"context"
	"fmt"
	"math"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/kuhnrun"
)

// ChartName is the name of the loop's chart files (exploitability.svg
// and .png in its directory, or beside a report page).
const ChartName = "exploitability"

// Charts are what a Kuhn loop's page and directory show: the
// exploitability per round from the starting model (0 and uniform play's
// 0.458 as references, the lowest value marked), the chips per hand
// against the equilibrium in each seat with 95% intervals beside the
// seat's game value, and the table of the same numbers.
func Charts(ps []Point) eval.LoopCharts {
	if len(ps) == 0 {
		return eval.LoopCharts{}
	}
	ex := eval.ValuePanel{Title: "exploitability (exact)", YLabel: "exploitability (chips per hand)", MarkLowest: true,
		References: []eval.Reference{{Name: "an equilibrium (0)", Value: 0}, {Name: fmt.Sprintf("uniform play (%.3f)", Uniform), Value: Uniform}}}
	seats := []eval.ValuePanel{
		{Title: "as first player vs the equilibrium", YLabel: "chips per hand",
			References: []eval.Reference{{Name: "game value (-1/18, +1/18)", Value: kuhnrun.GameValue}}},
		{Title: "as second player vs the equilibrium", YLabel: "chips per hand",
			References: []eval.Reference{{Name: "game value (-1/18, +1/18)", Value: -kuhnrun.GameValue}}},
	}
	for _, p := range ps {
		ex.Points = append(ex.Points, eval.ValuePoint{Round: p.Round, Value: p.Exploitability, Lo: math.NaN(), Hi: math.NaN()})
		for i, s := range p.Seats {
			if i < len(seats) {
				seats[i].Points = append(seats[i].Points, eval.ValuePoint{Round: p.Round, Value: s.Chips, Lo: s.Interval[0], Hi: s.Interval[1]})
			}
		}
	}
	panels := []eval.ValuePanel{ex}
	if len(seats[0].Points) > 0 {
		panels = append(panels, seats...)
	}
	low, _ := Lowest(ps)
	chart := eval.ValueChart{Name: ChartName, Title: "Kuhn Poker self-play",
		Caption: fmt.Sprintf("exploitability per round (lowest %.4f, round %d) and chips per hand against the equilibrium with 95%% intervals", low.Exploitability, low.Round),
		Panels:  panels,
		Notes:   []string{"Round 0 is the starting model. Exploitability is exact, read from the model's probabilities of the legal moves; chips are sampled hands against the equilibrium built-in."}}
	return eval.LoopCharts{Values: []eval.ValueChart{chart}, Tables: []eval.Table{table(ps)}}
}

// table is the rounds' numbers as the page shows them.
func table(ps []Point) eval.Table {
	t := eval.Table{Title: "Exploitability and chips per hand against the equilibrium",
		Header: []string{"round", "exploitability", "outside legal moves (max)", "as " + kuhn.First + " (95% interval)", "as " + kuhn.Second + " (95% interval)", "self-play forfeits"}}
	for _, p := range ps {
		row := []string{fmt.Sprint(p.Round), fmt.Sprintf("%.4f", p.Exploitability), fmt.Sprintf("%.4f", p.Outside), "-", "-", "-"}
		for i, s := range p.Seats {
			if i < 2 {
				row[3+i] = fmt.Sprintf("%+.4f (%+.4f to %+.4f)", s.Chips, s.Interval[0], s.Interval[1])
			}
		}
		if p.Round > 0 {
			row[5] = fmt.Sprint(p.Forfeits)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// History is the charts of a stored Kuhn loop, read without taking it up:
// what spag report draws (iteratecmd.Game.History).
func History(ctx context.Context, store *episodes.Store, loopID string) (eval.LoopCharts, error) {
	ps, err := StoredPoints(ctx, store, loopID)
	if err != nil {
		return eval.LoopCharts{}, err
	}
	return Charts(ps), nil
}

// plot draws the charts of every round so far.
func (l *Loop) plot(ctx context.Context, r *Round) error {
	ps, err := l.Points(ctx)
	if err != nil {
		return err
	}
	return r.Plot(Charts(ps))
}
