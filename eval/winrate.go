package eval

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WinRateOptions say how [WinRateChart] draws a loop's results beyond the
// numbers themselves. The zero value draws what [WinRatePlot] draws.
type WinRateOptions struct {
	// Title heads the chart ("" for none); Loop, when set, is the loop's
	// ID, named after the title so that a saved chart says whose it is.
	Title string
	Loop  string
	// Z is the normal quantile of the intervals; 0 selects [Z95].
	Z float64
	// FromStart starts the round axis at round 0, the starting model.
	// Start holds round 0's results (each with Round 0); every series
	// without one is named under the chart as not measured at round 0,
	// so a missing point is never mistaken for a gap in the data.
	FromStart bool
	Start     []RoundResult
	// ByOpponent draws one panel per role and opponent, each with its own
	// y axis, instead of one panel per role with a line per opponent: for
	// results whose "opponents" are different measures (an APO loop's
	// win rate, reverse-dictionary hits and reward-model accuracy).
	ByOpponent bool
	// Axes names what each opponent's rate counts ("win rate" when
	// missing), as the y axis of its panel (ByOpponent) or of the first
	// panel (the first opponent's).
	Axes map[string]string
	// Names names an opponent in the legend or panel title, in place of
	// "vs OPPONENT": say "vs the frozen reference (native)" for an
	// opponent whose spec alone is ambiguous.
	Names map[string]string
	// Baseline says what the baselines are ("the opponent against itself",
	// "the initial models"), for the legend.
	Baseline string
	// Metrics are further panels of one value a round without an interval
	// (a reward model's calibration error); only with ByOpponent.
	Metrics []MetricPanel
	// Notes are lines printed under the chart.
	Notes []string
}

// MetricPanel is a panel of a per-round measure that has no interval,
// drawn in the row of Role with the round's value as a line and the
// baseline, where there is one, as a dashed segment.
type MetricPanel struct {
	Role   string        `json:"role"`
	Title  string        `json:"title"`
	YLabel string        `json:"y_label"`
	Points []MetricPoint `json:"points"`
}

// MetricPoint is one round's value of a [MetricPanel]; Baseline is NaN
// where there is none. Round 0 is the starting model's value.
type MetricPoint struct {
	Round    int     `json:"round"`
	Value    float64 `json:"value"`
	Baseline float64 `json:"baseline"`
}

// rateBars is a set of points with asymmetric vertical errors.
type rateBars struct {
	plotter.XYs
	plotter.YErrors
}

// maxName bounds a legend name or panel title the caller composed (an
// opponent's spec inside fixed words), longer than [maxLabel] since part
// of it is ours.
const maxName = 64

// name is [label] with room for a composed name.
func name(s string) string { return cut(s, maxName) }

// WinRatePlot draws, for each role in one panel, the policy's win rate in
// every round against each opponent with its interval at quantile z (0 for
// 95%) as an error bar; where a result has a baseline, the baseline's rate
// is a dashed segment of the opponent's colour at that round over a band
// of its interval. Roles and opponents keep the order of their first
// appearance in rs; opponents are drawn slightly apart along the round
// axis so their bars do not overlap. It is [WinRateChart] with only a
// title and z.
func WinRatePlot(title string, rs []RoundResult, z float64) (*Figure, error) {
	return WinRateChart(rs, WinRateOptions{Title: title, Z: z})
}

