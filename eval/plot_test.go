package eval

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/plot/plotter"
)

// keepPlots names a directory to keep the test figures in, for looking at
// them: go test ./eval -run Plot -keep-plots /tmp/plots
var keepPlots = flag.String("keep-plots", "", "directory to keep the rendered test figures in")

// sampleRounds is a three-round loop evaluated against two opponents in
// both roles, with a baseline for the first opponent only.
func sampleRounds() []RoundResult {
	return []RoundResult{
		{Round: 0, Opponent: "imitation", Role: "attacker", Wins: 52, Games: 100, BaselineWins: 50, BaselineGames: 100},
		{Round: 0, Opponent: "imitation", Role: "defender", Wins: 21, Games: 100, BaselineWins: 22, BaselineGames: 100},
		{Round: 0, Opponent: "scripted:skill=0.5", Role: "attacker", Wins: 61, Games: 100},
		{Round: 0, Opponent: "scripted:skill=0.5", Role: "defender", Wins: 30, Games: 100},
		{Round: 1, Opponent: "imitation", Role: "attacker", Wins: 58, Games: 100, BaselineWins: 49, BaselineGames: 100},
		{Round: 1, Opponent: "imitation", Role: "defender", Wins: 27, Games: 100, BaselineWins: 20, BaselineGames: 100},
		{Round: 1, Opponent: "scripted:skill=0.5", Role: "attacker", Wins: 66, Games: 100},
		{Round: 1, Opponent: "scripted:skill=0.5", Role: "defender", Wins: 35, Games: 100},
		{Round: 2, Opponent: "imitation", Role: "attacker", Wins: 68, Games: 100, BaselineWins: 51, BaselineGames: 100},
		{Round: 2, Opponent: "imitation", Role: "defender", Wins: 33, Games: 100, BaselineWins: 23, BaselineGames: 100},
		{Round: 2, Opponent: "scripted:skill=0.5", Role: "attacker", Wins: 70, Games: 100},
		{Round: 2, Opponent: "scripted:skill=0.5", Role: "defender", Wins: 36, Games: 100},
	}
}

// sampleTraining is two rounds of 40 steps with decaying loss, growing KL
// and a clip fraction that settles; one step's KL is NaN (diverged).
func sampleTraining() []TrainingPoint {
	var pts []TrainingPoint
	for round := 1; round <= 2; round++ {
		for step := 1; step <= 40; step++ {
			s := float64(step)
			p := TrainingPoint{
				Round:    round,
				Step:     step,
				Loss:     2.0/float64(round) + 1.5*math.Exp(-s/10) + 0.05*math.Sin(s),
				KL:       0.002 * s * float64(round),
				ClipFrac: 0.3 * math.Exp(-s/15) / float64(round),
			}
			if round == 2 && step == 20 {
				p.KL = math.NaN()
			}
			pts = append(pts, p)
		}
	}
	return pts
}

// checkPNG decodes a PNG, checks its size, and that it is not blank: a
// good share of its pixels differ from the white background and it holds
// several colours (text and axes in black, series in the palette).
func checkPNG(t *testing.T, data []byte, wantW, wantH int, minColours int, series ...color.RGBA) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != wantW || b.Dy() != wantH {
		t.Errorf("PNG is %dx%d, want %dx%d", b.Dx(), b.Dy(), wantW, wantH)
	}
	colours := map[color.RGBA]bool{}
	inked := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			colours[c] = true
			if c != (color.RGBA{255, 255, 255, 255}) {
				inked++
			}
		}
	}
	share := float64(inked) / float64(b.Dx()*b.Dy())
	if share < 0.01 || share > 0.6 {
		t.Errorf("%.2f%% of the pixels are not background, want 1%% to 60%%", 100*share)
	}
	if len(colours) < minColours {
		t.Errorf("%d distinct colours, want at least %d", len(colours), minColours)
	}
	for _, want := range series {
		if !colours[want] {
			t.Errorf("no pixel of series colour %v", want)
		}
	}
}

