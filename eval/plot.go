package eval

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/internal/safetext"
)

// The charts are drawn with gonum.org/v1/plot, whose text uses the
// Liberation fonts compiled into the binary (gonum.org/v1/plot/font/liberation):
// no system font and no network is needed. The SVG names the font family
// without embedding it, so a viewer without Liberation substitutes a serif
// face; the PNG is rasterised from the embedded fonts.

// pngDPI is the resolution of the PNG files: a 10-inch figure is 1200
// pixels wide, legible on a screen and in a Markdown page.
const pngDPI = 120

// maxLabel bounds a caller's label (an opponent's spec, a role or an
// outcome) so one long name cannot crowd the chart out.
const maxLabel = 40

// Figure is a chart laid out and ready to be written as SVG or PNG. It is
// safe for concurrent use: drawing settles the plots' axis ranges in
// place, so writes take turns.
type Figure struct {
	width, height vg.Length
	mu            sync.Mutex // held while drawing
	draw          func(dc draw.Canvas)
	// What the figure shows in words, kept for tests: its legend
	// entries, the notes under it and its y-axis labels.
	legend, notes, axes []string
}

// Size returns the figure's size in points (1/72 inch).
func (f *Figure) Size() (width, height float64) {
	return f.width.Points(), f.height.Points()
}

// WriteSVG writes the figure as an SVG document.
func (f *Figure) WriteSVG(w io.Writer) error {
	c := vgsvg.New(f.width, f.height)
	f.mu.Lock()
	f.draw(draw.New(c))
	f.mu.Unlock()
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("eval: write SVG: %w", err)
	}
	return nil
}

// WritePNG writes the figure as a PNG image at 120 dots per inch on a
// white background.
func (f *Figure) WritePNG(w io.Writer) error {
	c := vgimg.NewWith(vgimg.UseWH(f.width, f.height), vgimg.UseDPI(pngDPI))
	f.mu.Lock()
	f.draw(draw.New(c))
	f.mu.Unlock()
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(w); err != nil {
		return fmt.Errorf("eval: write PNG: %w", err)
	}
	return nil
}

// Files names the files [Figure.Save] wrote.
type Files struct {
	SVG string `json:"svg"`
	PNG string `json:"png"`
}

// Save writes dir/name.svg and dir/name.png, each atomically (a reader or
// a crash sees the old file or the whole new one) through
// [atomicfile.Write]: new files get 0666 less the umask, replaced ones
// keep their mode. name must be a plain
// file name without extension or directory.
func (f *Figure) Save(dir, name string) (Files, error) {
	if name == "" || name != filepath.Base(name) || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return Files{}, fmt.Errorf("eval: figure name %q: want a plain file name such as \"winrates\"", name)
	}
	files := Files{SVG: filepath.Join(dir, name+".svg"), PNG: filepath.Join(dir, name+".png")}
	for _, out := range []struct {
		path  string
		write func(io.Writer) error
	}{{files.SVG, f.WriteSVG}, {files.PNG, f.WritePNG}} {
		if err := atomicfile.Write(out.path, out.write); err != nil {
			return Files{}, err
		}
		// No chmod afterwards: atomicfile gives a new file 0666 less the
		// umask and a replaced one its old mode, and a chmod of path
		// would follow a planted link to whatever it names.
	}
	return files, nil
}

// RoundResult is one cell of a loop's evaluation: in round Round the
// policy played Games games in role Role against Opponent and won Wins of
// them. BaselineWins of BaselineGames is the rate to compare it with in
// the same role and round, for instance the opponent playing itself;
// BaselineGames = 0 means there is none. Roles and opponents are the
// caller's names (say "attacker" and "imitation"); the package gives them
// no meaning. A (Round, Opponent, Role) triple appears at most once.
type RoundResult struct {
	Round         int    `json:"round"`
	Opponent      string `json:"opponent"`
	Role          string `json:"role"`
	Wins          int    `json:"wins"`
	Games         int    `json:"games"`
	BaselineWins  int    `json:"baseline_wins"`
	BaselineGames int    `json:"baseline_games"`
}

// Rate returns the policy's win rate with its Wilson interval at quantile
// z (0 for 95%). The counts must be valid (see [CheckResults]).
func (r RoundResult) Rate(z float64) Rate { return NewRate(r.Wins, r.Games, z) }

