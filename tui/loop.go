package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/spag-go/spag/eval"
)

// LoopStatus is a loop of rounds (spag iterate) as its store records it.
type LoopStatus struct {
	ID string
	// Round is the round in progress (from 1; 0 before the first is
	// recorded) of Rounds, and Stage the stage it is at, one of Stages
	// (the stages of a round in order) or the stage after the last.
	Round, Rounds int
	Stage         string
	Stages        []string
	// Run is the run the stage plays; "" when it plays none.
	Run string
	// Done reports that the loop finished its last round.
	Done bool
	// Results are the evaluation results of the rounds so far: the
	// policy's wins per round, opponent and role.
	Results []eval.RoundResult
}

// LoopConfig configures the loop view, which follows a loop that another
// process runs: its round and stage, the win rates of every round, and the
// run the stage plays as the watch view shows a run.
type LoopConfig struct {
	// Read reads the loop's status. It is called from a command every
	// PollEvery (default 1s) and must be safe for concurrent use.
	Read func(ctx context.Context) (LoopStatus, error)
	// Runs holds the loop's runs.
	Runs      RunSource
	PollEvery time.Duration
}

// loopTickMsg asks for the next read of the loop's status.
type loopTickMsg struct{}

// loopReadMsg is what a read of the loop's status found.
type loopReadMsg struct {
	status LoopStatus
	err    error
}

func readLoop(read func(context.Context) (LoopStatus, error)) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := ioContext()
		defer cancel()
		s, err := read(ctx)
		return loopReadMsg{status: s, err: err}
	}
}

// runFeed is the run source of one run's watch view inside the loop view.
// Each run gets its own, so that the messages of the previous run's view,
// which carry their source, are told apart and dropped.
type runFeed struct{ RunSource }

// loopModel is the loop view: the loop's header and win-rate table above
// the watch view of the stage's run.
type loopModel struct {
	cfg      LoopConfig
	st       *styles
	maxBytes int
	width    int
	height   int

	status LoopStatus
	read   bool // a status has been read
	err    error

	run    watchModel
	hasRun bool
}

func newLoop(cfg LoopConfig, st *styles, maxBytes int) loopModel {
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = time.Second
	}
	return loopModel{cfg: cfg, st: st, maxBytes: maxBytes, width: 80, height: 24}
}

func (m loopModel) init() tea.Cmd { return readLoop(m.cfg.Read) }

func (m loopModel) update(msg tea.Msg) (loopModel, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case loopTickMsg:
		return m, readLoop(m.cfg.Read)
	case loopReadMsg:
		next := tea.Tick(m.cfg.PollEvery, func(time.Time) tea.Msg { return loopTickMsg{} })
		if msg.err != nil {
			m.err = msg.err
			return m, next
		}
		m.err, m.status, m.read = nil, msg.status, true
		var start tea.Cmd
		if m.status.Run != m.run.runID || m.status.Run == "" {
			m, start = m.follow(m.status)
		}
		if m.status.Done {
			// Nothing changes any more: the run view polls on its own
			// until it has read its run's end.
			return m, start
		}
		return m, tea.Batch(next, start)
	}
	if !m.hasRun {
		return m, nil
	}
	var cmd tea.Cmd
	m.run, cmd = m.run.update(msg)
	return m, cmd
}

// follow shows the run the loop's stage plays, in place of the previous
// one.
func (m loopModel) follow(s LoopStatus) (loopModel, tea.Cmd) {
	if s.Run == "" {
		m.run, m.hasRun = watchModel{}, false
		return m, nil
	}
	m.run = newWatch(WatchConfig{Source: &runFeed{m.cfg.Runs}, RunID: s.Run, PollEvery: m.cfg.PollEvery,
		Command: fmt.Sprintf("round %d %s", s.Round, s.Stage)}, m.st, m.maxBytes)
	m.run.width, m.run.height = m.width, m.height
	m.hasRun = true
	return m, m.run.init()
}

func (m loopModel) keys() [][2]string {
	if m.hasRun {
		return m.run.keys()
	}
	return [][2]string{{"q", "quit"}}
}

