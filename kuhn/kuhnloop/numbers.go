package kuhnloop

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/loop"
)

// Point is one round's numbers: round 0 is the starting model.
type Point struct {
	Round int `json:"round"`
	Measure
	// Forfeits are the round's self-play hands lost by an answer that
	// was no legal move (none for round 0).
	Forfeits int `json:"selfplay_forfeits"`
}

// Points are the numbers of the measured rounds, from round 0.
func Points(states []RoundState) []Point {
	var out []Point
	for i, st := range states {
		if st.Measure == nil {
			continue
		}
		if len(out) == 0 && st.Start != nil {
			out = append(out, Point{Round: 0, Measure: *st.Start})
		}
		out = append(out, Point{Round: i + 1, Measure: *st.Measure, Forfeits: st.Forfeits})
	}
	return out
}

// Lowest is the point of the lowest exploitability (the earliest of
// equals); ok is false without points.
func Lowest(ps []Point) (p Point, ok bool) {
	for i, q := range ps {
		if i == 0 || q.Exploitability < p.Exploitability {
			p = q
		}
	}
	return p, len(ps) > 0
}

// Points are the numbers of the loop's measured rounds.
func (l *Loop) Points(ctx context.Context) ([]Point, error) {
	states, err := l.States(ctx)
	if err != nil {
		return nil, err
	}
	return Points(states), nil
}

// StoredPoints are the numbers of a stored loop's measured rounds, read
// without taking up the loop.
func StoredPoints(ctx context.Context, store *episodes.Store, loopID string) ([]Point, error) {
	states, err := loop.States[RoundState](ctx, store, loopID)
	if err != nil {
		return nil, err
	}
	return Points(states), nil
}

// WriteTable prints the rounds' numbers for a terminal: the
// exploitability, the chips per hand against the equilibrium in each seat
// with 95% intervals, the self-play's forfeits, and the lowest value.
func WriteTable(w io.Writer, ps []Point) error {
	if len(ps) == 0 {
		_, err := fmt.Fprintln(w, "no round measured yet")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "round\texploitability\toutside legal moves (max)\tfirst seat chips/hand (95% interval)\tsecond seat chips/hand (95% interval)\tself-play forfeits")
	for _, p := range ps {
		seats := [2]string{"-", "-"}
		for i, s := range p.Seats {
			seats[i] = fmt.Sprintf("%+.4f (%+.4f to %+.4f)", s.Chips, s.Interval[0], s.Interval[1])
		}
		forfeits := "-"
		if p.Round > 0 {
			forfeits = fmt.Sprint(p.Forfeits)
		}
		fmt.Fprintf(tw, "%d\t%.4f\t%.4f\t%s\t%s\t%s\n", p.Round, p.Exploitability, p.Outside, seats[0], seats[1], forfeits)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	low, _ := Lowest(ps)
	_, err := fmt.Fprintf(w, "lowest exploitability %.4f, round %d (uniform play %.4f, an equilibrium 0); game value %+.4f as %s player, %+.4f as %s\n",
		low.Exploitability, low.Round, Uniform, -1.0/18, kuhn.First, 1.0/18, kuhn.Second)
	return err
}
