package eval

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReportWithSavedFigures writes a loop's and a run's figures and page
// into one directory, as spag report would, and checks that every image
// the page links to is there and decodes.
func TestReportWithSavedFigures(t *testing.T) {
	dir := t.TempDir()
	loop, err := SaveLoopFigures(dir, LoopCharts{Rounds: sampleRounds(), Training: sampleTraining()})
	if err != nil {
		t.Fatal(err)
	}
	run := runReport().Runs[0]
	run.Figures = nil
	if run.Figures, err = SaveRunFigures(dir, "r-42-", run); err != nil {
		t.Fatal(err)
	}
	if len(loop) != 2 || len(run.Figures) != 2 {
		t.Fatalf("links: loop %+v, run %+v; want two each", loop, run.Figures)
	}
	r := Report{Title: "all", Rounds: sampleRounds(), Training: sampleTraining(), Figures: loop, Runs: []RunSummary{run}}
	var page bytes.Buffer
	if err := WriteMarkdown(&page, r); err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`!\[[^\]]*\]\(<([^>]+)>\)`).FindAllStringSubmatch(page.String(), -1)
	if len(links) != 4 {
		t.Fatalf("page links %d images, want 4:\n%s", len(links), page.String())
	}
	for _, l := range links {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(l[1])))
		if err != nil {
			t.Fatalf("linked image: %v", err)
		}
		if _, err := png.Decode(bytes.NewReader(data)); err != nil {
			t.Errorf("%s: %v", l[1], err)
		}
		svg := strings.TrimSuffix(l[1], ".png") + ".svg"
		if _, err := os.Stat(filepath.Join(dir, svg)); err != nil {
			t.Errorf("no SVG beside %s: %v", l[1], err)
		}
	}
}

func TestSaveFiguresSkipsMissingData(t *testing.T) {
	dir := t.TempDir()
	links, err := SaveLoopFigures(dir, LoopCharts{Training: sampleTraining()})
	if err != nil || len(links) != 1 || links[0].Path != "training.png" {
		t.Errorf("SaveLoopFigures(training only) = %+v, %v; want the training chart alone", links, err)
	}
	links, err = SaveRunFigures(dir, "", RunSummary{ID: "x", DecidedAt: map[int]int{2: 1}})
	if err != nil || len(links) != 1 || links[0].Path != "decided_at.png" {
		t.Errorf("SaveRunFigures(decided_at only) = %+v, %v; want the histogram alone", links, err)
	}
	if _, err := SaveRunFigures(dir, "a/", RunSummary{ID: "x", DecidedAt: map[int]int{2: 1}}); err == nil {
		t.Error("a prefix with a slash was accepted")
	}
	if _, err := SaveLoopFigures(filepath.Join(dir, "missing"), LoopCharts{Rounds: sampleRounds()}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("saving into a missing directory: %v, want an error naming it", err)
	}
}

// FuzzNames: whatever a name holds, a Markdown table row keeps its cells,
// the HTML keeps its elements, and the SVG stays well-formed XML.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"", "imitation", hostile, "|||", "\\|", "a\r\nb", "\x00\x7f\u0085\u202e", "<!--", "]]>", "&amp;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		r := Report{Rounds: []RoundResult{{Round: 1, Opponent: name, Role: name, Wins: 1, Games: 2, BaselineWins: 1, BaselineGames: 3}}}
		var b bytes.Buffer
		if err := WriteMarkdown(&b, r); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(b.String(), "\n") {
			if !strings.HasPrefix(line, "| 1 |") {
				continue
			}
			bars := 0
			for i := 0; i < len(line); i++ {
				if line[i] == '\\' {
					i++ // an escaped character
					continue
				}
				if line[i] == '|' {
					bars++
				}
			}
			if bars != 10 {
				t.Errorf("row has %d cell separators, want 10: %q", bars, line)
			}
		}
		if strings.ContainsAny(b.String(), "\x00\x1b\r") {
			t.Errorf("Markdown holds a raw control character: %q", b.String())
		}
		b.Reset()
		if err := WriteHTML(&b, r); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(strings.NewReader(strings.Replace(b.String(), "<!DOCTYPE html>", "", 1)))
		dec.Strict, dec.AutoClose, dec.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
		tds := 0
		walkXML(t, dec, func(tok xml.Token) {
			if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "td" {
				tds++
			}
		})
		if tds != 9 {
			t.Errorf("HTML has %d cells, want 9", tds)
		}
		fig, err := BarChart(name, name, name, []Bar{{name, 1}})
		if err != nil {
			t.Fatal(err)
		}
		b.Reset()
		if err := fig.WriteSVG(&b); err != nil {
			t.Fatal(err)
		}
		walkXML(t, xml.NewDecoder(&b), func(xml.Token) {})
	})
}
