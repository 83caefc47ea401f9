package eval

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

func loopReport() Report {
	return Report{
		Title:    "SPAG loop 7",
		Rounds:   sampleRounds(),
		Training: sampleTraining(),
		Samples: []SampleCount{
			{Round: 1, Role: "attacker", Samples: 3127}, {Round: 1, Role: "defender", Samples: 270},
			{Round: 2, Role: "attacker", Samples: 2900}, {Round: 2, Role: "defender", Samples: 0},
		},
		Figures: []FigureLink{{"win rate per round", "winrates.png"}, {"training curves", "plots/training curves.png"}},
	}
}

// hostile carries what model output or a careless spec may hold: terminal
// escapes, Markdown and HTML syntax, table separators and line breaks.
const hostile = "w|o\x1b[31mrd <b>*x*</b>\n# [link](javascript:alert(1)) & `code`"

func runReport() Report {
	return Report{
		Title: "run r-42",
		Runs: []RunSummary{{
			ID:      "r-42",
			Game:    "taboo:max_turns=5",
			Judge:   "spag@2",
			Players: []Player{{"attacker", "ollama:qwen3:0.6b"}, {"defender", hostile}},
			Outcomes: []OutcomeCount{
				{"attacker_wins", 120, false}, {"defender_wins", 45, false}, {"tie", 30, false},
				{"attacker_broke_rules", 4, true}, {"defender_broke_rules", 1, true},
			},
			Errored:   2,
			Rules:     []Bar{{"spag.guessed", 45}, {"spag.said_target", 120}, {hostile, 1}},
			DecidedAt: map[int]int{1: 3, 2: 10, 3: 22, 5: 9, 9: 2},
			Details:   []Detail{{"seed", "1"}, {"words", "heldout (120)"}},
			Figures:   []FigureLink{{"outcomes", "r-42/outcomes.png"}, {"decided_at", "r-42/decided_at.png"}},
		}},
	}
}

func TestReportGolden(t *testing.T) {
	tests := []struct {
		name string
		r    Report
	}{
		{"loop", loopReport()},
		{"run", runReport()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The golden files are testdata/TestReportGolden/NAME.{md,html}.golden;
			// go test ./eval -run TestReportGolden -update rewrites them.
			t.Run("md", func(t *testing.T) {
				var b bytes.Buffer
				if err := WriteMarkdown(&b, tt.r); err != nil {
					t.Fatal(err)
				}
				golden.RequireEqual(t, b.Bytes())
			})
			t.Run("html", func(t *testing.T) {
				var b bytes.Buffer
				if err := WriteHTML(&b, tt.r); err != nil {
					t.Fatal(err)
				}
				golden.RequireEqual(t, b.Bytes())
			})
		})
	}
}

func TestWriteMarkdownContent(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, loopReport()); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		// Round 2 against imitation as attacker: 68/100 against the
		// baseline's 51/100 is +17 points, separated from 0. The numbers
		// are those of testdata/intervals.py's functions.
		"| 2 | imitation | attacker | 68/100 | 68.0% | 58.3% – 76.3% | 51/100 (51.0%) | **+17.0 pp** | +3.4 pp to +29.8 pp |",
		// Round 0 as defender: -1 point, not separated.
		"| 0 | imitation | defender | 21/100 | 21.0% | 14.2% – 30.0% | 22/100 (22.0%) | -1.0 pp | -12.4 pp to +10.4 pp |",
		"| 0 | scripted:skill=0.5 | attacker | 61/100 | 61.0% |",
		"| 2 | 40 |",
		"| 2 | defender | 0 | 0.0% |",
		"![training curves](<plots/training%20curves.png>)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	// Every table row has as many cells as its header.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| round | opponent") && strings.Count(line, " | ") != 8 {
			t.Errorf("evaluation header has %d separators, want 8: %s", strings.Count(line, " | "), line)
		}
	}
}