// walkXML reads every token of dec, failing the test on a syntax error.
func walkXML(t *testing.T, dec *xml.Decoder, visit func(xml.Token)) {
	t.Helper()
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		visit(tok)
	}
}

// checkSVG parses an SVG as XML and returns its text elements' content.
func checkSVG(t *testing.T, data []byte) []string {
	t.Helper()
	var texts []string
	inText, root := false, ""
	walkXML(t, xml.NewDecoder(bytes.NewReader(data)), func(tok xml.Token) {
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
			inText = tok.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		case xml.EndElement:
			inText = false
		}
	})
	if root != "svg" {
		t.Fatalf("SVG root element is %q, want svg", root)
	}
	return texts
}

// render writes f both ways, checks both, and keeps them if asked.
func render(t *testing.T, f *Figure, name string, minColours int, series ...color.RGBA) (svgTexts []string) {
	t.Helper()
	var svg, pngBuf bytes.Buffer
	if err := f.WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	if err := f.WritePNG(&pngBuf); err != nil {
		t.Fatal(err)
	}
	w, h := f.Size()
	checkPNG(t, pngBuf.Bytes(), int(math.Round(w/72*pngDPI)), int(math.Round(h/72*pngDPI)), minColours, series...)
	texts := checkSVG(t, svg.Bytes())
	if *keepPlots != "" {
		if _, err := f.Save(*keepPlots, name); err != nil {
			t.Fatal(err)
		}
	}
	return texts
}

func hasText(texts []string, want string) bool {
	for _, s := range texts {
		if strings.Contains(s, want) {
			return true
		}
	}
	return false
}

func TestWinRatePlot(t *testing.T) {
	f, err := WinRatePlot("win rate per round", sampleRounds(), 0)
	if err != nil {
		t.Fatal(err)
	}
	texts := render(t, f, "winrates", 8, palette[0], palette[1])
	for _, want := range []string{"win rate per round", "as attacker", "as defender", "round", "vs imitation", "vs scripted:skill=0.5", "imitation baseline", "win rate (95% interval)", "40%"} {
		if !hasText(texts, want) {
			t.Errorf("SVG has no text %q; texts: %q", want, texts)
		}
	}
	if hasText(texts, "scripted:skill=0.5 baseline") || hasText(texts, "-0") {
		t.Errorf("texts %q: a legend entry for a baseline that was not given, or a negative zero", texts)
	}
}

func TestWinRatePlotOneRound(t *testing.T) {
	// The first round of a loop: one point per series, no baseline.
	// Opponent c is met in the second role only and still needs its
	// legend entry.
	f, err := WinRatePlot("", []RoundResult{
		{Round: 1, Opponent: "b", Role: "attacker", Wins: 0, Games: 10},
		{Round: 1, Opponent: "b", Role: "defender", Wins: 10, Games: 10},
		{Round: 1, Opponent: "c", Role: "defender", Wins: 3, Games: 10},
	}, 1.6448536269514722)
	if err != nil {
		t.Fatal(err)
	}
	texts := render(t, f, "winrates-one", 3, palette[0], palette[1])
	if !hasText(texts, "90% interval") || hasText(texts, "baseline") || !hasText(texts, "vs c") || hasText(texts, "(none)") {
		t.Errorf("texts %q: want a 90%% interval, a legend entry for c, no baseline and no title", texts)
	}
}

func TestTrainingPlot(t *testing.T) {
	f, err := TrainingPlot("training", sampleTraining())
	if err != nil {
		t.Fatal(err)
	}
	texts := render(t, f, "training", 8, palette[0], palette[1])
	for _, want := range []string{"loss", "KL estimate", "clip fraction", "step", "round 1", "round 2"} {
		if !hasText(texts, want) {
			t.Errorf("SVG has no text %q", want)
		}
	}
	// Imitation without a reference: KL and clip fraction are 0 at every
	// step, a flat line on an axis gonum widens around it; one short round.
	var sft []TrainingPoint
	for step := 1; step <= 5; step++ {
		sft = append(sft, TrainingPoint{Round: 3, Step: step, Loss: 3 - 0.2*float64(step)})
	}
	f, err = TrainingPlot("imitation", sft)
	if err != nil {
		t.Fatal(err)
	}
	if texts := render(t, f, "training-sft", 3, palette[0]); !hasText(texts, "round 3") {
		t.Errorf("SVG has no legend entry for round 3: %q", texts)
	}
}

