package eval

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spag-go/spag/internal/safetext"
)

// Report is what [WriteMarkdown] and [WriteHTML] render: a loop's
// evaluation and training, one or more single runs, or both. Every section
// is optional, but a report must hold something. Names (opponents, roles,
// outcomes, rules, player specs) are the caller's and are escaped, never
// interpreted.
type Report struct {
	// Title heads the page.
	Title string
	// Z is the normal quantile of every interval; 0 selects [Z95] (95%).
	Z float64
	// Rounds are the loop's evaluation results (see [RoundResult]).
	Rounds []RoundResult
	// Training holds the trainer's metrics of every round's steps.
	Training []TrainingPoint
	// Samples counts the training samples of each round by role: the role
	// balance of the data, which SPAG's winner-only rewards can skew.
	Samples []SampleCount
	// Figures are the loop's charts, linked from the page.
	Figures []FigureLink
	// Runs are single runs, one section each.
	Runs []RunSummary
	// Tables are a game's own tables of its loop ([LoopCharts.Tables]).
	Tables []Table
}

// SampleCount is the number of training samples a round drew from one
// role.
type SampleCount struct {
	Round   int    `json:"round"`
	Role    string `json:"role"`
	Samples int    `json:"samples"`
}

// FigureLink is an image the page shows. Path is written as given, so it
// should be relative to where the page is written (for instance the name
// [Figure.Save] returned, made relative) for the page to move with its
// images.
type FigureLink struct {
	Caption string `json:"caption"`
	Path    string `json:"path"`
}

// RunSummary describes one run for its section of a report.
type RunSummary struct {
	// ID names the run (its database key, say).
	ID string `json:"id"`
	// Game is the game's stored description, Judge its judge's name and
	// version.
	Game  string `json:"game"`
	Judge string `json:"judge"`
	// Players lists who played each role.
	Players []Player `json:"players"`
	// Outcomes counts the judged episodes by outcome, in the order to show.
	Outcomes []OutcomeCount `json:"outcomes"`
	// Errored counts episodes that failed to play; they have no outcome.
	Errored int `json:"errored"`
	// Rules counts the judged episodes by the judge rule that decided them.
	Rules []Bar `json:"rules"`
	// DecidedAt counts the decided episodes by the utterance at which they
	// were decided.
	DecidedAt map[int]int `json:"decided_at"`
	// Details are further facts to list, in order (seed, word list, ...).
	Details []Detail `json:"details"`
	// Figures are the run's charts, linked from its section.
	Figures []FigureLink `json:"figures"`
}

// Player is one role's player in a run.
type Player struct {
	Role string `json:"role"`
	Spec string `json:"spec"`
}

// OutcomeCount is the number of episodes that ended with one outcome.
// RuleBreak marks the outcomes in which a player broke the game's rules.
type OutcomeCount struct {
	Outcome   string `json:"outcome"`
	Count     int    `json:"count"`
	RuleBreak bool   `json:"rule_break"`
}

// Detail is a named fact about a run.
type Detail struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// The page model: every number already formatted, every name still raw,
// so that each output format escapes text its own way in one place.
type (
	page struct {
		Title    string
		Level    string
		Rounds   []roundRow
		Training []trainRow
		Samples  []sampleRow
		Figures  []FigureLink
		Runs     []runView
		Tables   []Table
	}
	roundRow struct {
		Round, Opponent, Role, Record, Rate, Interval string
		Baseline, Diff, DiffInterval                  string
		// Separated marks a difference whose interval excludes 0.
		Separated bool
	}
	trainRow struct {
		Round, Steps, Loss, KL, MaxKL, ClipFrac, NonFinite string
	}
	sampleRow struct {
		Round, Role, Samples, Share string
	}
	runView struct {
		ID, Game, Judge string
		Players         []Player
		Details         []Detail
		Judged, Errored string
		Outcomes        []countRow
		RuleBreaks      string
		Rules           []countRow
		DecidedAt       []countRow
		MeanDecidedAt   string
		Figures         []FigureLink
	}
	countRow struct {
		Name, Count, Share, Interval string
	}
)

// percent formats a proportion as "12.3%", never "-0.0%".
func percent(p float64) string {
	return strconv.FormatFloat(round1(100*p), 'f', 1, 64) + "%"
}

