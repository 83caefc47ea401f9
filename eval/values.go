package eval

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ValueChart is a chart of measures per round that are not win rates (a
// distance from optimal play, chips per hand): one row of panels, each a
// line of values with optional intervals over horizontal reference
// lines. A loop's charts draw it beside the win rates
// ([LoopCharts.Values]); Name is its files' name, Caption the page's
// words under it.
type ValueChart struct {
	Name, Title, Caption string
	Panels               []ValuePanel
	// Notes are lines under the panels.
	Notes []string
}

// ValuePanel is one panel of a [ValueChart]. MarkLowest rings the lowest
// value and names it in the legend.
type ValuePanel struct {
	Title, YLabel string
	Points        []ValuePoint
	References    []Reference
	MarkLowest    bool
}

// ValuePoint is one round's value; Lo and Hi bound its interval, NaN (or
// both equal to Value) for none. Round 0 is the starting model.
type ValuePoint struct {
	Round         int
	Value, Lo, Hi float64
}

// Reference is a horizontal line of a panel: a value to compare the
// rounds with ("uniform play", "game value").
type Reference struct {
	Name  string
	Value float64
}

// Table is a titled table of a loop's page whose cells the caller
// formatted (a game's own numbers per round).
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
}

// ValueFigure draws c, its round axis from round 0 (the start) to the
// last round of any panel.
func ValueFigure(c ValueChart) (*Figure, error) {
	if len(c.Panels) == 0 {
		return nil, fmt.Errorf("eval: value chart %q: no panels", c.Name)
	}
	hi := 1
	for _, pn := range c.Panels {
		for _, pt := range pn.Points {
			hi = max(hi, pt.Round)
		}
	}
	fig := newPanels(titleText(c.Title))
	wc := winChart{o: WinRateOptions{FromStart: true}, lo: 0, hi: hi}
	inLegend := map[string]bool{}
	legend := func(name string, thumbs ...plot.Thumbnailer) {
		if !inLegend[name] {
			inLegend[name] = true
			fig.addLegend(name, thumbs...)
		}
	}
	model := "the round's model"
	for _, pn := range c.Panels {
		for _, pt := range pn.Points {
			if !math.IsNaN(pt.Lo) && !math.IsNaN(pt.Hi) && (pt.Lo != pt.Value || pt.Hi != pt.Value) {
				model = "the round's model (" + levelName(Z95) + " interval where drawn)"
			}
		}
	}
	refs := map[string]int{} // a reference's colour, the same in every panel
	var row []*plot.Plot
	for _, pn := range c.Panels {
		p := wc.newPlot(name(pn.Title))
		p.Y.Label.Text = name(pn.YLabel)
		smallPanel(p)
		lo, top := math.Inf(1), math.Inf(-1)
		for _, ref := range pn.References {
			if _, ok := refs[ref.Name]; !ok {
				refs[ref.Name] = len(refs)
			}
			col, _, _ := series(2 + refs[ref.Name])
			l, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: ref.Value}, {X: float64(hi) + 0.5, Y: ref.Value}})
			if err != nil {
				return nil, fmt.Errorf("eval: value chart: %w", err)
			}
			l.Color, l.Dashes, l.Width = col, baselineDash, vg.Points(1.2)
			p.Add(l)
			legend(label(ref.Name), l)
			lo, top = math.Min(lo, ref.Value), math.Max(top, ref.Value)
		}
		pts := append([]ValuePoint(nil), pn.Points...)
		sort.Slice(pts, func(i, j int) bool { return pts[i].Round < pts[j].Round })
		var bars rateBars
		var xys plotter.XYs
		best := -1
		for _, pt := range pts {
			if math.IsNaN(pt.Value) || math.IsInf(pt.Value, 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(pt.Round), Y: pt.Value})
			lo, top = math.Min(lo, pt.Value), math.Max(top, pt.Value)
			if best < 0 || pt.Value < xys[best].Y {
				best = len(xys) - 1
			}
			if !math.IsNaN(pt.Lo) && !math.IsNaN(pt.Hi) && (pt.Lo != pt.Value || pt.Hi != pt.Value) {
				bars.XYs = append(bars.XYs, plotter.XY{X: float64(pt.Round), Y: pt.Value})
				bars.YErrors = append(bars.YErrors, struct{ Low, High float64 }{pt.Value - pt.Lo, pt.Hi - pt.Value})
				lo, top = math.Min(lo, pt.Lo), math.Max(top, pt.Hi)
			}
		}
		if len(xys) > 0 {
			line, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("eval: value chart: %w", err)
			}
			line.Color, line.Width = palette[0], vg.Points(1.5)
			dots, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, fmt.Errorf("eval: value chart: %w", err)
			}
			dots.Color, dots.Shape, dots.Radius = palette[0], draw.CircleGlyph{}, vg.Points(3)
			p.Add(line, dots)
			thumbs := []plot.Thumbnailer{line, dots}
			if len(bars.XYs) > 0 {
				eb, err := plotter.NewYErrorBars(bars)
				if err != nil {
					return nil, fmt.Errorf("eval: value chart: %w", err)
				}
				eb.Color, eb.Width = palette[0], vg.Points(1)
				p.Add(eb)
			}
			legend(model, thumbs...)
			if pn.MarkLowest {
				ring, err := plotter.NewScatter(plotter.XYs{xys[best]})
				if err != nil {
					return nil, fmt.Errorf("eval: value chart: %w", err)
				}
				ring.Color, ring.Shape, ring.Radius = palette[1], draw.RingGlyph{}, vg.Points(7)
				p.Add(ring)
				fig.addLegend(fmt.Sprintf("lowest: %.4g (round %.0f)", xys[best].Y, xys[best].X), ring)
			}
		}
		if !math.IsInf(lo, 0) {
			pad := math.Max((top-lo)*0.1, 0.01)
			p.Y.Min, p.Y.Max = lo-pad, top+pad
		}
		row = append(row, p)
	}
	fig.grid = [][]*plot.Plot{row}
	for _, n := range c.Notes {
		fig.notes = append(fig.notes, plain(n))
	}
	w := vg.Length(len(row))*4*vg.Inch + 2.8*vg.Inch
	return &Figure{width: w, height: 4*vg.Inch + fig.notesHeight(w), draw: fig.draw, legend: fig.names, notes: fig.notes, axes: wc.axes}, nil
}
