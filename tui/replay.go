package tui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/atomicfile"
)

// ReplayConfig configures the replay browser.
type ReplayConfig struct {
	// Source holds the episodes.
	Source EpisodeSource
	// Filter is the initial selection; the user can change it.
	Filter episodes.Filter
	// Limit caps how many episodes the list loads (default 10000); the
	// filters narrow larger stores.
	Limit int
	// Rejudge, when set, gives the verdicts of the other judges.
	Rejudge Rejudger
	// ExportDir is where e exports go (default ".").
	ExportDir string
	// Outcomes are the outcome names the filter form suggests.
	Outcomes []string
}

type replayMode int

const (
	replayList replayMode = iota
	replaySearch
	replayFilter
	replayEpisode
)

// filterFields are the filter form's fields, in order.
var filterFields = [...]string{"run", "outcome", "word", "player", "decided at"}

type listLoadedMsg struct {
	source EpisodeSource
	recs   []episodes.Record
	err    error
}

type episodeLoadedMsg struct {
	source EpisodeSource
	rec    *episodes.Record
	// game describes the game of the episode's run; nil when unknown.
	game   *game.Description
	others []game.Verdict
	err    error
}

type exportedMsg struct {
	path string
	err  error
}

func loadList(src EpisodeSource, f episodes.Filter) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := ioContext()
		defer cancel()
		recs, err := src.Episodes(ctx, f)
		return listLoadedMsg{source: src, recs: recs, err: err}
	}
}

// loadEpisode reads one episode, the description of its run's game, the
// verdicts stored for it and, with rejudge, the other judges' verdicts.
func loadEpisode(src EpisodeSource, rejudge Rejudger, id int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := ioContext()
		defer cancel()
		msg := episodeLoadedMsg{source: src}
		if msg.rec, msg.err = src.Episode(ctx, id); msg.err != nil {
			return msg
		}
		run, err := src.RunInfo(ctx, msg.rec.RunID)
		if err != nil {
			msg.err = err
			return msg
		}
		msg.game, _ = game.Games.Lookup(game.NameOf(run.Game))
		stored, err := src.Verdicts(ctx, id)
		if err != nil {
			msg.err = err
			return msg
		}
		for _, v := range stored {
			msg.others = append(msg.others, v.Verdict)
		}
		if rejudge != nil {
			more, err := rejudge(ctx, msg.rec)
			if err != nil {
				msg.err = fmt.Errorf("re-judge episode %d: %w", id, err)
				return msg
			}
			msg.others = append(msg.others, more...)
		}
		return msg
	}
}

// replayModel is the replay browser: a filterable list of stored episodes
// and a turn-by-turn view of one.
type replayModel struct {
	cfg      ReplayConfig
	st       *styles
	maxBytes int
	width    int
	height   int
	mode     replayMode

	filter  episodes.Filter
	recs    []episodes.Record
	shown   []int // indices into recs that match the search
	cursor  int
	loading bool
	err     error

	search  lineInput
	inputs  []lineInput
	field   int
	formErr string

	rec      *episodes.Record
	game     *game.Description // the game of rec's run; nil when unknown
	primary  game.Verdict
	others   []game.Verdict
	step     int
	scroll   int
	follow   bool
	hideWord bool
	status   string
}

func newReplay(cfg ReplayConfig, st *styles, maxBytes int) replayModel {
	if cfg.Limit <= 0 {
		cfg.Limit = 10000
	}
	if cfg.ExportDir == "" {
		cfg.ExportDir = "."
	}
	m := replayModel{cfg: cfg, st: st, maxBytes: maxBytes, width: 80, height: 24, filter: cfg.Filter, loading: true}
	m.filter.Limit, m.filter.Turns = cfg.Limit, false
	m.search = newLineInput("/", 200)
	m.inputs = make([]lineInput, len(filterFields))
	for i := range m.inputs {
		m.inputs[i] = newLineInput("", 200)
	}
	return m
}

func (m replayModel) init() tea.Cmd { return loadList(m.cfg.Source, m.filter) }