// points formats a difference of proportions in percentage points with
// its sign, "+4.5 pp".
func points(d float64) string {
	v := round1(100 * d)
	if v == 0 {
		return "0.0 pp"
	}
	return fmt.Sprintf("%+.1f pp", v)
}

// round1 rounds to one decimal and turns -0 into 0.
func round1(v float64) float64 {
	if v = math.Round(v*10) / 10; v == 0 {
		return 0
	}
	return v
}

// metric formats a trainer metric with four significant digits.
func metric(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// plainFigures cleans the captions; paths are the caller's own and pass
// as they are (each format escapes them as a link).
func plainFigures(fs []FigureLink) []FigureLink {
	out := make([]FigureLink, len(fs))
	for i, f := range fs {
		out[i] = FigureLink{Caption: plain(f.Caption), Path: f.Path}
	}
	return out
}

// buildPage checks r and formats its numbers.
func buildPage(r Report) (page, error) {
	if len(r.Rounds) == 0 && len(r.Training) == 0 && len(r.Samples) == 0 && len(r.Runs) == 0 && len(r.Tables) == 0 {
		return page{}, errors.New("eval: report has no rounds, training, samples, tables or runs to show")
	}
	if err := CheckResults(r.Rounds); err != nil {
		return page{}, err
	}
	z := zOrDefault(r.Z)
	p := page{Title: plain(r.Title), Level: levelName(z), Figures: plainFigures(r.Figures)}
	for _, t := range r.Tables {
		pt := Table{Title: plain(t.Title)}
		for _, h := range t.Header {
			pt.Header = append(pt.Header, plain(h))
		}
		for _, row := range t.Rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = plain(c)
			}
			pt.Rows = append(pt.Rows, cells)
		}
		p.Tables = append(p.Tables, pt)
	}
	if p.Title == "" {
		p.Title = "spag report"
	}
	p.Rounds = roundRows(r.Rounds, z)
	p.Training = trainRows(r.Training)
	var err error
	if p.Samples, err = sampleRows(r.Samples); err != nil {
		return page{}, err
	}
	for i, run := range r.Runs {
		v, err := runPage(run, z)
		if err != nil {
			return page{}, fmt.Errorf("eval: run %d (%q): %w", i, run.ID, err)
		}
		p.Runs = append(p.Runs, v)
	}
	return p, nil
}

// roundRows orders results by round, then opponents and roles in order of
// first appearance.
func roundRows(rs []RoundResult, z float64) []roundRow {
	oppIdx, roleIdx := map[string]int{}, map[string]int{}
	for _, r := range rs {
		if _, ok := oppIdx[r.Opponent]; !ok {
			oppIdx[r.Opponent] = len(oppIdx)
		}
		if _, ok := roleIdx[r.Role]; !ok {
			roleIdx[r.Role] = len(roleIdx)
		}
	}
	sorted := append([]RoundResult(nil), rs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Round != b.Round {
			return a.Round < b.Round
		}
		if oppIdx[a.Opponent] != oppIdx[b.Opponent] {
			return oppIdx[a.Opponent] < oppIdx[b.Opponent]
		}
		return roleIdx[a.Role] < roleIdx[b.Role]
	})
	rows := make([]roundRow, 0, len(sorted))
	for _, r := range sorted {
		rate := r.Rate(z)
		row := roundRow{
			Round: strconv.Itoa(r.Round), Opponent: plain(r.Opponent), Role: plain(r.Role),
			Record: fmt.Sprintf("%d/%d", r.Wins, r.Games),
			Rate:   "–", Interval: "–", Baseline: "–", Diff: "–", DiffInterval: "–",
		}
		if r.Games > 0 {
			row.Rate = percent(rate.Rate)
			row.Interval = percent(rate.Lo) + " – " + percent(rate.Hi)
		}
		if r.BaselineGames > 0 {
			row.Baseline = fmt.Sprintf("%d/%d (%s)", r.BaselineWins, r.BaselineGames, percent(r.BaselineRate(z).Rate))
		}
		if d := r.Diff(z); d.Known {
			row.Diff = points(d.Diff)
			row.DiffInterval = points(d.Lo) + " to " + points(d.Hi)
			row.Separated = d.Excludes0()
		}
		rows = append(rows, row)
	}
	return rows
}