// BaselineRate returns the baseline's win rate with its Wilson interval.
func (r RoundResult) BaselineRate(z float64) Rate {
	return NewRate(r.BaselineWins, r.BaselineGames, z)
}

// Diff returns the policy's rate minus the baseline's with Newcombe's
// interval ([NewcombeDiff]); unknown when either side has no games.
func (r RoundResult) Diff(z float64) Diff {
	return NewcombeDiff(r.Wins, r.Games, r.BaselineWins, r.BaselineGames, z)
}

// CheckResults reports the first impossible entry of rs: negative counts,
// more wins than games, or a (round, opponent, role) given twice. The
// error names the entry so the caller can find the row that produced it.
func CheckResults(rs []RoundResult) error {
	type key struct {
		round          int
		opponent, role string
	}
	seen := make(map[key]int, len(rs))
	for i, r := range rs {
		where := fmt.Sprintf("eval: result %d (round %d, opponent %q, role %q)", i, r.Round, r.Opponent, r.Role)
		if r.Games < 0 || r.Wins < 0 || r.Wins > r.Games {
			return fmt.Errorf("%s: %d wins of %d games, want 0 <= wins <= games", where, r.Wins, r.Games)
		}
		if r.BaselineGames < 0 || r.BaselineWins < 0 || r.BaselineWins > r.BaselineGames {
			return fmt.Errorf("%s: baseline %d wins of %d games, want 0 <= wins <= games", where, r.BaselineWins, r.BaselineGames)
		}
		k := key{r.Round, r.Opponent, r.Role}
		if j, ok := seen[k]; ok {
			return fmt.Errorf("%s: same round, opponent and role as result %d", where, j)
		}
		seen[k] = i
	}
	return nil
}

// TrainingPoint is one optimizer step of one round's training: the loss,
// the KL estimate against the reference and the fraction of clipped
// samples, as the trainer reported them. Step counts from the start of
// the round's training.
type TrainingPoint struct {
	Round    int     `json:"round"`
	Step     int     `json:"step"`
	Loss     float64 `json:"loss"`
	KL       float64 `json:"kl"`
	ClipFrac float64 `json:"clip_frac"`
}

// Bar is one bar of a [BarChart]: a label (an outcome, a rule) and a count.
type Bar struct {
	Label string `json:"label"`
	Count int    `json:"count"`
}

// titleText is [name] for a chart's title (which may name a loop), where
// empty means no title.
func titleText(s string) string {
	if s == "" {
		return ""
	}
	return name(s)
}

// label makes a caller's name safe and short enough to draw: control
// characters become visible stand-ins (a raw one would also make the SVG
// invalid XML), line breaks become spaces, and long names are cut.
func label(s string) string { return cut(s, maxLabel) }