// WinRateChart draws rs as [WinRatePlot] does, with o's round 0, layout,
// names, axes, further panels and notes. Each series names its number of
// games a point (n) in the legend, or in its panel's title with
// ByOpponent.
func WinRateChart(rs []RoundResult, o WinRateOptions) (*Figure, error) {
	if len(rs) == 0 {
		return nil, fmt.Errorf("eval: win-rate plot: no results")
	}
	if err := CheckResults(rs); err != nil {
		return nil, err
	}
	if err := CheckResults(o.Start); err != nil {
		return nil, fmt.Errorf("eval: win-rate plot: round 0: %w", err)
	}
	for i, r := range o.Start {
		if r.Round != 0 {
			return nil, fmt.Errorf("eval: win-rate plot: start result %d is of round %d, want 0 (the starting model's)", i, r.Round)
		}
	}
	if len(o.Metrics) > 0 && !o.ByOpponent {
		return nil, fmt.Errorf("eval: win-rate plot: metric panels need ByOpponent")
	}
	z := zOrDefault(o.Z)
	all := rs
	if o.FromStart && len(o.Start) > 0 {
		all = append(append([]RoundResult(nil), o.Start...), rs...)
		if err := CheckResults(all); err != nil {
			return nil, fmt.Errorf("eval: win-rate plot: round 0 given twice: %w", err)
		}
	}
	roles := order(len(rs), func(i int) string { return rs[i].Role })
	opps := order(len(rs), func(i int) string { return rs[i].Opponent })
	lo, hi := rs[0].Round, rs[0].Round
	for _, r := range all {
		lo, hi = min(lo, r.Round), max(hi, r.Round)
	}
	for _, m := range o.Metrics {
		for _, p := range m.Points {
			lo, hi = min(lo, p.Round), max(hi, p.Round)
		}
	}
	if o.FromStart {
		lo = 0
	}
	c := winChart{o: o, z: z, lo: lo, hi: hi, all: all}
	title := o.Title
	if o.Loop != "" && title != "" {
		title += ", loop " + o.Loop
	} else if o.Loop != "" {
		title = "loop " + o.Loop
	}
	fig := newPanels(titleText(title))
	c.fig = fig
	var missing []string // series without round 0
	if o.ByOpponent {
		cols := 0
		for _, m := range o.Metrics { // a panel of another role gets a row
			if !slices.Contains(roles, m.Role) {
				roles = append(roles, m.Role)
			}
		}
		for _, role := range roles {
			var row []*plot.Plot
			for _, opp := range opps {
				rows := sortedByRound(all, role, opp)
				if len(rows) == 0 {
					continue
				}
				p, err := c.panel(role, opp, rows)
				if err != nil {
					return nil, err
				}
				if o.FromStart && rows[0].Round != 0 {
					missing = append(missing, c.seriesName(role, opp))
				}
				row = append(row, p)
			}
			for _, m := range o.Metrics {
				if m.Role == role {
					p, err := c.metricPanel(m)
					if err != nil {
						return nil, err
					}
					if o.FromStart && (len(m.Points) == 0 || minRound(m.Points) != 0) {
						missing = append(missing, name(m.Title))
					}
					row = append(row, p)
				}
			}
			if len(row) > 0 {
				fig.grid = append(fig.grid, row)
			}
			cols = max(cols, len(row))
		}
		for i := range fig.grid {
			for len(fig.grid[i]) < cols {
				fig.grid[i] = append(fig.grid[i], nil)
			}
		}
		fig.addLegend("the round's model ("+levelName(z)+" interval)", c.modelThumbs(palette[0], draw.CircleGlyph{}, nil)...)
		if c.baselines {
			fig.addLegend("baseline: "+name(orDefault(o.Baseline, "the baseline")), c.baselineThumbs(palette[1])...)
		}
		c.notes(missing)
		w := vg.Length(cols)*3.2*vg.Inch + 2.4*vg.Inch
		h := vg.Length(len(fig.grid))*3*vg.Inch + 0.6*vg.Inch + fig.notesHeight(w)
		return &Figure{width: w, height: h, draw: fig.draw, legend: fig.names, notes: fig.notes, axes: c.axes}, nil
	}
	// Spread opponents over at most 0.4 of a round.
	spread := math.Min(0.12, 0.4/float64(len(opps)))
	fig.grid = [][]*plot.Plot{make([]*plot.Plot, len(roles))}
	inLegend := map[string]bool{}
	for pi, role := range roles {
		p := c.ratePlot("as " + label(role))
		if pi == 0 {
			p.Y.Label.Text = fmt.Sprintf("%s (%s interval)", orDefault(o.Axes[opps[0]], "win rate"), levelName(z))
			c.axes = append(c.axes, p.Y.Label.Text)
		}
		for oi, opp := range opps {
			col, glyph, dash := series(oi)
			shift := (float64(oi) - float64(len(opps)-1)/2) * spread
			rows := sortedByRound(all, role, opp)
			if len(rows) == 0 {
				continue
			}
			if o.FromStart && rows[0].Round != 0 && !inLegend["missing "+opp] {
				inLegend["missing "+opp] = true
				missing = append(missing, c.seriesName("", opp))
			}
			thumbs, err := c.series(p, rows, col, col, glyph, dash, shift)
			if err != nil {
				return nil, err
			}
			if !inLegend[opp] { // the first panel that draws it
				inLegend[opp] = true
				fig.addLegend(fmt.Sprintf("%s (n = %s)", c.seriesName("", opp), games(all, opp, false)), thumbs...)
			}
		}
		c.flush(p)
		fig.grid[0][pi] = p
	}
	for oi, opp := range opps {
		col, _, _ := series(oi)
		if n := games(rs, opp, true); n != "" {
			what := label(opp) + " baseline"
			if o.Baseline != "" {
				what = name(label(opp) + " " + o.Baseline)
			}
			fig.addLegend(fmt.Sprintf("%s (n = %s)", what, n), c.baselineThumbs(col)...)
		}
	}
	c.notes(missing)
	w := vg.Length(len(roles))*4*vg.Inch + 2.8*vg.Inch
	return &Figure{width: w, height: 4*vg.Inch + fig.notesHeight(w), draw: fig.draw, legend: fig.names, notes: fig.notes, axes: c.axes}, nil
}