// trainRows summarises each round's training: its steps, the loss at the
// first and last step, the KL at the last step and its largest value, the
// clip fraction at the last step, and how many steps reported a NaN or
// infinite metric (a diverging run).
func trainRows(pts []TrainingPoint) []trainRow {
	byRound := map[int][]TrainingPoint{}
	var rounds []int
	for _, p := range pts {
		if _, ok := byRound[p.Round]; !ok {
			rounds = append(rounds, p.Round)
		}
		byRound[p.Round] = append(byRound[p.Round], p)
	}
	sort.Ints(rounds)
	var rows []trainRow
	for _, round := range rounds {
		ps := byRound[round]
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Step < ps[j].Step })
		first, last := ps[0], ps[len(ps)-1]
		maxKL, bad := math.Inf(-1), 0
		for _, p := range ps {
			if !finite(p.Loss, p.KL, p.ClipFrac) {
				bad++
			}
			if finite(p.KL) {
				maxKL = math.Max(maxKL, p.KL)
			}
		}
		rows = append(rows, trainRow{
			Round: strconv.Itoa(round), Steps: strconv.Itoa(len(ps)),
			Loss: metric(first.Loss) + " → " + metric(last.Loss),
			KL:   metric(last.KL), MaxKL: metric(maxKL), ClipFrac: metric(last.ClipFrac),
			NonFinite: strconv.Itoa(bad),
		})
	}
	return rows
}

// sampleRows gives each role's share of its round's samples.
func sampleRows(ss []SampleCount) ([]sampleRow, error) {
	total := map[int]int{}
	for i, s := range ss {
		if s.Samples < 0 {
			return nil, fmt.Errorf("eval: sample count %d (round %d, role %q) is %d, want >= 0", i, s.Round, s.Role, s.Samples)
		}
		total[s.Round] += s.Samples
	}
	sorted := append([]SampleCount(nil), ss...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Round < sorted[j].Round })
	rows := make([]sampleRow, 0, len(sorted))
	for _, s := range sorted {
		share := "–"
		if t := total[s.Round]; t > 0 {
			share = percent(float64(s.Samples) / float64(t))
		}
		rows = append(rows, sampleRow{Round: strconv.Itoa(s.Round), Role: plain(s.Role), Samples: strconv.Itoa(s.Samples), Share: share})
	}
	return rows, nil
}

// runPage formats one run: shares are of the judged (not errored)
// episodes, each with its Wilson interval.
func runPage(run RunSummary, z float64) (runView, error) {
	v := runView{ID: plain(run.ID), Game: plain(run.Game), Judge: plain(run.Judge), Figures: plainFigures(run.Figures)}
	for _, p := range run.Players {
		v.Players = append(v.Players, Player{Role: plain(p.Role), Spec: plain(p.Spec)})
	}
	for _, d := range run.Details {
		v.Details = append(v.Details, Detail{Name: plain(d.Name), Value: plain(d.Value)})
	}
	if run.Errored < 0 {
		return v, fmt.Errorf("errored count %d, want >= 0", run.Errored)
	}
	judged, broke := 0, 0
	for _, o := range run.Outcomes {
		if o.Count < 0 {
			return v, fmt.Errorf("outcome %q has count %d, want >= 0", o.Outcome, o.Count)
		}
		judged += o.Count
		if o.RuleBreak {
			broke += o.Count
		}
	}
	share := func(name string, n, of int) countRow {
		row := countRow{Name: plain(name), Count: strconv.Itoa(n), Share: "–", Interval: "–"}
		if of > 0 {
			r := NewRate(n, of, z)
			row.Share, row.Interval = percent(r.Rate), percent(r.Lo)+" – "+percent(r.Hi)
		}
		return row
	}
	v.Judged, v.Errored = strconv.Itoa(judged), strconv.Itoa(run.Errored)
	for _, o := range run.Outcomes {
		v.Outcomes = append(v.Outcomes, share(o.Outcome, o.Count, judged))
	}
	br := share("", broke, judged)
	v.RuleBreaks = fmt.Sprintf("%d of %d judged episodes", broke, judged)
	if judged > 0 {
		v.RuleBreaks += fmt.Sprintf(" (%s, interval %s)", br.Share, br.Interval)
	}
	ruled := 0
	for _, b := range run.Rules {
		if b.Count < 0 {
			return v, fmt.Errorf("rule %q has count %d, want >= 0", b.Label, b.Count)
		}
		ruled += b.Count
	}
	for _, b := range run.Rules {
		v.Rules = append(v.Rules, share(b.Label, b.Count, ruled))
	}
	var at []int
	decided, sum := 0, 0
	for turn, n := range run.DecidedAt {
		if n < 0 {
			return v, fmt.Errorf("decided_at %d has count %d, want >= 0", turn, n)
		}
		at = append(at, turn)
		decided += n
		sum += turn * n
	}
	sort.Ints(at)
	for _, turn := range at {
		row := share(strconv.Itoa(turn), run.DecidedAt[turn], decided)
		row.Interval = "" // a histogram, not estimates
		v.DecidedAt = append(v.DecidedAt, row)
	}
	v.MeanDecidedAt = "–"
	if decided > 0 {
		v.MeanDecidedAt = strconv.FormatFloat(float64(sum)/float64(decided), 'f', 2, 64)
	}
	return v, nil
}