// cut is [label] cutting at n runes.
func cut(s string, n int) string {
	s = strings.NewReplacer("\n", " ", "\t", " ").Replace(safetext.Visible(s))
	if s == "" {
		return "(none)"
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// fit is [cut] to the measured width w in style st: a label is cut only
// where it would not fit its box.
func fit(s string, st text.Style, w vg.Length) string {
	r := []rune(cut(s, 200))
	if st.Width(string(r)) <= w {
		return string(r)
	}
	for len(r) > 1 && st.Width(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// palette holds eight colours told apart by readers with the common forms
// of colour blindness (the Okabe–Ito set), the faintest last.
var palette = []color.RGBA{
	{0x00, 0x72, 0xb2, 0xff}, // blue
	{0xd5, 0x5e, 0x00, 0xff}, // vermillion
	{0x00, 0x9e, 0x73, 0xff}, // bluish green
	{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
	{0xe6, 0x9f, 0x00, 0xff}, // orange
	{0x56, 0xb4, 0xe9, 0xff}, // sky blue
	{0x00, 0x00, 0x00, 0xff}, // black
	{0xf0, 0xe4, 0x42, 0xff}, // yellow, last: faint on white
}

// series returns the colour, glyph and dash pattern of the i-th series;
// past eight series the colours repeat with another glyph and dash, so
// every series stays distinct.
func series(i int) (color.Color, draw.GlyphDrawer, []vg.Length) {
	glyphs := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}}
	dashes := [][]vg.Length{nil, {vg.Points(6), vg.Points(2)}, {vg.Points(2), vg.Points(2)}, {vg.Points(6), vg.Points(2), vg.Points(2), vg.Points(2)}}
	cycle := i / len(palette)
	return palette[i%len(palette)], glyphs[(i+cycle)%len(glyphs)], dashes[cycle%len(dashes)]
}

// baselineDash draws baselines so that they cannot be taken for data.
var baselineDash = []vg.Length{vg.Points(4), vg.Points(3)}

// figureFont returns a text style of the default (embedded) font.
func figureFont(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, size),
		Handler: plot.DefaultTextHandler,
	}
}

// panels is a titled grid of plots sharing one legend, drawn on the
// right so that it never hides data.
type panels struct {
	title  string
	grid   [][]*plot.Plot
	legend plot.Legend
	names  []string // legend entries, to size the legend's strip
	// notes are lines under the panels, each wrapped to the width.
	notes []string
}

// noteSize is the font size of a chart's notes.
const noteSize = 9

// notesHeight is the room the notes take under the panels of a figure w
// wide: charts add it to their height.
func (p *panels) notesHeight(w vg.Length) vg.Length {
	lines := p.noteLines(w)
	if len(lines) == 0 {
		return 0
	}
	return vg.Length(len(lines))*p.noteStyle().Height("Xg")*1.2 + vg.Points(8)
}

func (p *panels) noteStyle() text.Style {
	st := figureFont(vg.Points(noteSize))
	st.XAlign, st.YAlign = draw.XLeft, draw.YBottom
	return st
}

// noteLines are the notes wrapped to a figure w wide.
func (p *panels) noteLines(w vg.Length) []string {
	var lines []string
	for _, n := range p.notes {
		lines = append(lines, wrap(n, p.noteStyle(), w-vg.Points(16))...)
	}
	return lines
}

// wrap breaks s into lines no wider than w in style st, at spaces.
func wrap(s string, st text.Style, w vg.Length) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && st.Width(line+" "+word) > w {
			lines = append(lines, line)
			line = word
			continue
		}
		line = strings.TrimPrefix(line+" "+word, " ")
	}
	return append(lines, line)
}

func newPanels(title string) *panels {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.TextStyle.Font.Size = vg.Points(10)
	l.Padding = vg.Points(4)
	return &panels{title: title, legend: l}
}

func (p *panels) addLegend(name string, thumbs ...plot.Thumbnailer) {
	p.legend.Add(name, thumbs...)
	p.names = append(p.names, name)
}

func (p *panels) draw(dc draw.Canvas) {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	titleStyle := figureFont(vg.Points(14))
	titleStyle.XAlign, titleStyle.YAlign = draw.XCenter, draw.YTop
	top := vg.Length(0)
	if p.title != "" {
		top = titleStyle.Height(p.title) + vg.Points(10)
		mid := (dc.Min.X + dc.Max.X) / 2
		dc.FillText(titleStyle, vg.Point{X: mid, Y: dc.Max.Y - vg.Points(6)}, p.title)
	}

	strip := vg.Length(0)
	if len(p.names) > 0 {
		for _, n := range p.names {
			strip = max(strip, p.legend.TextStyle.Width(n))
		}
		strip += p.legend.ThumbnailWidth + vg.Points(24)
		lc := draw.Crop(dc, dc.Max.X-dc.Min.X-strip, 0, 0, -top-vg.Points(12))
		p.legend.Draw(lc)
	}

	bottom := vg.Length(0)
	if lines := p.noteLines(dc.Max.X - dc.Min.X); len(lines) > 0 {
		st := p.noteStyle()
		lh := st.Height("Xg") * 1.2
		for i := range lines {
			y := dc.Min.Y + vg.Points(4) + vg.Length(len(lines)-1-i)*lh
			dc.FillText(st, vg.Point{X: dc.Min.X + vg.Points(8), Y: y}, lines[i])
		}
		bottom = vg.Length(len(lines))*lh + vg.Points(8)
	}
	area := draw.Crop(dc, 0, -strip, bottom, -top)
	rows, cols := len(p.grid), len(p.grid[0])
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(16), PadY: vg.Points(12), PadTop: vg.Points(2), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(4)}
	cs := plot.Align(p.grid, tiles, area)
	for j, row := range p.grid {
		for i, pl := range row {
			if pl != nil { // a row shorter than the widest
				pl.Draw(cs[j][i])
			}
		}
	}
}

