package eval

import (
	"bytes"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

// tabooLoop is a three-round Taboo loop against its frozen reference
// ("native", the starting model) and the built-in players, 1,000 games
// a pairing, as docs/learning.md measured it.
func tabooLoop() []RoundResult {
	var rs []RoundResult
	for _, r := range []struct {
		round     int
		opp, role string
		w, bw     int
	}{
		{1, "native", "attacker", 740, 613}, {1, "native", "defender", 370, 383},
		{1, "builtin", "attacker", 318, 403}, {1, "builtin", "defender", 243, 395},
		{2, "native", "attacker", 803, 612}, {2, "native", "defender", 370, 384},
		{2, "builtin", "attacker", 331, 395}, {2, "builtin", "defender", 287, 376},
		{3, "native", "attacker", 772, 609}, {3, "native", "defender", 350, 377},
		{3, "builtin", "attacker", 282, 390}, {3, "builtin", "defender", 266, 375},
	} {
		rs = append(rs, RoundResult{Round: r.round, Opponent: r.opp, Role: r.role, Wins: r.w, Games: 1000, BaselineWins: r.bw, BaselineGames: 1000})
	}
	return rs
}

// apoLoop is a two-round APO loop's measures (docs/apo-measured.md) as
// cells and panels, the way package apoloop draws them.
func apoLoop() ([]RoundResult, WinRateOptions) {
	cell := func(round int, opp, role string, w, n, bw, bn int) RoundResult {
		return RoundResult{Round: round, Opponent: opp, Role: role, Wins: w, Games: n, BaselineWins: bw, BaselineGames: bn}
	}
	rs := []RoundResult{
		cell(1, "frozen reward model", "generator", 390, 479, 268, 479),
		cell(1, "reverse dictionary top-1", "generator", 0, 479, 0, 479),
		cell(1, "reverse dictionary top-5", "generator", 0, 479, 2, 479),
		cell(1, "held-out preferences", "reward model", 383, 777, 385, 777),
		cell(1, "held-out gold vs generated", "reward model", 84, 479, 89, 479),
		cell(2, "frozen reward model", "generator", 426, 479, 268, 479),
		cell(2, "reverse dictionary top-1", "generator", 0, 479, 0, 479),
		cell(2, "reverse dictionary top-5", "generator", 0, 479, 2, 479),
		cell(2, "held-out preferences", "reward model", 384, 777, 385, 777),
		cell(2, "held-out gold vs generated", "reward model", 132, 479, 53, 479),
	}
	o := WinRateOptions{
		ByOpponent: true,
		Baseline:   "the initial generator and reward model",
		Axes: map[string]string{"frozen reward model": "win rate", "reverse dictionary top-1": "top-1 hit rate", "reverse dictionary top-5": "top-5 hit rate",
			"held-out preferences": "pairs ranked right", "held-out gold vs generated": "pairs ranked right"},
		Start: []RoundResult{
			cell(0, "frozen reward model", "generator", 268, 479, 0, 0),
			cell(0, "reverse dictionary top-1", "generator", 0, 479, 0, 0),
			cell(0, "reverse dictionary top-5", "generator", 2, 479, 0, 0),
			cell(0, "held-out preferences", "reward model", 385, 777, 0, 0),
		},
		Metrics: []MetricPanel{
			{Role: "reward model", Title: "calibration: held-out preferences", YLabel: "calibration error (ECE)",
				Points: []MetricPoint{{0, 0.0372, math.NaN()}, {1, 0.0538, 0.0372}, {2, 0.0647, 0.0372}}},
			{Role: "reward model", Title: "calibration: gold vs generated", YLabel: "calibration error (ECE)",
				Points: []MetricPoint{{1, 0.3936, 0.3607}, {2, 0.2823, 0.4429}}},
		},
	}
	return rs, o
}

// pngOf renders f as a decoded PNG.
func pngOf(t *testing.T, f *Figure) (pixels map[color.RGBA]int) {
	t.Helper()
	var b bytes.Buffer
	if err := f.WritePNG(&b); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	pixels = map[color.RGBA]int{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			pixels[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	return pixels
}

// TestLoopWinRateChart: a loop's chart starts at round 0, draws the
// starting model's results there where the loop has them and names the
// series without, says how many games make each point, names the loop,
// and draws each baseline's interval as a band of its colour.
func TestLoopWinRateChart(t *testing.T) {
	start := []RoundResult{
		{Opponent: "native", Role: "attacker", Wins: 613, Games: 1000},
		{Opponent: "native", Role: "defender", Wins: 383, Games: 1000},
	}
	tests := []struct {
		name        string
		o           WinRateOptions
		wantTexts   []string
		missingNote string // "" for none
	}{
		{"round 0 against the reference only",
			WinRateOptions{Title: "win rate per round", Loop: "l-7", FromStart: true, Start: start, Baseline: "against itself",
				Names: map[string]string{"native": "vs the frozen reference (native)"}},
			[]string{"win rate per round, loop l-7", "0 (start)", "vs the frozen reference (native) (n = 1000)", "vs builtin (n = 1000)", "builtin against itself (n = 1000)"},
			"vs builtin"},
		{"no round 0 at all",
			WinRateOptions{Loop: "l-8", FromStart: true},
			[]string{"loop l-8", "0 (start)", "vs native (n = 1000)", "native baseline (n = 1000)"},
			"vs native; vs builtin"},
		{"round 0 for every series",
			WinRateOptions{FromStart: true, Start: append(start,
				RoundResult{Opponent: "builtin", Role: "attacker", Wins: 344, Games: 1000},
				RoundResult{Opponent: "builtin", Role: "defender", Wins: 322, Games: 1000})},
			[]string{"0 (start)", "vs builtin (n = 1000)"},
			""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := WinRateChart(tabooLoop(), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			texts := render(t, f, "loop-"+strings.ReplaceAll(tt.name, " ", "-"), 8, palette[0], palette[1])
			for _, want := range tt.wantTexts {
				if !hasText(texts, want) {
					t.Errorf("SVG has no text %q; texts: %q", want, texts)
				}
			}
			note := strings.Join(f.notes, "\n")
			if hasText(texts, ", loop") && !hasText(texts, "per round, loop") {
				t.Errorf("texts %q: a loop named after an empty title", texts)
			}
			if tt.missingNote == "" && strings.Contains(note, "not measured") {
				t.Errorf("notes %q: a missing round 0 named where none is missing", f.notes)
			}
			if tt.missingNote != "" && !strings.Contains(note, "Round 0 (the starting model) was not measured for: "+tt.missingNote+".") {
				t.Errorf("notes %q: want round 0's absence named for %s", f.notes, tt.missingNote)
			}
			// The baselines' bands: their own pale colour covers a good
			// share of a band 0.6 round wide and ±3 points high.
			pixels := pngOf(t, f)
			for _, col := range []color.RGBA{palette[0], palette[1]} {
				band := color.RGBAModel.Convert(bandColour(col)).(color.RGBA)
				if pixels[band] < 500 {
					t.Errorf("%d pixels of the band colour %v of series %v, want at least 500", pixels[band], band, col)
				}
			}
		})
	}
}

// TestWinRateChartStartErrors: round 0's results must be of round 0 and
// not repeat one of the results.
func TestWinRateChartStartErrors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		start RoundResult
		rs    []RoundResult
		want  string
	}{
		{"round 1 as start", RoundResult{Round: 1, Opponent: "native", Role: "attacker", Wins: 1, Games: 2}, tabooLoop(), "start result 0 is of round 1, want 0"},
		{"round 0 twice", RoundResult{Opponent: "native", Role: "attacker", Wins: 1, Games: 2},
			append(tabooLoop(), RoundResult{Opponent: "native", Role: "attacker", Wins: 1, Games: 2}), "round 0 given twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WinRateChart(tt.rs, WinRateOptions{FromStart: true, Start: []RoundResult{tt.start}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestAPOWinRateChart: an APO loop's measures get a panel each with the
// axis of what it counts (not "win rate" for hits and accuracy), top-1
// and top-5 hits apart, the calibration errors drawn, and a short legend.
func TestAPOWinRateChart(t *testing.T) {
	rs, o := apoLoop()
	o.Title, o.Loop, o.FromStart = "each round's measures", "apo-1", true
	f, err := WinRateChart(rs, o)
	if err != nil {
		t.Fatal(err)
	}
	texts := render(t, f, "apo", 8, palette[0], palette[1])
	wantAxes := []string{"win rate (95% interval)", "top-1 hit rate (95% interval)", "top-5 hit rate (95% interval)",
		"pairs ranked right (95% interval)", "pairs ranked right (95% interval)", "calibration error (ECE)", "calibration error (ECE)"}
	if strings.Join(f.axes, "|") != strings.Join(wantAxes, "|") {
		t.Errorf("y axes %q, want %q (a panel per measure, each naming what it counts)", f.axes, wantAxes)
	}
	for _, want := range []string{"generator vs reverse dictionary top-1 (n = 479)", "generator vs reverse dictionary top-5 (n = 479)", "calibration: held-out preferences", "loop apo-1"} {
		if !hasText(texts, want) {
			t.Errorf("SVG has no text %q; texts %q", want, texts)
		}
	}
	if len(f.legend) > 3 {
		t.Errorf("%d legend entries %q, want at most 3", len(f.legend), f.legend)
	}
	if note := strings.Join(f.notes, "\n"); !strings.Contains(note, "not measured for: reward model vs held-out gold vs generated; calibration: gold vs generated.") {
		t.Errorf("notes %q: want round 0's absence named for the gold-vs-generated panels", f.notes)
	}
	if _, err := WinRateChart(rs, WinRateOptions{Metrics: o.Metrics}); err == nil || !strings.Contains(err.Error(), "need ByOpponent") {
		t.Errorf("metric panels without ByOpponent: error %v", err)
	}
	// A panel of a role without results gets a row of its own.
	o.Metrics[0].Role = "judge"
	if f, err = WinRateChart(rs, o); err != nil || len(f.axes) != len(wantAxes) {
		t.Errorf("a metric panel of another role: axes %q, %v; want all %d panels drawn", f.axes, err, len(wantAxes))
	}
}

// TestTrainingPlotExplainsKL: the trainers' KL is the mean of l − r over
// the step's samples, which goes below 0; the chart says what it plots
// and why it can be negative.
func TestTrainingPlotExplainsKL(t *testing.T) {
	pts := sampleTraining()
	for i := range pts {
		pts[i].KL -= 0.05 // below 0 for most steps
	}
	f, err := TrainingPlot("training", pts)
	if err != nil {
		t.Fatal(err)
	}
	texts := render(t, f, "training-negative-kl", 8, palette[0], palette[1])
	if f.axes[1] != "KL estimate (l − r)" || hasText(texts, "KL to reference") {
		t.Errorf("KL axis %q: want it to name the estimate", f.axes[1])
	}
	if !hasText(texts, "below 0") || !hasText(texts, "never negative") {
		t.Errorf("SVG texts %q: want a note on why the KL estimate goes below 0", texts)
	}
}

// TestRunFigures: a run's outcome bars carry the intervals the report's
// table gives, and the decided_at histogram's axis label is whole and
// fits the figure.
func TestRunFigures(t *testing.T) {
	dir := t.TempDir()
	if *keepPlots != "" {
		dir = *keepPlots
	}
	run := RunSummary{ID: "r-1", Outcomes: []OutcomeCount{{"attacker_wins", 120, false}, {"defender_wins", 45, false}, {"tie", 30, false}, {"attacker_broke_rules", 4, true}},
		DecidedAt: map[int]int{1: 3, 2: 10, 3: 22, 5: 9}}
	if _, err := SaveRunFigures(dir, "", run); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []string {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return checkSVG(t, data)
	}
	outcomes := read("outcomes.svg")
	if !hasText(outcomes, "episodes (95% interval of each share)") {
		t.Errorf("outcome chart texts %q: want the intervals named on the axis", outcomes)
	}
	f, err := ShareChart("outcomes", "outcome", "episodes", []Bar{{"a", 120}, {"b", 4}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if pixels := pngOf(t, f); pixels[color.RGBA{0, 0, 0, 255}] < 60 {
		t.Errorf("%d black pixels: want the error bars drawn in black", pixels[color.RGBA{0, 0, 0, 255}])
	}
	decided := read("decided_at.svg")
	const want = "utterance at which the episode was decided"
	if !hasText(decided, want) || hasText(decided, "…") {
		t.Errorf("histogram texts %q: want the whole x label %q", decided, want)
	}
	h, err := Histogram("decided", want, run.DecidedAt)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := h.Size()
	if lw := figureFont(vg.Points(12)).Width(h.axes[0]); lw.Points() > w {
		t.Errorf("x label %q is %.0f pt wide in a %.0f pt figure", h.axes[0], lw.Points(), w)
	}
	long := strings.Repeat("a long label ", 40)
	if h, err = Histogram("decided", long, run.DecidedAt); err != nil {
		t.Fatal(err)
	}
	if w, _ := h.Size(); !strings.HasSuffix(h.axes[0], "…") || figureFont(vg.Points(12)).Width(h.axes[0]).Points() > w {
		t.Errorf("x label %q: want a label too long for the figure cut to its width", h.axes[0])
	}
}