// plain makes a caller's name printable on one line: control characters
// (a terminal escape in a model-chosen word, say) become visible
// stand-ins and line breaks spaces. Every name enters the page model
// through it, so both output formats get the same text.
func plain(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(safetext.Visible(s))
}

// mdText makes a name of the page model safe inside Markdown, table cells
// included: the characters Markdown or HTML would act on are
// backslash-escaped (all are ASCII punctuation, which CommonMark lets a
// backslash escape).
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_{}[]<>()#+!|~&$", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdLink writes a link destination in angle brackets, which CommonMark
// allows to hold spaces; the characters that would end it are
// percent-encoded.
func mdLink(path string) string {
	return "<" + strings.NewReplacer("<", "%3C", ">", "%3E", "\n", "%0A", "\r", "%0D", " ", "%20").Replace(path) + ">"
}

// mdWriter writes Markdown and keeps the first write error, so the
// rendering reads as a sequence of lines.
type mdWriter struct {
	w   io.Writer
	err error
}

func (m *mdWriter) line(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format+"\n", args...)
	}
}

// table writes a Markdown table of cells the caller has already escaped
// (names through [mdText]) or formatted (numbers).
func (m *mdWriter) table(header []string, rows [][]string) {
	m.line("| %s |", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---"
	}
	m.line("| %s |", strings.Join(seps, " | "))
	for _, r := range rows {
		m.line("| %s |", strings.Join(r, " | "))
	}
	m.line("")
}

func (m *mdWriter) figures(fs []FigureLink) {
	for _, f := range fs {
		m.line("![%s](%s)", mdText(f.Caption), mdLink(f.Path))
		m.line("")
	}
}