func (m loopModel) view() string {
	if m.hasRun && m.run.focused() != nil {
		return m.run.view()
	}
	lines := m.header()
	if m.hasRun {
		run := m.run
		run.width, run.height = m.width, max(8, m.height-len(lines))
		lines = append(lines, strings.Split(run.dashboard(), "\n")...)
		return frame(lines, m.width, m.height)
	}
	switch {
	case !m.read:
	case m.status.Done:
		lines = append(lines, "", "the loop has finished its rounds")
	default:
		lines = append(lines, "", fmt.Sprintf("round %d %s: no games are played in this stage", m.status.Round, oneLine(m.status.Stage)))
	}
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = append(lines[:m.height-1], m.st.dim.Render("? keys · q quit"))
	return frame(lines, m.width, m.height)
}

// maxResultRows bounds the win-rate table; the latest rows are shown.
const maxResultRows = 8

// header is the loop's title, its stages and the table of win rates.
func (m loopModel) header() []string {
	st, w, s := m.st, m.width, m.status
	title := "spag watch · loop " + oneLine(s.ID)
	state := "following the database"
	switch {
	case m.err != nil:
		state = st.errorS.Render("error: " + oneLine(m.err.Error()))
	case !m.read:
		title, state = "spag watch · loop", "reading the database"
	case s.Done:
		state = "loop complete"
	}
	lines := []string{st.title.Render(padRight(fitLine(title+" · "+state, w), w))}
	if !m.read {
		return lines
	}
	lines = append(lines, fitLine(m.stageLine(), w))

	rows := resultRows(s.Results)
	if len(rows.cells) == 0 {
		return append(lines, st.dim.Render("win rates: no round evaluated yet"), "")
	}
	head := padRight("round", 6) + padRight("opponent", 19)
	for _, r := range rows.roles {
		head += padRight(oneLine(r)+" wins", 22)
	}
	lines = append(lines, st.header.Render(padRight(fitLine(head, w), w)))
	shown := rows.cells
	if len(shown) > maxResultRows {
		lines = append(lines, st.dim.Render(fmt.Sprintf("… %d earlier rows (spag report --loop %s has them all)", len(shown)-maxResultRows, oneLine(s.ID))))
		shown = shown[len(shown)-maxResultRows:]
	}
	for _, c := range shown {
		line := padRight(fmt.Sprint(c.round), 6) + padRight(fitLine(oneLine(c.opponent), 18), 19)
		for _, r := range rows.roles {
			cell := "–"
			if res, ok := c.byRole[r]; ok {
				rate := res.Rate(0)
				cell = fmt.Sprintf("%3.0f%% [%.0f–%.0f] %d/%d", 100*rate.Rate, 100*rate.Lo, 100*rate.Hi, res.Wins, res.Games)
			}
			line += padRight(cell, 22)
		}
		lines = append(lines, fitLine(line, w))
	}
	return append(lines, "")
}

// stageLine says where the loop is: "round 1/2 · selfplay ✓ rewards ✓
// ▸train eval plot".
func (m loopModel) stageLine() string {
	s := m.status
	if s.Round == 0 {
		return fmt.Sprintf("round –/%d · no round recorded yet", s.Rounds)
	}
	parts := []string{fmt.Sprintf("round %d/%d ·", s.Round, s.Rounds)}
	current := -1
	for i, stage := range s.Stages {
		if stage == s.Stage {
			current = i
		}
	}
	for i, stage := range s.Stages {
		switch {
		case current < 0 || i < current:
			// Every stage is done when the round is past the last.
			parts = append(parts, oneLine(stage)+" ✓")
		case i == current:
			parts = append(parts, m.st.bold.Render("▸"+oneLine(stage)))
		default:
			parts = append(parts, oneLine(stage))
		}
	}
	return strings.Join(parts, " ")
}

// resultTable is the win-rate table: a row per round and opponent, a
// column per role.
type resultTable struct {
	roles []string
	cells []resultRow
}

type resultRow struct {
	round    int
	opponent string
	byRole   map[string]eval.RoundResult
}

// resultRows arranges results in rows in the order they come, roles in
// the order they first appear.
func resultRows(results []eval.RoundResult) resultTable {
	var t resultTable
	index := map[[2]string]int{}
	for _, r := range results {
		key := [2]string{fmt.Sprint(r.Round), r.Opponent}
		i, ok := index[key]
		if !ok {
			i = len(t.cells)
			index[key] = i
			t.cells = append(t.cells, resultRow{round: r.Round, opponent: r.Opponent, byRole: map[string]eval.RoundResult{}})
		}
		t.cells[i].byRole[r.Role] = r
		known := false
		for _, role := range t.roles {
			known = known || role == r.Role
		}
		if !known {
			t.roles = append(t.roles, r.Role)
		}
	}
	return t
}