// TestMarkdownEscapesNames: a hostile name stays one table cell of plain
// text and carries no raw control character.
func TestMarkdownEscapesNames(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, runReport()); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if strings.ContainsRune(md, 0x1b) {
		t.Error("Markdown holds a raw escape character")
	}
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		// Unescaped separators: count "|" not preceded by a backslash.
		cells := 0
		for i := range line {
			if line[i] == '|' && (i == 0 || line[i-1] != '\\') {
				cells++
			}
		}
		if cells != 5 && cells != 4 {
			t.Errorf("row splits into %d separators, want 4 or 5: %s", cells, line)
		}
	}
	if !strings.Contains(md, `w\|o␛\[31mrd \<b\>\*x\*\</b\> \# \[link\]\(javascript:alert\(1\)\) \& \`+"`code\\`") {
		t.Errorf("hostile name not escaped as expected:\n%s", md)
	}
}

func TestHTMLIsEscapedAndWellFormed(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, runReport()); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	if strings.Contains(h, "<b>") || strings.ContainsRune(h, 0x1b) {
		t.Errorf("HTML holds the name's markup or a control character unescaped")
	}
	// The page is well-formed enough for an XML reader (void elements
	// aside), so no name broke out of its element.
	dec := xml.NewDecoder(strings.NewReader(strings.Replace(h, "<!DOCTYPE html>", "", 1)))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	depth := map[string]int{}
	walkXML(t, dec, func(tok xml.Token) {
		if s, ok := tok.(xml.StartElement); ok {
			depth[s.Name.Local]++
		}
	})
	if depth["b"] != 0 || depth["script"] != 0 || depth["table"] != 3 {
		t.Errorf("elements %v: want no <b> or <script> and 3 tables", depth)
	}
}

func TestReportErrors(t *testing.T) {
	tests := []struct {
		name string
		r    Report
		want string
	}{
		{"empty", Report{Title: "x"}, "no rounds, training, samples, tables or runs"},
		{"bad result", Report{Rounds: []RoundResult{{Round: 1, Opponent: "o", Role: "r", Wins: 3, Games: 2}}}, "3 wins of 2 games"},
		{"negative samples", Report{Samples: []SampleCount{{Round: 1, Role: "r", Samples: -1}}}, `sample count 0 (round 1, role "r") is -1`},
		{"negative outcome", Report{Runs: []RunSummary{{ID: "a", Outcomes: []OutcomeCount{{Outcome: "tie", Count: -1}}}}}, `run 0 ("a"): outcome "tie" has count -1`},
		{"negative errored", Report{Runs: []RunSummary{{ID: "a", Errored: -3}}}, "errored count -3"},
		{"negative rule", Report{Runs: []RunSummary{{ID: "a", Rules: []Bar{{"r", -1}}}}}, `rule "r" has count -1`},
		{"negative decided_at", Report{Runs: []RunSummary{{ID: "a", DecidedAt: map[int]int{2: -1}}}}, "decided_at 2 has count -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var md, html bytes.Buffer
			err := WriteMarkdown(&md, tt.r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WriteMarkdown error = %v, want one containing %q", err, tt.want)
			}
			if md.Len() != 0 {
				t.Errorf("WriteMarkdown wrote %d bytes before failing", md.Len())
			}
			if err := WriteHTML(&html, tt.r); err == nil || html.Len() != 0 {
				t.Errorf("WriteHTML error = %v after %d bytes, want an error and nothing written", err, html.Len())
			}
		})
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n--; f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteMarkdownReportsWriteError(t *testing.T) {
	err := WriteMarkdown(&failWriter{n: 3}, loopReport())
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("error = %v, want the writer's", err)
	}
}

func TestUnknownDifferenceAndNoGames(t *testing.T) {
	var b bytes.Buffer
	err := WriteMarkdown(&b, Report{Rounds: []RoundResult{{Round: 1, Opponent: "o", Role: "attacker"}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "| 1 | o | attacker | 0/0 | – | – | – | – | – |"; !strings.Contains(b.String(), want) {
		t.Errorf("Markdown lacks %q:\n%s", want, b.String())
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	rs := []RoundResult{
		{Round: 2, Opponent: hostile, Role: "defender", Wins: 3, Games: 10},
		{Round: 1, Opponent: "o", Role: "attacker"},
	}
	if err := WriteText(&b, rs, 0); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want a header and two rows (no footnote):\n%s", len(lines), b.String())
	}
	if !strings.HasPrefix(lines[1], "1 ") || !strings.HasPrefix(lines[2], "2 ") {
		t.Errorf("rows not ordered by round:\n%s", b.String())
	}
	if strings.ContainsAny(b.String(), "\x1b\r") || strings.Count(b.String(), "\n") != 3 {
		t.Errorf("a name's control characters or line break reached the terminal: %q", b.String())
	}
	if !strings.Contains(lines[1], "0/0  ") || !strings.Contains(lines[1], " -  ") {
		t.Errorf("a result without games should show 0/0 and dashes: %q", lines[1])
	}
	for _, bad := range [][]RoundResult{nil, {{Wins: 2, Games: 1}}} {
		if err := WriteText(&b, bad, 0); err == nil {
			t.Errorf("WriteText(%+v) accepted", bad)
		}
	}
}