func (m replayModel) capturing() bool { return m.mode == replaySearch || m.mode == replayFilter }

func (m replayModel) update(msg tea.Msg) (replayModel, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case listLoadedMsg:
		if msg.source != m.cfg.Source {
			return m, nil
		}
		m.loading, m.err = false, msg.err
		m.recs = msg.recs
		return m.applySearch(), nil
	case episodeLoadedMsg:
		if msg.source != m.cfg.Source {
			return m, nil
		}
		m.loading = false
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		m.game = msg.game
		return m.openEpisode(msg.rec, msg.others), nil
	case exportedMsg:
		if msg.err != nil {
			m.status = "export failed: " + msg.err.Error()
		} else {
			m.status = "exported to " + msg.path
		}
	case tea.KeyMsg:
		switch m.mode {
		case replaySearch:
			return m.searchKey(msg)
		case replayFilter:
			return m.filterKey(msg)
		case replayEpisode:
			return m.episodeKey(msg)
		}
		return m.listKey(msg)
	}
	return m, nil
}

// applySearch recomputes the rows that match the search text.
func (m replayModel) applySearch() replayModel {
	q := strings.ToLower(strings.TrimSpace(m.search.Value()))
	m.shown = m.shown[:0:0]
	for i, r := range m.recs {
		if q == "" || matches(r, q) {
			m.shown = append(m.shown, i)
		}
	}
	m.cursor = max(0, min(m.cursor, len(m.shown)-1))
	return m
}

// matches reports whether the lower-cased query q occurs in what the list
// shows of r.
func matches(r episodes.Record, q string) bool {
	outcome := r.Verdict.Outcome
	if r.Errored() {
		outcome = "errored"
	}
	for _, s := range []string{strconv.FormatInt(r.ID, 10), r.RunID, r.Subject, outcome, r.Verdict.Rule} {
		if strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

func (m replayModel) listKey(msg tea.KeyMsg) (replayModel, tea.Cmd) {
	page := max(1, m.listHeight())
	switch msg.String() {
	case "up", "k":
		m.cursor--
	case "down", "j":
		m.cursor++
	case "pgup", "b":
		m.cursor -= page
	case "pgdown", "f", " ":
		m.cursor += page
	case "home", "g":
		m.cursor = 0
	case "end", "G":
		m.cursor = len(m.shown) - 1
	case "/":
		m.mode = replaySearch
		m.search.Focus()
		return m, nil
	case "F", "ctrl+f":
		m.mode, m.formErr = replayFilter, ""
		m.fillForm()
		m.focusField(0)
		return m, nil
	case "c":
		m.filter = episodes.Filter{Limit: m.cfg.Limit}
		m.search.SetValue("")
		m.loading = true
		return m, loadList(m.cfg.Source, m.filter)
	case "r":
		m.loading = true
		return m, loadList(m.cfg.Source, m.filter)
	case "enter", "right":
		if m.cursor >= 0 && m.cursor < len(m.shown) {
			m.loading, m.err = true, nil
			return m, loadEpisode(m.cfg.Source, m.cfg.Rejudge, m.recs[m.shown[m.cursor]].ID)
		}
	}
	m.cursor = max(0, min(m.cursor, len(m.shown)-1))
	return m, nil
}

func (m replayModel) searchKey(msg tea.KeyMsg) (replayModel, tea.Cmd) {
	switch msg.String() {
	case "enter":
		m.mode = replayList
		m.search.Blur()
		return m, nil
	case "esc":
		m.mode = replayList
		m.search.Blur()
		m.search.SetValue("")
		return m.applySearch(), nil
	}
	m.search = m.search.Update(msg)
	return m.applySearch(), nil
}

// fillForm puts the current filter into the form.
func (m *replayModel) fillForm() {
	vals := []string{m.filter.RunID, m.filter.Outcome, m.filter.Subject, m.filter.Player, ""}
	if m.filter.DecidedAt > 0 {
		vals[4] = strconv.Itoa(m.filter.DecidedAt)
	}
	for i := range m.inputs {
		m.inputs[i].SetValue(vals[i])
	}
}

func (m *replayModel) focusField(i int) {
	m.field = (i + len(m.inputs)) % len(m.inputs)
	for j := range m.inputs {
		m.inputs[j].Blur()
	}
	m.inputs[m.field].Focus()
}

func (m replayModel) filterKey(msg tea.KeyMsg) (replayModel, tea.Cmd) {
	switch msg.String() {
	case "esc":
		m.mode = replayList
		return m, nil
	case "tab", "down":
		m.focusField(m.field + 1)
		return m, nil
	case "shift+tab", "up":
		m.focusField(m.field - 1)
		return m, nil
	case "enter":
		f := episodes.Filter{Limit: m.cfg.Limit,
			RunID:   strings.TrimSpace(m.inputs[0].Value()),
			Outcome: strings.TrimSpace(m.inputs[1].Value()),
			Subject: strings.TrimSpace(m.inputs[2].Value()),
			Player:  strings.TrimSpace(m.inputs[3].Value()),
		}
		if s := strings.TrimSpace(m.inputs[4].Value()); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				m.formErr = fmt.Sprintf("decided at: %q is not an utterance number (1, 2, ...)", s)
				m.focusField(4)
				return m, nil
			}
			f.DecidedAt = n
		}
		m.filter, m.mode, m.loading, m.cursor = f, replayList, true, 0
		return m, loadList(m.cfg.Source, f)
	}
	m.inputs[m.field] = m.inputs[m.field].Update(msg)
	return m, nil
}

