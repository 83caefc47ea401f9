package eval

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sampleValues is a loop's exploitability and chips: round 0 the start.
func sampleValues() ValueChart {
	nan := math.NaN()
	return ValueChart{Name: "distance", Title: "distance per round", Caption: "distance and chips",
		Panels: []ValuePanel{
			{Title: "distance", YLabel: "chips per hand", MarkLowest: true, References: []Reference{{Name: "optimal", Value: 0}, {Name: "uniform", Value: 0.458}},
				Points: []ValuePoint{{Round: 2, Value: 0.2, Lo: nan, Hi: nan}, {Round: 0, Value: 0.45, Lo: nan, Hi: nan}, {Round: 1, Value: 0.14, Lo: nan, Hi: nan}}},
			{Title: "as first", YLabel: "chips per hand", References: []Reference{{Name: "game value", Value: -1.0 / 18}},
				Points: []ValuePoint{{Round: 0, Value: -0.2, Lo: -0.3, Hi: -0.1}, {Round: 1, Value: -0.05, Lo: -0.1, Hi: 0}}},
		},
		Notes: []string{"Round 0 is the start."}}
}

// TestValueFigure draws measures that are not win rates: the references
// once each in the legend, the lowest value of the marked panel named
// with its round, the notes, and the files a loop's figures save.
func TestValueFigure(t *testing.T) {
	f, err := ValueFigure(sampleValues())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"optimal", "uniform", "game value", "lowest: 0.14 (round 1)", "the round's model (95% interval where drawn)"} {
		if !slices.Contains(f.legend, want) {
			t.Errorf("legend %q lacks %q", f.legend, want)
		}
	}
	if len(f.legend) != 5 || len(f.notes) != 1 {
		t.Errorf("legend %q, notes %q; want each entry once and the note", f.legend, f.notes)
	}
	if _, err := ValueFigure(ValueChart{Name: "empty"}); err == nil {
		t.Error("a chart without panels drew")
	}
	dir := t.TempDir()
	links, err := SaveLoopFigures(dir, LoopCharts{Values: []ValueChart{sampleValues()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Path != "distance.png" || links[0].Caption != "distance and chips" {
		t.Fatalf("links %+v", links)
	}
	for _, name := range []string{"distance.png", "distance.svg"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}

// TestReportTables: a game's own tables head the page, escaped, in both
// formats, and a page of tables alone is a page.
func TestReportTables(t *testing.T) {
	r := Report{Title: "loop", Tables: []Table{{Title: "Distance", Header: []string{"round", "distance"}, Rows: [][]string{{"0", "0.45|x"}, {"1", "<b>"}}}}}
	var md, html bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Distance", "| round | distance |", `| 0 | 0.45\|x |`} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	for _, want := range []string{"<h2>Distance</h2>", "<th>distance</th>", "<td>&lt;b&gt;</td>"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %q:\n%s", want, html.String())
		}
	}
}