// order returns the distinct keys of n items in order of first
// appearance, so the caller's order decides panels and legends.
func order(n int, key func(i int) string) []string {
	var out []string
	seen := map[string]bool{}
	for i := range n {
		if k := key(i); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// integerTicks labels whole numbers only (rounds, steps, turns), at a
// step of 1, 2 or 5 times a power of ten that keeps about eight labels.
var integerTicks = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
	first, last := math.Ceil(lo), math.Floor(hi)
	step := 1.0
	for mag := 1.0; (last-first)/step > 8; mag *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if step = m * mag; (last-first)/step <= 8 {
				break
			}
		}
	}
	var ts []plot.Tick
	for v := math.Ceil(first/step) * step; v <= last; v += step {
		ts = append(ts, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
	}
	return ts
})

// percentTicks labels a [0, 1] axis in percent.
var percentTicks = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for v := 0.0; v <= 1.0001; v += 0.1 {
		t := plot.Tick{Value: v}
		if math.Mod(math.Round(v*10), 2) == 0 {
			t.Label = strconv.Itoa(int(math.Round(v*100))) + "%"
		}
		if v >= lo-1e-9 && v <= hi+1e-9 {
			ts = append(ts, t)
		}
	}
	return ts
})

// TrainingPlot draws the loss, the KL estimate and the clip fraction
// against the step, one panel each, with one line per round. Points whose
// value is NaN or infinite (a diverged step) are left out of that panel's
// line rather than failing the whole chart; [WriteMarkdown] counts them.
func TrainingPlot(title string, pts []TrainingPoint) (*Figure, error) {
	if len(pts) == 0 {
		return nil, fmt.Errorf("eval: training plot: no training points")
	}
	sorted := append([]TrainingPoint(nil), pts...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Round != sorted[j].Round {
			return sorted[i].Round < sorted[j].Round
		}
		return sorted[i].Step < sorted[j].Step
	})
	rounds := order(len(sorted), func(i int) string { return strconv.Itoa(sorted[i].Round) })
	metrics := []struct {
		name string
		get  func(TrainingPoint) float64
	}{
		{"loss", func(p TrainingPoint) float64 { return p.Loss }},
		{klAxis, func(p TrainingPoint) float64 { return p.KL }},
		{"clip fraction", func(p TrainingPoint) float64 { return p.ClipFrac }},
	}
	fig := newPanels(titleText(title))
	for mi, m := range metrics {
		p := plot.New()
		p.Y.Label.Text = m.name
		if mi == len(metrics)-1 {
			p.X.Label.Text = "step"
		}
		p.X.Tick.Marker = integerTicks
		p.Add(plotter.NewGrid())
		for ri, round := range rounds {
			var xys plotter.XYs
			for _, tp := range sorted {
				if v := m.get(tp); strconv.Itoa(tp.Round) == round && !math.IsNaN(v) && !math.IsInf(v, 0) {
					xys = append(xys, plotter.XY{X: float64(tp.Step), Y: v})
				}
			}
			xys = decimate(xys, maxBuckets)
			col, glyph, dash := series(ri)
			line, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("eval: training plot: %w", err)
			}
			line.Color, line.Dashes, line.Width = col, dash, vg.Points(1.5)
			p.Add(line)
			thumbs := []plot.Thumbnailer{line}
			if len(xys) <= 30 { // mark the steps while they can be told apart
				dots, err := plotter.NewScatter(xys)
				if err != nil {
					return nil, fmt.Errorf("eval: training plot: %w", err)
				}
				dots.Color, dots.Shape, dots.Radius = col, glyph, vg.Points(2)
				p.Add(dots)
				thumbs = append(thumbs, dots)
			}
			if mi == 0 {
				fig.addLegend("round "+round, thumbs...)
			}
		}
		if m.name == klAxis {
			// The estimate can be negative (klNote): a line at 0 shows
			// where it is.
			zero := plotter.NewFunction(func(float64) float64 { return 0 })
			zero.Color, zero.Width = color.Gray{Y: 0x60}, vg.Points(0.8)
			p.Add(zero)
		}
		if m.name == "clip fraction" { // a fraction: from 0, and 0..1 when flat at 0
			p.Y.Min = 0
			if p.Y.Max <= 0 {
				p.Y.Max = 1
			}
		}
		fig.grid = append(fig.grid, []*plot.Plot{p})
	}
	fig.notes = append(fig.notes, klNote)
	return &Figure{width: 8 * vg.Inch, height: 7*vg.Inch + fig.notesHeight(8*vg.Inch), draw: fig.draw, legend: fig.names, notes: fig.notes, axes: []string{"loss", klAxis, "clip fraction"}}, nil
}