// WriteMarkdown writes r as one Markdown page (CommonMark with GitHub's
// tables): for a loop, the evaluation table (per round, opponent and role:
// wins of games, rate and interval, baseline, difference from it with
// Newcombe's interval, bold where the interval excludes 0), the training
// summary per round, the role balance of the training samples and the
// linked figures; for each run, its players, judge, outcome mix, rule
// breaks, deciding rules and decided_at histogram. It returns an error,
// having written nothing, when r is empty or holds impossible counts.
func WriteMarkdown(w io.Writer, r Report) error {
	p, err := buildPage(r)
	if err != nil {
		return err
	}
	m := &mdWriter{w: w}
	m.line("# %s", mdText(p.Title))
	m.line("")
	for _, t := range p.Tables {
		m.line("## %s", mdText(t.Title))
		m.line("")
		esc := func(cells []string) []string {
			out := make([]string, len(cells))
			for i, c := range cells {
				out[i] = mdText(c)
			}
			return out
		}
		rows := make([][]string, len(t.Rows))
		for i, r := range t.Rows {
			rows[i] = esc(r)
		}
		m.table(esc(t.Header), rows)
	}
	if len(p.Rounds) > 0 {
		m.line("## Evaluation")
		m.line("")
		m.line("Win rates with %s Wilson intervals; differences from the baseline with %s Newcombe intervals, **bold** where the interval excludes 0.", p.Level, p.Level)
		m.line("")
		rows := make([][]string, len(p.Rounds))
		for i, r := range p.Rounds {
			diff := r.Diff
			if r.Separated {
				diff = "**" + diff + "**"
			}
			rows[i] = []string{r.Round, mdText(r.Opponent), mdText(r.Role), r.Record, r.Rate, r.Interval, r.Baseline, diff, r.DiffInterval}
		}
		m.table([]string{"round", "opponent", "role", "wins/games", "win rate", p.Level + " interval", "baseline", "difference", p.Level + " interval"}, rows)
	}
	if len(p.Training) > 0 {
		m.line("## Training")
		m.line("")
		rows := make([][]string, len(p.Training))
		for i, t := range p.Training {
			rows[i] = []string{t.Round, t.Steps, t.Loss, t.KL, t.MaxKL, t.ClipFrac, t.NonFinite}
		}
		m.table([]string{"round", "steps", "loss (first → last)", "KL (last)", "KL (max)", "clip fraction (last)", "non-finite steps"}, rows)
	}
	if len(p.Samples) > 0 {
		m.line("## Training samples by role")
		m.line("")
		rows := make([][]string, len(p.Samples))
		for i, s := range p.Samples {
			rows[i] = []string{s.Round, mdText(s.Role), s.Samples, s.Share}
		}
		m.table([]string{"round", "role", "samples", "share of round"}, rows)
	}
	m.figures(p.Figures)
	for _, run := range p.Runs {
		m.line("## Run %s", mdText(run.ID))
		m.line("")
		if run.Game != "" {
			m.line("- game: %s", mdText(run.Game))
		}
		if run.Judge != "" {
			m.line("- judge: %s", mdText(run.Judge))
		}
		for _, pl := range run.Players {
			m.line("- %s: %s", mdText(pl.Role), mdText(pl.Spec))
		}
		for _, d := range run.Details {
			m.line("- %s: %s", mdText(d.Name), mdText(d.Value))
		}
		m.line("- judged episodes: %s; errored (not judged): %s", run.Judged, run.Errored)
		m.line("- rule breaks: %s", run.RuleBreaks)
		m.line("- mean decided_at: %s", run.MeanDecidedAt)
		m.line("")
		m.countTable("Outcomes", "outcome", p.Level, run.Outcomes)
		m.countTable("Deciding rules", "rule", p.Level, run.Rules)
		m.countTable("Decided at", "utterance", "", run.DecidedAt)
		m.figures(run.Figures)
	}
	return m.err
}

// countTable writes a titled table of counts with shares and, when level
// is set, their intervals.
func (m *mdWriter) countTable(title, what, level string, rows []countRow) {
	if len(rows) == 0 {
		return
	}
	m.line("### %s", title)
	m.line("")
	header := []string{what, "episodes", "share"}
	if level != "" {
		header = append(header, level+" interval")
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = []string{mdText(r.Name), r.Count, r.Share}
		if level != "" {
			cells[i] = append(cells[i], r.Interval)
		}
	}
	m.table(header, cells)
}

// htmlCounts is what the HTML template's "counts" table is given.
type htmlCounts struct {
	Title, What, Level string
	Rows               []countRow
}