// openEpisode shows rec; others are verdicts of other judges.
func (m replayModel) openEpisode(rec *episodes.Record, others []game.Verdict) replayModel {
	m.mode, m.rec, m.status, m.err = replayEpisode, rec, "", nil
	m.primary = rec.Verdict
	if m.primary.Outcome == "" && len(others) > 0 {
		// Imported episodes carry their verdicts in the verdicts table.
		m.primary, others = others[0], others[1:]
	}
	m.others = m.others[:0:0]
	// A judge's verdict is listed once: the one stored (spag judge
	// --record) comes before the one the re-judger gives again.
	seen := map[string]bool{m.primary.Judge: true}
	for _, v := range others {
		if seen[v.Judge] && v.Judge != "" {
			continue
		}
		seen[v.Judge] = true
		if v.Outcome != m.primary.Outcome || v.DecidedAt != m.primary.DecidedAt {
			m.others = append(m.others, v)
		}
	}
	m.step, m.scroll, m.follow = len(rec.Turns), 0, true
	return m
}

func (m replayModel) episodeKey(msg tea.KeyMsg) (replayModel, tea.Cmd) {
	n := len(m.rec.Turns)
	switch msg.String() {
	case "esc", "backspace":
		m.mode, m.rec, m.status = replayList, nil, ""
	case "right", "l", "n":
		m.step, m.follow = min(n, m.step+1), true
	case "left", "p":
		m.step, m.follow = max(0, m.step-1), true
	case "a", "end":
		m.step, m.follow = n, true
	case "0", "home":
		m.step, m.scroll, m.follow = 0, 0, false
	case "up", "k":
		m.scroll, m.follow = m.scroll-1, false
	case "down", "j":
		m.scroll++
	case "pgup", "b":
		m.scroll, m.follow = m.scroll-m.bodyHeight(), false
	case "pgdown", "f", " ":
		m.scroll += m.bodyHeight()
	case "h":
		m.hideWord = !m.hideWord
	case "m":
		return m, exportEpisode(m.cfg.ExportDir, m.game, m.rec, m.primary, m.others, "md")
	case "x":
		return m, exportEpisode(m.cfg.ExportDir, m.game, m.rec, m.primary, m.others, "json")
	}
	if m.scroll < 0 {
		m.scroll = 0
	}
	return m, nil
}