// winChart is one win-rate chart being laid out.
type winChart struct {
	o         WinRateOptions
	z         float64
	lo, hi    int
	all       []RoundResult // rs with round 0's results
	fig       *panels
	baselines bool     // some panel drew a baseline
	axes      []string // the y-axis labels, for tests
	// under and over are the panel's baselines and series, drawn in
	// that order.
	under, over []plot.Plotter
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func minRound(ps []MetricPoint) int {
	m := ps[0].Round
	for _, p := range ps {
		m = min(m, p.Round)
	}
	return m
}

// seriesName names an opponent's series: the caller's name, or "vs OPP"
// after the role when one is given.
func (c *winChart) seriesName(role, opp string) string {
	if n := c.o.Names[opp]; n != "" {
		return name(n)
	}
	n := "vs " + label(opp)
	if role != "" {
		n = label(role) + " " + n
	}
	return name(n)
}

// smallPanel sets the smaller type of a panel of a grid (ByOpponent).
func smallPanel(p *plot.Plot) {
	p.Title.TextStyle.Font.Size = vg.Points(10)
	p.Y.Label.TextStyle.Font.Size = vg.Points(10)
	p.X.Label.TextStyle.Font.Size = vg.Points(10)
}

// notes adds the caller's notes and the list of series without round 0.
func (c *winChart) notes(missing []string) {
	for _, n := range c.o.Notes {
		c.fig.notes = append(c.fig.notes, plain(n))
	}
	if len(missing) > 0 {
		c.fig.notes = append(c.fig.notes, "Round 0 (the starting model) was not measured for: "+strings.Join(missing, "; ")+".")
	}
}

// newPlot is a panel of the round axis, with round 0 named "start" when
// the chart starts there.
func (c *winChart) newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "round"
	p.X.Min, p.X.Max = float64(c.lo)-0.5, float64(c.hi)+0.5
	p.X.Tick.Marker = integerTicks
	if c.o.FromStart {
		p.X.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
			ts := integerTicks.Ticks(lo, hi)
			for i := range ts {
				if ts[i].Value == 0 {
					ts[i].Label = "0 (start)"
				}
			}
			return ts
		})
	}
	p.Add(plotter.NewGrid())
	return p
}

// ratePlot is [winChart.newPlot] with a percent axis. A little room
// beyond [0, 1] keeps a point at 0% or 100% inside the data area, so
// every panel of a row gets the same padding and their axes line up.
func (c *winChart) ratePlot(title string) *plot.Plot {
	p := c.newPlot(title)
	p.Y.Min, p.Y.Max = -0.03, 1.03
	p.Y.Tick.Marker = percentTicks
	return p
}