// klAxis and klNote say what the trainers' KL is (train.Metrics.KL): the
// mean of l − r, the policy's minus the reference's mean token
// log-likelihood, over the step's samples. That is the plain (k1)
// estimator on samples from the data, not from the policy, so a step
// whose samples the policy now finds less likely than the reference does
// (those it is pushed away from) reads below 0; the true KL cannot.
const (
	klAxis = "KL estimate (l − r)"
	klNote = "KL estimate: the mean of l − r (policy minus reference mean token log-likelihood) over the step's training samples, " +
		"not over the policy's own samples, so it is below 0 where the policy makes them less likely than the reference does " +
		"(as samples it learns to avoid); the true KL is never negative."
)

// maxBuckets bounds the points of a training curve: a 8-inch chart has
// under a thousand pixel columns, so more points only grow the SVG.
const maxBuckets = 600

// decimate thins a line of points sorted by x to at most 2·buckets
// points: the x range is cut into equal buckets and each keeps its lowest
// and highest point in x order, so spikes (a loss blowing up for one step)
// survive. Lines that already fit are returned as they are.
func decimate(xys plotter.XYs, buckets int) plotter.XYs {
	if len(xys) <= 2*buckets {
		return xys
	}
	lo, hi := xys[0].X, xys[len(xys)-1].X
	width := (hi - lo) / float64(buckets)
	out := make(plotter.XYs, 0, 2*buckets)
	for i := 0; i < len(xys); {
		b := min(buckets-1, int((xys[i].X-lo)/width))
		low, high := i, i
		for i++; i < len(xys) && min(buckets-1, int((xys[i].X-lo)/width)) == b; i++ {
			if xys[i].Y < xys[low].Y {
				low = i
			}
			if xys[i].Y > xys[high].Y {
				high = i
			}
		}
		if low == high {
			out = append(out, xys[low])
		} else {
			out = append(out, xys[min(low, high)], xys[max(low, high)])
		}
	}
	return out
}

// BarChart draws one bar per entry, in the given order, with its count
// and share of the total written above it: for instance a run's outcome
// mix. Counts must not be negative.
func BarChart(title, xLabel, yLabel string, bars []Bar) (*Figure, error) {
	return barChart(title, xLabel, yLabel, bars, 0, false)
}

// ShareChart is [BarChart] for counts that estimate shares (a run's
// outcome mix): each bar has the Wilson interval at quantile z (0 for
// 95%) of its share of the total as an error bar, in counts, as the
// report's table gives it.
func ShareChart(title, xLabel, yLabel string, bars []Bar, z float64) (*Figure, error) {
	return barChart(title, xLabel, yLabel, bars, z, true)
}