func (m replayModel) keys() [][2]string {
	switch m.mode {
	case replayEpisode:
		return [][2]string{{"←/→", "step back / forward one turn"}, {"a  0", "all turns / none"},
			{"↑/↓ pgup/pgdn", "scroll"}, {"h", "hide or show the target word and verdict"},
			{"m", "export as Markdown"}, {"x", "export as JSON"}, {"esc", "back to the list"}}
	case replayFilter:
		return [][2]string{{"tab/↑/↓", "move between fields"}, {"enter", "apply the filter"}, {"esc", "cancel"}}
	case replaySearch:
		return [][2]string{{"type", "search word, run, outcome, rule, ID"}, {"enter", "keep the search"}, {"esc", "clear it"}}
	}
	return [][2]string{{"↑/↓ pgup/pgdn", "move"}, {"enter", "open the episode"}, {"/", "search"},
		{"F", "filter by run, outcome, word, player, decided turn"}, {"c", "clear filter and search"},
		{"r", "reload"}, {"q", "quit"}}
}

func (m replayModel) listHeight() int { return max(1, m.height-4) }

func (m replayModel) bodyHeight() int { return max(1, m.height-8) }

func (m replayModel) view() string {
	switch m.mode {
	case replayEpisode:
		return m.episodeView()
	case replayFilter:
		return m.filterView()
	}
	return m.listView()
}

func (m replayModel) filterSummary() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+oneLine(v))
		}
	}
	add("run", m.filter.RunID)
	add("outcome", m.filter.Outcome)
	add("word", m.filter.Subject)
	add("player", m.filter.Player)
	if m.filter.DecidedAt > 0 {
		add("decided", strconv.Itoa(m.filter.DecidedAt))
	}
	if len(parts) == 0 {
		return "all episodes"
	}
	return strings.Join(parts, " ")
}

// ruleColumnFrom is the narrowest terminal whose episode list shows the
// rule column: the other columns take 76 cells.
const ruleColumnFrom = 100

func (m replayModel) listView() string {
	st, w := m.st, m.width
	count := fmt.Sprintf("%d episodes", len(m.shown))
	if len(m.shown) != len(m.recs) {
		count = fmt.Sprintf("%d of %d episodes", len(m.shown), len(m.recs))
	}
	if len(m.recs) >= m.cfg.Limit {
		count += " (first " + strconv.Itoa(m.cfg.Limit) + ")"
	}
	lines := []string{st.title.Render(padRight(fitLine("spag replay · "+count+" · "+m.filterSummary(), w), w))}
	header := "  ID     RUN                    IDX  WORD          OUTCOME               DEC"
	// A wide terminal has room for the rule that decided each game.
	wide := w >= ruleColumnFrom
	if wide {
		header += "  RULE"
	}
	lines = append(lines, st.header.Render(padRight(header, w)))
	h := m.listHeight()
	switch {
	case m.err != nil:
		lines = append(lines, st.errorS.Render("error: "+oneLine(m.err.Error())))
	case m.loading && len(m.recs) == 0:
		lines = append(lines, st.dim.Render("loading…"))
	case len(m.shown) == 0:
		lines = append(lines, st.dim.Render("no episodes match (F changes the filter, c clears it)"))
	}
	start := 0
	if m.cursor >= h {
		start = m.cursor - h + 1
	}
	for i := start; i < len(m.shown) && len(lines) < h+2; i++ {
		r := m.recs[m.shown[i]]
		outcome := r.Verdict.Outcome
		if r.Errored() {
			outcome = "errored"
		} else if outcome == "" {
			outcome = "(not judged)"
		}
		line := fmt.Sprintf("%-6d %-22s %-4d %-13s %-21s %d", r.ID, fitLine(oneLine(r.RunID), 22), r.Index,
			fitLine(oneLine(r.Subject), 13), outcome, r.Verdict.DecidedAt)
		if wide {
			line = strings.TrimRight(fmt.Sprintf("%-75s %s", line, oneLine(r.Verdict.Rule)), " ")
		}
		if i == m.cursor {
			lines = append(lines, st.selected.Render(padRight(fitLine("> "+line, w), w)))
		} else {
			lines = append(lines, "  "+line)
		}
	}
	for len(lines) < m.height-2 {
		lines = append(lines, "")
	}
	lines = lines[:m.height-2]
	if m.mode == replaySearch || m.search.Value() != "" {
		lines = append(lines, m.search.View(w))
	} else {
		lines = append(lines, "")
	}
	lines = append(lines, st.dim.Render("enter open · / search · F filter · c clear · ? keys · q quit"))
	return frame(lines, w, m.height)
}