// panel is one opponent's panel (ByOpponent).
func (c *winChart) panel(role, opp string, rows []RoundResult) (*plot.Plot, error) {
	p := c.ratePlot(fmt.Sprintf("%s (n = %s)", c.seriesName(role, opp), games(c.all, opp, false)))
	p.Y.Label.Text = fmt.Sprintf("%s (%s interval)", orDefault(c.o.Axes[opp], "win rate"), levelName(c.z))
	c.axes = append(c.axes, p.Y.Label.Text)
	smallPanel(p)
	// A measure whose intervals all stay low (reverse-dictionary hits of
	// a few in a thousand) gets an axis that shows them, not a flat line
	// on 0%.
	top := 0.0
	for _, r := range rows {
		top = math.Max(top, r.Rate(c.z).Hi)
		if r.BaselineGames > 0 {
			top = math.Max(top, r.BaselineRate(c.z).Hi)
		}
	}
	if top < 0.5 {
		p.Y.Max = top * 1.25
		p.Y.Min = -p.Y.Max * 0.03
		p.Y.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
			ts := plot.DefaultTicks{}.Ticks(lo, hi)
			for i := range ts {
				if ts[i].Label != "" {
					ts[i].Label = strconv.FormatFloat(math.Round(ts[i].Value*1e6)/1e4, 'f', -1, 64) + "%"
				}
			}
			return ts
		})
	}
	_, err := c.series(p, rows, palette[0], palette[1], draw.CircleGlyph{}, nil, 0)
	c.flush(p)
	return p, err
}

// metricPanel draws a [MetricPanel].
func (c *winChart) metricPanel(m MetricPanel) (*plot.Plot, error) {
	p := c.newPlot(name(m.Title))
	p.Y.Label.Text = name(m.YLabel)
	c.axes = append(c.axes, p.Y.Label.Text)
	smallPanel(p)
	pts := append([]MetricPoint(nil), m.Points...)
	sort.Slice(pts, func(i, j int) bool { return pts[i].Round < pts[j].Round })
	var xys plotter.XYs
	top := 0.0
	for _, pt := range pts {
		if math.IsNaN(pt.Value) || math.IsInf(pt.Value, 0) {
			continue
		}
		xys = append(xys, plotter.XY{X: float64(pt.Round), Y: pt.Value})
		top = math.Max(top, pt.Value)
		if b := pt.Baseline; !math.IsNaN(b) && !math.IsInf(b, 0) {
			top = math.Max(top, b)
			seg, err := plotter.NewLine(plotter.XYs{{X: float64(pt.Round) - 0.3, Y: b}, {X: float64(pt.Round) + 0.3, Y: b}})
			if err != nil {
				return nil, fmt.Errorf("eval: win-rate plot: %w", err)
			}
			seg.Color, seg.Dashes, seg.Width = palette[1], baselineDash, vg.Points(1.2)
			p.Add(seg)
			c.baselines = true
		}
	}
	if len(xys) > 0 {
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("eval: win-rate plot: %w", err)
		}
		line.Color, line.Width = palette[0], vg.Points(1.5)
		dots, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("eval: win-rate plot: %w", err)
		}
		dots.Color, dots.Shape, dots.Radius = palette[0], draw.CircleGlyph{}, vg.Points(3)
		p.Add(line, dots)
	}
	p.Y.Min, p.Y.Max = 0, math.Max(top*1.15, 0.05)
	return p, nil
}

// flush adds the panel's drawings to p, every baseline under every
// series so that no band hides a line.
func (c *winChart) flush(p *plot.Plot) {
	p.Add(c.under...)
	p.Add(c.over...)
	c.under, c.over = nil, nil
}