func barChart(title, xLabel, yLabel string, bars []Bar, z float64, intervals bool) (*Figure, error) {
	if len(bars) == 0 {
		return nil, fmt.Errorf("eval: bar chart %q: no bars", title)
	}
	total := 0
	vals := make(plotter.Values, len(bars))
	names := make([]string, len(bars))
	for i, b := range bars {
		if b.Count < 0 {
			return nil, fmt.Errorf("eval: bar chart %q: bar %q has count %d, want >= 0", title, b.Label, b.Count)
		}
		total += b.Count
		vals[i] = float64(b.Count)
		names[i] = label(b.Label)
	}
	w := math.Max(6, math.Min(12, 2+0.6*float64(len(bars))))
	p := plot.New()
	// Axis labels are cut to the figure's width, measured, not to a
	// number of characters: a long label of ours stays whole.
	p.X.Label.Text = fit(xLabel, p.X.Label.TextStyle, vg.Length(w-1)*vg.Inch)
	p.Y.Label.Text = fit(yLabel, p.Y.Label.TextStyle, 3*vg.Inch)
	p.Add(plotter.NewGrid())
	width := vg.Points(math.Max(8, math.Min(48, 500/float64(len(bars)))))
	chart, err := plotter.NewBarChart(vals, width)
	if err != nil {
		return nil, fmt.Errorf("eval: bar chart %q: %w", title, err)
	}
	chart.Color = palette[0]
	chart.LineStyle.Width = 0
	p.Add(chart)
	top := make([]float64, len(bars)) // where each bar's text goes
	for i, b := range bars {
		top[i] = float64(b.Count)
	}
	if intervals && total > 0 {
		var pts rateBars
		for i, b := range bars {
			r := NewRate(b.Count, total, z)
			n := float64(total)
			pts.XYs = append(pts.XYs, plotter.XY{X: float64(i), Y: float64(b.Count)})
			pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{float64(b.Count) - r.Lo*n, r.Hi*n - float64(b.Count)})
			top[i] = r.Hi * n
		}
		eb, err := plotter.NewYErrorBars(pts)
		if err != nil {
			return nil, fmt.Errorf("eval: bar chart %q: %w", title, err)
		}
		eb.Color, eb.Width, eb.CapWidth = color.Black, vg.Points(1), vg.Points(6)
		p.Add(eb)
		p.Y.Label.Text = fit(fmt.Sprintf("%s (%s interval of each share)", yLabel, levelName(z)), p.Y.Label.TextStyle, 3.2*vg.Inch)
	}
	p.NominalX(names...)
	labels := vg.Length(0)
	for _, n := range names {
		labels += p.X.Tick.Label.Width(n) + vg.Points(6)
	}
	if labels > vg.Length(w-1.5)*vg.Inch { // they would overlap: slant them
		p.X.Tick.Label.Rotation = math.Pi / 5
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
		p.Y.Padding = vg.Points(5) // NominalX's room for a centred first label
	}
	if len(bars) <= 24 { // counts stay legible
		xys := make(plotter.XYs, len(bars))
		texts := make([]string, len(bars))
		for i, b := range bars {
			xys[i] = plotter.XY{X: float64(i), Y: top[i]}
			texts[i] = strconv.Itoa(b.Count)
			if b.Count > 0 {
				pct := 100 * float64(b.Count) / float64(total)
				if pct < 1 { // a rare outcome is not 0%
					texts[i] += fmt.Sprintf(" (%.1f%%)", pct)
				} else {
					texts[i] += fmt.Sprintf(" (%.0f%%)", pct)
				}
			}
		}
		ls, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
		if err != nil {
			return nil, fmt.Errorf("eval: bar chart %q: %w", title, err)
		}
		for i := range ls.TextStyle {
			ls.TextStyle[i].XAlign, ls.TextStyle[i].YAlign = draw.XCenter, draw.YBottom
			ls.TextStyle[i].Font.Size = vg.Points(9)
		}
		ls.Offset.Y = vg.Points(3) // clear of an error bar's cap
		p.Add(ls)
	}
	p.Y.Min = 0
	// Bars count episodes: whole-number labels at even steps (gonum's
	// default gave a few hundred episodes two labels, 0.00 and 250.00).
	p.Y.Tick.Marker = integerTicks
	ymax := 0.0
	for _, t := range top {
		ymax = math.Max(ymax, t)
	}
	p.Y.Max = math.Max(1, ymax*1.12) // room for the counts above the tallest bar
	fig := newPanels(titleText(title))
	fig.grid = [][]*plot.Plot{{p}}
	return &Figure{width: vg.Length(w) * vg.Inch, height: 4 * vg.Inch, draw: fig.draw, axes: []string{p.X.Label.Text, p.Y.Label.Text}}, nil
}

// Histogram draws counts of whole-number values (for instance the turn at
// which each episode was decided) as a [BarChart] with one bar per value
// from the smallest to the largest, empty values included so that the
// axis stays linear.
func Histogram(title, xLabel string, counts map[int]int) (*Figure, error) {
	if len(counts) == 0 {
		return nil, fmt.Errorf("eval: histogram %q: no values", title)
	}
	lo, hi := math.MaxInt, math.MinInt
	for v := range counts {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi-lo >= 1000 {
		return nil, fmt.Errorf("eval: histogram %q: values span %d..%d, want fewer than 1000 bins", title, lo, hi)
	}
	bars := make([]Bar, 0, hi-lo+1)
	for v := lo; v <= hi; v++ {
		bars = append(bars, Bar{Label: strconv.Itoa(v), Count: counts[v]})
	}
	return BarChart(title, xLabel, "episodes", bars)
}