func (m replayModel) filterView() string {
	st, w := m.st, m.width
	lines := []string{st.title.Render(padRight("spag replay · filter", w)), ""}
	for i, name := range filterFields {
		mark := "  "
		if i == m.field {
			mark = "> "
		}
		lines = append(lines, mark+padRight(name, 12)+m.inputs[i].View(w-14))
	}
	lines = append(lines, "")
	if len(m.cfg.Outcomes) > 0 {
		for _, l := range wrap("outcome: "+strings.Join(m.cfg.Outcomes, ", "), w) {
			lines = append(lines, st.dim.Render(l))
		}
	}
	lines = append(lines, st.dim.Render("player: a player spec, for example builtin"),
		st.dim.Render("decided at: the utterance that decided the game (1, 2, ...)"))
	if m.formErr != "" {
		lines = append(lines, "", st.errorS.Render(m.formErr))
	}
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = lines[:m.height-1]
	lines = append(lines, st.dim.Render("tab next field · enter apply · esc cancel"))
	return frame(lines, w, m.height)
}

func (m replayModel) episodeView() string {
	st, w, rec := m.st, m.width, m.rec
	label := subjectOf(m.game)
	word := label + ": " + oneLine(rec.Subject)
	if m.hideWord {
		word = label + " hidden"
	}
	head := fmt.Sprintf("episode %d · run %s #%d · %s · turn %d/%d", rec.ID, oneLine(rec.RunID), rec.Index, word, m.step, len(rec.Turns))
	lines := []string{st.title.Render(padRight(fitLine(head, w), w))}

	t := transcript{turns: rec.Turns[:m.step]}
	if !m.hideWord && m.primary.Evidence.Turn > 0 {
		ev := m.primary.Evidence
		t.evidence = &ev
	}
	lines = appendPane(lines, t, st, w, m.maxBytes, m.bodyHeight(), m.scroll, m.follow, "(→ steps through the episode)")
	lines = append(lines, m.verdictBox()...)
	for len(lines) < m.height-2 {
		lines = append(lines, "")
	}
	lines = lines[:m.height-2]
	switch {
	case m.err != nil:
		lines = append(lines, st.errorS.Render(oneLine(m.err.Error())))
	default:
		lines = append(lines, oneLine(m.status))
	}
	lines = append(lines, st.dim.Render("←/→ step · a all · ↑/↓ scroll · h hide · m/x export md/json · esc back · q quit"))
	return frame(lines, w, m.height)
}

// verdictBox shows the verdict, and next to it the other judge's when it
// differs.
func (m replayModel) verdictBox() []string {
	st := m.st
	if m.rec.Errored() {
		return []string{st.errorS.Render("errored: ") + oneLine(safeCut(m.rec.Err, 300))}
	}
	if m.hideWord {
		return []string{"verdict hidden with the word (h shows both)"}
	}
	if m.primary.Outcome == "" {
		return []string{st.dim.Render("not judged")}
	}
	if len(m.others) == 0 {
		return verdictLines(st, m.primary, "verdict", m.width)
	}
	colW := (m.width - 3) / 2
	left := verdictLines(st, m.primary, "verdict", colW)
	right := verdictLines(st, m.others[0], "would be", colW)
	for len(left) < len(right) {
		left = append(left, "")
	}
	for len(right) < len(left) {
		right = append(right, "")
	}
	out := make([]string, len(left))
	for i := range left {
		out[i] = padRight(fitLine(left[i], colW), colW) + " │ " + fitLine(right[i], colW)
	}
	return out
}