// series lays out one opponent's rates with their intervals, and its
// baselines as dashed segments over bands of their intervals in colour
// base, shifted by shift along the round axis, for [winChart.flush]. It
// returns the series' legend thumbnails.
func (c *winChart) series(p *plot.Plot, rows []RoundResult, col, base color.Color, glyph draw.GlyphDrawer, dash []vg.Length, shift float64) ([]plot.Thumbnailer, error) {
	var pts rateBars
	for _, r := range rows {
		rate := r.Rate(c.z)
		x := float64(r.Round) + shift
		pts.XYs = append(pts.XYs, plotter.XY{X: x, Y: rate.Rate})
		pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{rate.Rate - rate.Lo, rate.Hi - rate.Rate})
		if r.BaselineGames > 0 {
			b := r.BaselineRate(c.z)
			x0, x1 := float64(r.Round)-0.3, float64(r.Round)+0.3
			band, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: b.Lo}, {X: x1, Y: b.Lo}, {X: x1, Y: b.Hi}, {X: x0, Y: b.Hi}})
			if err != nil {
				return nil, fmt.Errorf("eval: win-rate plot: %w", err)
			}
			band.Color, band.LineStyle.Width = bandColour(base), 0
			seg, err := plotter.NewLine(plotter.XYs{{X: x0, Y: b.Rate}, {X: x1, Y: b.Rate}})
			if err != nil {
				return nil, fmt.Errorf("eval: win-rate plot: %w", err)
			}
			seg.Color, seg.Dashes, seg.Width = base, baselineDash, vg.Points(1)
			c.under = append(c.under, band, seg)
			c.baselines = true
		}
	}
	thumbs := c.modelThumbs(col, glyph, dash)
	line, err := plotter.NewLine(pts.XYs)
	if err != nil {
		return nil, fmt.Errorf("eval: win-rate plot: %w", err)
	}
	line.Color, line.Dashes, line.Width = col, dash, vg.Points(1.5)
	dots, err := plotter.NewScatter(pts.XYs)
	if err != nil {
		return nil, fmt.Errorf("eval: win-rate plot: %w", err)
	}
	dots.Color, dots.Shape, dots.Radius = col, glyph, vg.Points(3)
	bars, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return nil, fmt.Errorf("eval: win-rate plot: %w", err)
	}
	bars.Color, bars.Width, bars.CapWidth = col, vg.Points(1.2), vg.Points(8)
	c.over = append(c.over, line, bars, dots)
	return thumbs, nil
}

// modelThumbs are the legend thumbnails of a series of rates.
func (c *winChart) modelThumbs(col color.Color, glyph draw.GlyphDrawer, dash []vg.Length) []plot.Thumbnailer {
	return []plot.Thumbnailer{
		&plotter.Line{LineStyle: draw.LineStyle{Color: col, Width: vg.Points(1.5), Dashes: dash}},
		&plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: col, Shape: glyph, Radius: vg.Points(3)}},
	}
}

// baselineThumbs are a baseline's legend thumbnails: its band and its
// dashed line.
func (c *winChart) baselineThumbs(col color.Color) []plot.Thumbnailer {
	return []plot.Thumbnailer{
		&plotter.Polygon{Color: bandColour(col)},
		&plotter.Line{LineStyle: draw.LineStyle{Color: col, Width: vg.Points(1), Dashes: baselineDash}},
	}
}

// bandColour is col faint enough to show the lines drawn over it.
func bandColour(col color.Color) color.Color {
	r, g, b, _ := col.RGBA()
	const a = 0.22 // share of the colour over white
	mix := func(v uint32) uint8 { return uint8(math.Round(a*float64(v>>8) + (1-a)*255)) }
	return color.RGBA{mix(r), mix(g), mix(b), 0xff}
}

// games describes the games a point of opp's series (or with baseline,
// of its baselines) counts: "1000", or "100–1000" when they differ; ""
// when there are none.
func games(rs []RoundResult, opp string, baseline bool) string {
	lo, hi := math.MaxInt, -1
	for _, r := range rs {
		n := r.Games
		if baseline {
			n = r.BaselineGames
		}
		if r.Opponent != opp || (baseline && n == 0) {
			continue
		}
		lo, hi = min(lo, n), max(hi, n)
	}
	switch {
	case hi < 0:
		return ""
	case lo == hi:
		return strconv.Itoa(lo)
	}
	return strconv.Itoa(lo) + "–" + strconv.Itoa(hi)
}

// levelName names the confidence level of quantile z, e.g. "95%".
func levelName(z float64) string {
	z = zOrDefault(z)
	level := math.Erf(z / math.Sqrt2) // two-sided coverage of ±z
	return strconv.FormatFloat(math.Round(level*1000)/10, 'f', -1, 64) + "%"
}

// sortedByRound returns the results for one role and opponent by round.
func sortedByRound(rs []RoundResult, role, opp string) []RoundResult {
	var out []RoundResult
	for _, r := range rs {
		if r.Role == role && r.Opponent == opp {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Round < out[j].Round })
	return out
}