// htmlPage is the HTML form of the page; html/template escapes every name.
var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"counts": func(title, what, level string, rows []countRow) htmlCounts {
		return htmlCounts{title, what, level, rows}
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; max-width: 72em; margin: 2em auto; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th, td:first-child { text-align: left; }
img { max-width: 100%; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{- range .Tables}}
<h2>{{.Title}}</h2>
<table>
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{- range .Rows}}
<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{- end}}
</table>
{{- end}}
{{- if .Rounds}}
<h2>Evaluation</h2>
<p>Win rates with {{.Level}} Wilson intervals; differences from the baseline with {{.Level}} Newcombe intervals, <strong>bold</strong> where the interval excludes 0.</p>
<table>
<tr><th>round</th><th>opponent</th><th>role</th><th>wins/games</th><th>win rate</th><th>{{.Level}} interval</th><th>baseline</th><th>difference</th><th>{{.Level}} interval</th></tr>
{{- range .Rounds}}
<tr><td>{{.Round}}</td><td>{{.Opponent}}</td><td>{{.Role}}</td><td>{{.Record}}</td><td>{{.Rate}}</td><td>{{.Interval}}</td><td>{{.Baseline}}</td><td>{{if .Separated}}<strong>{{.Diff}}</strong>{{else}}{{.Diff}}{{end}}</td><td>{{.DiffInterval}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Training}}
<h2>Training</h2>
<table>
<tr><th>round</th><th>steps</th><th>loss (first → last)</th><th>KL (last)</th><th>KL (max)</th><th>clip fraction (last)</th><th>non-finite steps</th></tr>
{{- range .Training}}
<tr><td>{{.Round}}</td><td>{{.Steps}}</td><td>{{.Loss}}</td><td>{{.KL}}</td><td>{{.MaxKL}}</td><td>{{.ClipFrac}}</td><td>{{.NonFinite}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Samples}}
<h2>Training samples by role</h2>
<table>
<tr><th>round</th><th>role</th><th>samples</th><th>share of round</th></tr>
{{- range .Samples}}
<tr><td>{{.Round}}</td><td>{{.Role}}</td><td>{{.Samples}}</td><td>{{.Share}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- range .Figures}}
<figure><img src="{{.Path}}" alt="{{.Caption}}"><figcaption>{{.Caption}}</figcaption></figure>
{{- end}}
{{- $level := .Level}}
{{- range .Runs}}
<h2>Run {{.ID}}</h2>
<ul>
{{- if .Game}}
<li>game: {{.Game}}</li>
{{- end}}
{{- if .Judge}}
<li>judge: {{.Judge}}</li>
{{- end}}
{{- range .Players}}
<li>{{.Role}}: {{.Spec}}</li>
{{- end}}
{{- range .Details}}
<li>{{.Name}}: {{.Value}}</li>
{{- end}}
<li>judged episodes: {{.Judged}}; errored (not judged): {{.Errored}}</li>
<li>rule breaks: {{.RuleBreaks}}</li>
<li>mean decided_at: {{.MeanDecidedAt}}</li>
</ul>
{{- template "counts" (counts "Outcomes" "outcome" $level .Outcomes)}}
{{- template "counts" (counts "Deciding rules" "rule" $level .Rules)}}
{{- template "counts" (counts "Decided at" "utterance" "" .DecidedAt)}}
{{- range .Figures}}
<figure><img src="{{.Path}}" alt="{{.Caption}}"><figcaption>{{.Caption}}</figcaption></figure>
{{- end}}
{{- end}}
</body>
</html>
{{define "counts"}}
{{- if .Rows}}
<h3>{{.Title}}</h3>
<table>
<tr><th>{{.What}}</th><th>episodes</th><th>share</th>{{if .Level}}<th>{{.Level}} interval</th>{{end}}</tr>
{{- $level := .Level}}
{{- range .Rows}}
<tr><td>{{.Name}}</td><td>{{.Count}}</td><td>{{.Share}}</td>{{if $level}}<td>{{.Interval}}</td>{{end}}</tr>
{{- end}}
</table>
{{- end}}
{{- end}}
`))

// WriteHTML writes r as one self-contained HTML page with the same
// sections as [WriteMarkdown]; every name is HTML-escaped and figure paths
// are URL-escaped by html/template.
func WriteHTML(w io.Writer, r Report) error {
	p, err := buildPage(r)
	if err != nil {
		return err
	}
	if err := htmlPage.Execute(w, p); err != nil {
		return fmt.Errorf("eval: write HTML report: %w", err)
	}
	return nil
}

// WriteText writes evaluation results as an aligned plain-text table for
// a terminal (the same rows and columns as [WriteMarkdown]'s evaluation
// table, "*" marking a difference whose interval excludes 0), with names
// made printable. z is the intervals' normal quantile, 0 for 95%.
func WriteText(w io.Writer, rs []RoundResult, z float64) error {
	if len(rs) == 0 {
		return errors.New("eval: no results to write")
	}
	if err := CheckResults(rs); err != nil {
		return err
	}
	z = zOrDefault(z)
	level := levelName(z)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "round\topponent\trole\twins/games\twin rate\t%s interval\tbaseline\tdifference\t%s interval\n", level, level)
	// tabwriter counts bytes, so the cells keep to ASCII where they can.
	ascii := strings.NewReplacer("–", "-")
	separated := false
	for _, r := range roundRows(rs, z) {
		diff := r.Diff
		if r.Separated {
			diff += " *"
			separated = true
		}
		cells := []string{r.Round, r.Opponent, r.Role, r.Record, r.Rate, r.Interval, r.Baseline, diff, r.DiffInterval}
		for i := range cells {
			cells[i] = ascii.Replace(cells[i])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("eval: write results: %w", err)
	}
	if separated {
		if _, err := fmt.Fprintln(w, "* the difference's interval excludes 0"); err != nil {
			return fmt.Errorf("eval: write results: %w", err)
		}
	}
	return nil
}