// verdictLines describes a verdict in up to four lines of width cells.
func verdictLines(st *styles, v game.Verdict, label string, width int) []string {
	lines := []string{
		st.bold.Render(label) + " " + oneLine(v.Judge),
		st.bold.Render(oneLine(v.Outcome)) + fmt.Sprintf(" at utterance %d", v.DecidedAt),
		"rule " + oneLine(v.Rule),
	}
	if v.Evidence.Turn > 0 {
		ev := st.evidence.Render("»" + oneLine(safeCut(v.Evidence.Text, 200)) + "«")
		lines = append(lines, fitLine(fmt.Sprintf("utt %d: ", v.Evidence.Turn)+ev, width))
	}
	return lines
}

// exportEpisode writes the episode of game d to episode-ID.md or .json in
// dir.
func exportEpisode(dir string, d *game.Description, rec *episodes.Record, primary game.Verdict, others []game.Verdict, format string) tea.Cmd {
	return func() tea.Msg {
		var data []byte
		switch format {
		case "md":
			data = []byte(EpisodeMarkdown(d, rec, primary, others))
		case "json":
			var err error
			if data, err = EpisodeJSON(rec, primary, others); err != nil {
				return exportedMsg{err: err}
			}
		default:
			return exportedMsg{err: errors.New("unknown export format " + format)}
		}
		path := filepath.Join(dir, fmt.Sprintf("episode-%d.%s", rec.ID, format))
		if err := atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return exportedMsg{err: err}
		}
		return exportedMsg{path: path}
	}
}

// EpisodeMarkdown renders an episode of game d (nil when unknown) as
// Markdown: its subject under the name the game gives it, the turns, the
// verdict with its evidence and the other judges' verdicts. Model output is made
// visible (no control characters reach the file) and kept inside code
// spans so that it cannot inject Markdown structure.
func EpisodeMarkdown(d *game.Description, rec *episodes.Record, primary game.Verdict, others []game.Verdict) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Episode %d\n\n", rec.ID)
	label := subjectOf(d)
	fmt.Fprintf(&b, "- run: `%s`, index %d\n- %s: %s\n\n", visible(rec.RunID), rec.Index, label, codeSpan(rec.Subject))
	b.WriteString("## Turns\n\n")
	for _, t := range rec.Turns {
		fmt.Fprintf(&b, "%d. **%s**: %s\n", t.N, visible(t.Role), codeSpan(t.Text))
	}
	b.WriteString("\n## Verdict\n\n")
	if rec.Errored() {
		fmt.Fprintf(&b, "Errored: %s\n", codeSpan(rec.Err))
		return b.String()
	}
	writeVerdict := func(v game.Verdict) {
		fmt.Fprintf(&b, "- %s: **%s** at utterance %d, rule `%s`", visible(v.Judge), visible(v.Outcome), v.DecidedAt, visible(v.Rule))
		if v.Evidence.Turn > 0 {
			fmt.Fprintf(&b, "; evidence in utterance %d, bytes %d–%d: %s", v.Evidence.Turn, v.Evidence.Start, v.Evidence.End, codeSpan(v.Evidence.Text))
		}
		b.WriteString("\n")
	}
	writeVerdict(primary)
	if len(others) > 0 {
		b.WriteString("\nOther judges:\n\n")
		for _, v := range others {
			writeVerdict(v)
		}
	}
	return b.String()
}

// codeSpan puts untrusted text in a Markdown code span long enough not to
// be closed by backticks inside it.
func codeSpan(s string) string {
	s = strings.ReplaceAll(visible(s), "\n", "⏎")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + " " + s + " " + fence
}

// EpisodeJSON renders an episode as an indented JSON document in the one
// JSON form of an episode, [episodes.JSON], with primary as its verdict and
// the others beside it. Control characters in model output are escaped by
// the JSON encoding.
func EpisodeJSON(rec *episodes.Record, primary game.Verdict, others []game.Verdict) ([]byte, error) {
	e := episodes.NewJSON(rec)
	e.Verdict, e.OtherVerdicts = primary, others
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("episode %d as JSON: %w", rec.ID, err)
	}
	return append(data, '\n'), nil
}