func TestBarChartAndHistogram(t *testing.T) {
	f, err := BarChart("outcomes", "outcome", "episodes", []Bar{
		{"attacker_wins", 120}, {"defender_wins", 45}, {"tie", 30}, {"attacker_broke_rules", 4}, {"defender_broke_rules", 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	texts := render(t, f, "outcomes", 3, palette[0])
	for _, want := range []string{"attacker_wins", "120 (60%)", "defender_broke_rules"} {
		if !hasText(texts, want) {
			t.Errorf("SVG has no text %q", want)
		}
	}
	f, err = Histogram("decided at", "utterance", map[int]int{1: 3, 2: 10, 3: 22, 5: 9, 9: 2})
	if err != nil {
		t.Fatal(err)
	}
	texts = render(t, f, "decided_at", 3, palette[0])
	for _, want := range []string{"4", "22 (48%)", "9"} {
		if !hasText(texts, want) {
			t.Errorf("histogram SVG has no text %q (empty bins must be drawn)", want)
		}
	}
	// The count axis is labelled in whole episodes at several steps: a
	// run's decided-at figure (these counts) had two labels, "0.00" and
	// "250.00".
	f, err = Histogram("decided at", "utterance", map[int]int{1: 2, 2: 2, 3: 12, 4: 2, 5: 8, 6: 20, 7: 7, 8: 235, 10: 12})
	if err != nil {
		t.Fatal(err)
	}
	texts = render(t, f, "decided_at_300", 3, palette[0])
	if hasText(texts, ".00") || !slices.Contains(texts, "100") || !slices.Contains(texts, "200") {
		t.Errorf("histogram's count axis: texts %q, want whole numbers 0, 50, ..., 250", texts)
	}
}

// TestUntrustedLabels: names come from player specs and model-chosen
// words; control characters must neither break the SVG nor reach it raw.
func TestUntrustedLabels(t *testing.T) {
	evil := "x\x1b[2J<script>&\"\x00\nline" + strings.Repeat("long", 100)
	f, err := WinRatePlot(evil, []RoundResult{{Round: 1, Opponent: evil, Role: evil, Wins: 1, Games: 2}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	texts := render(t, f, "evil", 3)
	joined := strings.Join(texts, "|")
	if strings.ContainsAny(joined, "\x1b\x00") || !strings.Contains(joined, "<script>") || !strings.Contains(joined, "…") {
		t.Errorf("texts %q: want controls replaced, markup kept as text, long names cut", texts)
	}
	g, err := BarChart(evil, evil, evil, []Bar{{evil, 1}})
	if err != nil {
		t.Fatal(err)
	}
	render(t, g, "evil-bars", 2)
}

func TestPlotErrors(t *testing.T) {
	tests := []struct {
		name string
		f    func() error
		want string
	}{
		{"no results", func() error { _, err := WinRatePlot("", nil, 0); return err }, "no results"},
		{"wins above games", func() error {
			_, err := WinRatePlot("", []RoundResult{{Round: 3, Opponent: "o", Role: "r", Wins: 5, Games: 4}}, 0)
			return err
		}, `result 0 (round 3, opponent "o", role "r"): 5 wins of 4 games`},
		{"bad baseline", func() error {
			_, err := WinRatePlot("", []RoundResult{{Round: 3, Opponent: "o", Role: "r", BaselineWins: -1, BaselineGames: 4}}, 0)
			return err
		}, "baseline -1 wins of 4 games"},
		{"duplicate", func() error {
			r := RoundResult{Round: 1, Opponent: "o", Role: "r", Wins: 1, Games: 2}
			_, err := WinRatePlot("", []RoundResult{r, r}, 0)
			return err
		}, "same round, opponent and role as result 0"},
		{"no training", func() error { _, err := TrainingPlot("", nil); return err }, "no training points"},
		{"no bars", func() error { _, err := BarChart("mix", "", "", nil); return err }, `bar chart "mix": no bars`},
		{"negative bar", func() error { _, err := BarChart("mix", "", "", []Bar{{"a", -2}}); return err }, `bar "a" has count -2`},
		{"empty histogram", func() error { _, err := Histogram("h", "", nil); return err }, "no values"},
		{"wide histogram", func() error { _, err := Histogram("h", "", map[int]int{0: 1, 5000: 1}); return err }, "fewer than 1000 bins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSave(t *testing.T) {
	f, err := Histogram("h", "x", map[int]int{1: 1, 2: 3})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files, err := f.Save(dir, "hist")
	if err != nil {
		t.Fatal(err)
	}
	if files.SVG != filepath.Join(dir, "hist.svg") || files.PNG != filepath.Join(dir, "hist.png") {
		t.Errorf("files = %+v", files)
	}
	data, err := os.ReadFile(files.PNG)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("saved PNG: %v", err)
	}
	for _, bad := range []string{"", "a/b", "..", `a\b`} {
		if _, err := f.Save(dir, bad); err == nil || !strings.Contains(err.Error(), "plain file name") {
			t.Errorf("Save(%q) error = %v, want a plain-file-name error", bad, err)
		}
	}
	if _, err := f.Save(filepath.Join(dir, "missing"), "x"); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Save into a missing directory: error = %v, want one naming the path", err)
	}
}

// TestFigureConcurrentWrites: one figure written by several goroutines at
// once (run with -race) gives identical SVGs. A constant series (the clip
// fraction of an objective that does not clip) is the case where drawing
// widens an axis in place, which Figure's lock serialises. The race
// detector seldom sees that write without the lock, because gonum's font
// cache mutex happens to order the goroutines, so this test guards the
// outcome rather than proving the lock necessary.
func TestFigureConcurrentWrites(t *testing.T) {
	pts := sampleTraining()
	for i := range pts {
		pts[i].ClipFrac = 0
	}
	f, err := TrainingPlot("sft", pts)
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	svgs := make([][]byte, n)
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			var b bytes.Buffer
			errs <- f.WriteSVG(&b)
			svgs[i] = b.Bytes()
		}()
		go func() {
			defer wg.Done()
			errs <- f.WritePNG(io.Discard)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < n; i++ {
		if !bytes.Equal(svgs[i], svgs[0]) {
			t.Fatalf("SVG %d differs from SVG 0", i)
		}
	}
}

func TestDecimate(t *testing.T) {
	var xys plotter.XYs
	for i := range 10000 {
		y := math.Sin(float64(i) / 300)
		if i == 4321 {
			y = 50 // one diverging step
		}
		xys = append(xys, plotter.XY{X: float64(i), Y: y})
	}
	got := decimate(xys, 100)
	if len(got) > 200 || len(got) < 100 {
		t.Fatalf("%d points, want 100 to 200", len(got))
	}
	lo, hi, spike := math.Inf(1), math.Inf(-1), false
	for i, p := range got {
		if i > 0 && p.X <= got[i-1].X {
			t.Fatalf("x not increasing at %d: %v after %v", i, p, got[i-1])
		}
		lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
		spike = spike || p.X == 4321
	}
	if !spike || hi != 50 || lo > -0.9999 {
		t.Errorf("kept range [%g, %g], spike %v: want the spike and the troughs kept", lo, hi, spike)
	}
	short := xys[:150]
	if got := decimate(short, 100); len(got) != 150 {
		t.Errorf("a line that fits was thinned to %d points", len(got))
	}
}
