package tui

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/spag-go/spag/episodes"
	report "github.com/spag-go/spag/eval/summary"
	"github.com/spag-go/spag/game"
)

// WatchConfig configures the watch view. Set Events to watch a run of this
// process, or Source to follow one that another process writes to a store.
type WatchConfig struct {
	// Events is the run's event stream (a game.Bus subscription's C); the
	// run's owner closes it when the run is over.
	Events <-chan game.Event
	// Source is polled every PollEvery (default 1s) for run RunID (the
	// latest run when empty) when Events is nil. Episodes appear when they
	// are stored, that is once finished.
	Source    RunSource
	RunID     string
	PollEvery time.Duration
	// Title names the run in the header, for example its ID.
	Title string
	// Command is the command shown first in the header, the one the user
	// ran ("spag selfplay"); "spag watch" when empty.
	Command string
	// Total is the number of episodes to play, shown before the first
	// progress event arrives.
	Total int
	// Game describes the run's game: what its roles, outcomes and
	// subject are called. When it is nil and the run is read from Source,
	// the run's game is looked up in game.Games.
	Game *game.Description
	// Players maps each role to the backend spec playing it, for the load
	// table.
	Players map[string]string
	// Recent is how many finished games stay in the list (default 30).
	Recent int
	// Hosts, when not nil, reports the model servers behind each role
	// (in-process runs with pooled backends); it is called from a command
	// about once a second and must be safe for concurrent use.
	Hosts func() []HostLoad
}

// HostLoad is one model server's state as a backend's host pool reports it.
type HostLoad struct {
	// Role is the role the pool serves, or roles joined by "+" when one
	// pool serves several ("attacker+defender").
	Role     string
	Host     string
	InFlight int
	Calls    int
	Errors   int
	Down     bool
}

// hostsMsg carries a snapshot of the hosts.
type hostsMsg struct{ hosts []HostLoad }

// hostsEvery is how often the hosts are read.
const hostsEvery = time.Second

func readHosts(f func() []HostLoad, after time.Duration) tea.Cmd {
	return tea.Tick(after, func(time.Time) tea.Msg { return hostsMsg{hosts: f()} })
}

// eventsMsg carries a batch of events read from one stream; closed reports
// that the stream ended after them.
type eventsMsg struct {
	from   <-chan game.Event
	events []game.Event
	closed bool
}

// maxEventBatch bounds how many waiting events one message carries: large
// enough that a fast run costs few redraws, small enough to stay
// responsive.
const maxEventBatch = 512

// waitForEvents is the command that reads the next events from ch: it
// blocks for one, then takes whatever else is already buffered.
func waitForEvents(ch <-chan game.Event) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-ch
		if !ok {
			return eventsMsg{from: ch, closed: true}
		}
		msg := eventsMsg{from: ch, events: []game.Event{e}}
		for len(msg.events) < maxEventBatch {
			select {
			case e, ok := <-ch:
				if !ok {
					msg.closed = true
					return msg
				}
				msg.events = append(msg.events, e)
			default:
				return msg
			}
		}
		return msg
	}
}

// pollTickMsg asks for the next poll of the store.
type pollTickMsg struct{ source RunSource }

// pollMsg is what one poll of the store found.
type pollMsg struct {
	source RunSource
	run    *episodes.Run
	stats  episodes.Stats
	// list holds the run's episodes stored since the previous poll, without
	// turns, when the count changed.
	list []episodes.Record
	// live holds the run's episodes in flight, turn by turn.
	live []episodes.LiveEpisode
	err  error
}

// episodesLoadedMsg carries finished episodes read from the store.
type episodesLoadedMsg struct {
	source RunSource
	recs   []*episodes.Record
	err    error
}

func pollAfter(src RunSource, d time.Duration) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return pollTickMsg{source: src} })
}

// poll reads the run, its stats and, when the episode count is not
// lastCount, the episodes stored after episode afterID.
func poll(src RunSource, runID string, lastCount int, afterID int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := ioContext()
		defer cancel()
		msg := pollMsg{source: src}
		var err error
		if runID == "" {
			msg.run, err = src.LatestRun(ctx)
		} else {
			msg.run, err = src.Run(ctx, runID)
		}
		if err != nil {
			msg.err = fmt.Errorf("read run: %w", err)
			return msg
		}
		if msg.stats, err = src.Stats(ctx, msg.run.ID); err != nil {
			msg.err = err
			return msg
		}
		if msg.live, err = src.Live(ctx, msg.run.ID); err != nil {
			msg.err = err
			return msg
		}
		if msg.stats.Episodes != lastCount {
			if msg.list, err = src.Episodes(ctx, episodes.Filter{RunID: msg.run.ID, AfterID: afterID}); err != nil {
				msg.err = err
			}
		}
		return msg
	}
}

func loadEpisodes(src RunSource, ids []int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := ioContext()
		defer cancel()
		msg := episodesLoadedMsg{source: src}
		for _, id := range ids {
			rec, err := src.Episode(ctx, id)
			if err != nil {
				msg.err = err
				return msg
			}
			msg.recs = append(msg.recs, rec)
		}
		return msg
	}
}

// liveGame is one game as the watch view knows it.
type liveGame struct {
	setup   game.Setup
	turns   []game.Turn
	partial string // streamed text of the turn in progress
	turnN   int    // number of the turn in progress; 0 when none
	role    string // role of the turn in progress
	ep      *game.Episode
	seen    uint64 // sequence number of the last event about this game
}

// lastText is the latest utterance, or the one streaming.
func (g *liveGame) lastText() (n int, role, text string) {
	if g.turnN > 0 && g.partial != "" {
		return g.turnN, g.role, g.partial
	}
	if len(g.turns) > 0 {
		t := g.turns[len(g.turns)-1]
		return t.N, t.Role, t.Text
	}
	if g.turnN > 0 {
		return g.turnN, g.role, ""
	}
	return 0, "", ""
}

// roleLoad is the work done for one role (one backend).
type roleLoad struct {
	busy    int
	turns   int
	errors  int
	tokens  int64
	latency time.Duration
}

// watchModel is the watch view: a dashboard with the games in flight, or
// one game in focus.
type watchModel struct {
	cfg      WatchConfig
	st       *styles
	maxBytes int
	width    int
	height   int

	prog     game.Progress
	haveProg bool
	tokens   int64
	seq      uint64
	live     map[int]*liveGame
	finished []*liveGame // newest first
	loads    map[string]*roleLoad
	hosts    []HostLoad
	done     bool
	err      error

	// Store polling (Source mode).
	runID     string
	lastCount int
	// lastID is the largest episode ID read from the store: the next poll
	// lists only episodes stored after it.
	lastID  int64
	created time.Time

	cursor int
	// selected is the episode index of the selected game (-1: none yet):
	// the list is rebuilt as games start and finish, and the cursor follows
	// the game, not the row position, so that enter opens the game the
	// person chose.
	selected int
	focus    int // episode index in focus; -1 when none
	hideWord bool
	scroll   int
	follow   bool
}

func newWatch(cfg WatchConfig, st *styles, maxBytes int) watchModel {
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = time.Second
	}
	if cfg.Recent <= 0 {
		cfg.Recent = 30
	}
	m := watchModel{cfg: cfg, st: st, maxBytes: maxBytes, width: 80, height: 24,
		live: map[int]*liveGame{}, loads: map[string]*roleLoad{},
		focus: -1, selected: -1, follow: true, runID: cfg.RunID, lastCount: -1}
	m.prog.Total = cfg.Total
	for role := range cfg.Players {
		m.loads[role] = &roleLoad{}
	}
	return m
}

func (m watchModel) init() tea.Cmd {
	if m.cfg.Events != nil {
		if m.cfg.Hosts != nil {
			return tea.Batch(waitForEvents(m.cfg.Events), readHosts(m.cfg.Hosts, 0))
		}
		return waitForEvents(m.cfg.Events)
	}
	if m.cfg.Source != nil {
		return poll(m.cfg.Source, m.runID, m.lastCount, m.lastID)
	}
	return nil
}

func (m watchModel) capturing() bool { return false }

func (m watchModel) load(role string) *roleLoad {
	l, ok := m.loads[role]
	if !ok {
		l = &roleLoad{}
		m.loads[role] = l
	}
	return l
}

func (m watchModel) update(msg tea.Msg) (watchModel, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case hostsMsg:
		if m.cfg.Hosts == nil {
			return m, nil
		}
		m.hosts = msg.hosts
		return m, readHosts(m.cfg.Hosts, hostsEvery)
	case eventsMsg:
		if msg.from != m.cfg.Events || m.cfg.Events == nil {
			return m, nil
		}
		for _, e := range msg.events {
			m = m.apply(e)
		}
		if msg.closed {
			m.done = true
			for _, g := range m.live {
				if l := m.loads[g.role]; g.turnN > 0 && l != nil && l.busy > 0 {
					l.busy--
				}
			}
			m.live = map[int]*liveGame{}
			m.prog.InFlight = 0
			return m.clampCursor(), nil
		}
		return m.clampCursor(), waitForEvents(m.cfg.Events)
	case pollTickMsg:
		if msg.source != m.cfg.Source || m.cfg.Source == nil {
			return m, nil
		}
		return m, poll(m.cfg.Source, m.runID, m.lastCount, m.lastID)
	case pollMsg:
		if msg.source != m.cfg.Source || m.cfg.Source == nil {
			return m, nil
		}
		next := pollAfter(m.cfg.Source, m.cfg.PollEvery)
		if msg.err != nil {
			m.err = msg.err
			return m, next
		}
		m.err = nil
		m, cmd := m.applyPoll(msg, next)
		return m.clampCursor(), cmd
	case episodesLoadedMsg:
		if msg.source != m.cfg.Source || m.cfg.Source == nil {
			return m, nil
		}
		if msg.err != nil {
			m.err = msg.err
		}
		for _, rec := range msg.recs {
			m = m.addStored(rec)
		}
		return m.clampCursor(), nil
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

// apply folds one run event into the model.
func (m watchModel) apply(e game.Event) watchModel {
	m.seq++
	switch e := e.(type) {
	case game.EpisodeStarted:
		m.live[e.Setup.Index] = &liveGame{setup: e.Setup, seen: m.seq}
	case game.TurnStarted:
		g := m.game(e.Episode)
		if g == nil {
			break
		}
		g.turnN, g.role, g.partial, g.seen = e.Turn, e.Role, "", m.seq
		m.load(e.Role).busy++
	case game.TokenDelta:
		g := m.game(e.Episode)
		if g == nil || g.turnN != e.Turn {
			break
		}
		g.partial += e.Text
		g.seen = m.seq
	case game.TurnFinished:
		g := m.game(e.Episode)
		if g == nil {
			break
		}
		l := m.load(e.Turn.Role)
		if g.turnN == e.Turn.N && l.busy > 0 {
			l.busy--
		}
		l.turns++
		l.latency += e.Turn.Usage.Latency
		tokens := int64(e.Turn.Usage.OutputTokens)
		l.tokens += tokens
		m.tokens += tokens
		g.turns = append(g.turns, e.Turn)
		g.turnN, g.partial, g.seen = 0, "", m.seq
	case game.EpisodeFinished:
		ep := e.Episode
		if ep == nil {
			break
		}
		g := m.live[ep.Index]
		if g == nil {
			g = &liveGame{setup: ep.Setup}
		}
		if g.turnN > 0 {
			// The turn in progress failed: count it against its backend.
			if l := m.load(g.role); l.busy > 0 {
				l.busy--
			}
			if ep.Errored() {
				m.load(g.role).errors++
			}
		}
		g.ep, g.turns, g.turnN, g.partial, g.seen = ep, ep.Turns, 0, "", m.seq
		delete(m.live, ep.Index)
		m.finished = append([]*liveGame{g}, m.finished...)
		m.finished = m.trimFinished()
	case game.Progress:
		m.prog, m.haveProg = e, true
		m.pruneGhosts(e.InFlight)
	}
	return m
}

// game returns the live game of episode idx, or nil for one not (or no
// longer) in flight: events about it after it finished are stale.
func (m watchModel) game(idx int) *liveGame { return m.live[idx] }

// trimFinished keeps the Recent newest finished games, and always the one
// in focus.
func (m watchModel) trimFinished() []*liveGame {
	if len(m.finished) <= m.cfg.Recent {
		return m.finished
	}
	kept := m.finished[:m.cfg.Recent:m.cfg.Recent]
	for _, g := range m.finished[m.cfg.Recent:] {
		if g.setup.Index == m.focus {
			kept = append(kept, g)
		}
	}
	return kept
}

// pruneGhosts drops the games whose EpisodeFinished event was lost (a
// subscriber that falls behind misses events): when more games look live
// than the run reports in flight, the ones silent the longest go. One game
// of slack absorbs the race between a progress report and the start of the
// next episode.
func (m watchModel) pruneGhosts(inFlight int) {
	excess := len(m.live) - (inFlight + 1)
	if excess <= 0 {
		return
	}
	gs := make([]*liveGame, 0, len(m.live))
	for _, g := range m.live {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b *liveGame) int { return cmp.Compare(a.seen, b.seen) })
	for _, g := range gs[:excess] {
		if g.turnN > 0 {
			if l := m.loads[g.role]; l != nil && l.busy > 0 {
				l.busy--
			}
		}
		delete(m.live, g.setup.Index)
	}
}

// applyPoll turns what a poll of the store found into progress, and
// schedules loading the newest episodes not seen yet.
func (m watchModel) applyPoll(msg pollMsg, next tea.Cmd) (watchModel, tea.Cmd) {
	run, st := msg.run, msg.stats
	if m.runID == "" {
		m.runID = run.ID
	}
	if m.cfg.Title == "" {
		m.cfg.Title = run.ID
	}
	if m.cfg.Game == nil {
		m.cfg.Game, _ = game.Games.Lookup(game.NameOf(run.Game))
	}
	if len(m.cfg.Players) == 0 && len(run.Players) > 0 {
		m.cfg.Players = run.Players
		for role := range run.Players {
			m.load(role)
		}
	}
	m.created = run.CreatedAt
	total := run.Total
	if total == 0 {
		total = len(run.Subjects)
	}
	var elapsed time.Duration
	if !st.FirstStart.IsZero() && !st.LastFinish.IsZero() {
		elapsed = st.LastFinish.Sub(st.FirstStart)
	}
	m.prog = game.Progress{Total: total, Done: st.Episodes, Errored: st.Errored, Outcomes: st.Outcomes, Elapsed: elapsed}
	m.haveProg = true
	m.tokens = st.OutputTokens
	m.done = total > 0 && st.Episodes >= total
	// Games in flight as the other process last wrote them; a row older
	// than a minute is left over from a process that was killed.
	m.live = make(map[int]*liveGame, len(msg.live))
	for _, l := range m.loads {
		l.busy = 0 // counted again from the games in flight
	}
	for _, e := range msg.live {
		if m.done || st.LastFinish.Sub(e.UpdatedAt) > time.Minute {
			continue
		}
		g := &liveGame{setup: game.Setup{Index: e.Index, Subject: e.Subject}, turns: e.Turns}
		// The store holds a game's finished turns; the next one is being
		// played, by the role after the last one's.
		g.turnN, g.role = m.nextTurn(e.Turns)
		if g.role != "" {
			m.load(g.role).busy++
		}
		m.live[e.Index] = g
	}
	if msg.list == nil {
		return m, next
	}
	m.lastCount = st.Episodes
	var fresh []episodes.Record
	for _, r := range msg.list {
		if r.ID > m.lastID {
			fresh = append(fresh, r)
		}
	}
	for _, r := range fresh {
		m.lastID = max(m.lastID, r.ID)
	}
	// Newest first; only as many as the list shows are worth loading.
	sort.SliceStable(fresh, func(i, j int) bool { return fresh[i].FinishedAt.After(fresh[j].FinishedAt) })
	if len(fresh) > m.cfg.Recent {
		fresh = fresh[:m.cfg.Recent]
	}
	ids := make([]int64, len(fresh))
	for i, r := range fresh {
		ids[len(fresh)-1-i] = r.ID // oldest first, so the newest ends on top
	}
	if len(ids) == 0 {
		return m, next
	}
	return m, tea.Batch(next, loadEpisodes(m.cfg.Source, ids))
}

// nextTurn is the turn a game in flight with these finished turns is
// playing, and the role playing it when the game's roles take turns in
// order ("" when the game is not known).
func (m watchModel) nextTurn(turns []game.Turn) (int, string) {
	n := 1
	if len(turns) > 0 {
		n = turns[len(turns)-1].N + 1
	}
	if m.cfg.Game == nil || len(m.cfg.Game.Roles) == 0 {
		return n, ""
	}
	return n, m.cfg.Game.Roles[(n-1)%len(m.cfg.Game.Roles)]
}

// addStored adds an episode read from the store to the finished games.
func (m watchModel) addStored(rec *episodes.Record) watchModel {
	ep := rec.Episode
	for _, t := range ep.Turns {
		l := m.load(t.Role)
		l.turns++
		l.latency += t.Usage.Latency
		l.tokens += int64(t.Usage.OutputTokens)
	}
	if ep.Errored() {
		// The store does not say whose turn failed; with two roles it is
		// the one that did not play last.
		m.load(m.failedRole(ep.Turns)).errors++
	}
	m.finished = append([]*liveGame{{setup: ep.Setup, turns: ep.Turns, ep: &ep}}, m.finished...)
	m.finished = m.trimFinished()
	return m
}

// failedRole guesses whose turn failed in an errored stored episode: the
// other role than the last one to play, when the run has two roles.
func (m watchModel) failedRole(turns []game.Turn) string {
	if len(turns) == 0 || len(m.cfg.Players) != 2 {
		return unknownRole
	}
	last := turns[len(turns)-1].Role
	for r := range m.cfg.Players {
		if r != last {
			return r
		}
	}
	return unknownRole
}

// unknownRole collects errors that cannot be attributed to a role.
const unknownRole = "(unknown)"

// rows lists the games in the order the list shows them: in flight by
// index, then finished, newest first.
func (m watchModel) rows() []*liveGame {
	out := make([]*liveGame, 0, len(m.live)+len(m.finished))
	for _, g := range m.live {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *liveGame) int { return cmp.Compare(a.setup.Index, b.setup.Index) })
	return append(out, m.finished...)
}

// clampCursor puts the cursor on the selected game where the list now
// shows it (or, when it is gone, on the nearest row), and selects the game
// under the cursor.
func (m watchModel) clampCursor() watchModel {
	rows := m.rows()
	if i := slices.IndexFunc(rows, func(g *liveGame) bool { return g.setup.Index == m.selected }); i >= 0 {
		m.cursor = i
		return m
	}
	m.cursor = max(0, min(m.cursor, len(rows)-1))
	if m.cursor < len(rows) {
		m.selected = rows[m.cursor].setup.Index
	}
	return m
}

// moveCursor moves the cursor to row i and selects its game.
func (m watchModel) moveCursor(i int) watchModel {
	rows := m.rows()
	m.cursor = max(0, min(i, len(rows)-1))
	if m.cursor < len(rows) {
		m.selected = rows[m.cursor].setup.Index
	}
	return m
}

// focused returns the game in focus, live or finished.
func (m watchModel) focused() *liveGame {
	if m.focus < 0 {
		return nil
	}
	if g, ok := m.live[m.focus]; ok {
		return g
	}
	for _, g := range m.finished {
		if g.setup.Index == m.focus {
			return g
		}
	}
	return nil
}

func (m watchModel) key(msg tea.KeyMsg) (watchModel, tea.Cmd) {
	k := msg.String()
	if m.focus >= 0 {
		switch k {
		case "esc", "backspace", "left":
			m.focus = -1
		case "h":
			m.hideWord = !m.hideWord
		case "up", "k":
			m.scroll--
			m.follow = false
		case "down", "j":
			m.scroll++
		case "pgup", "b":
			m.scroll -= m.bodyHeight()
			m.follow = false
		case "pgdown", "f", " ":
			m.scroll += m.bodyHeight()
		case "home", "g":
			m.scroll, m.follow = 0, false
		case "end", "G":
			m.follow = true
		}
		return m, nil
	}
	switch k {
	case "up", "k":
		m = m.moveCursor(m.cursor - 1)
	case "down", "j":
		m = m.moveCursor(m.cursor + 1)
	case "home", "g":
		m = m.moveCursor(0)
	case "end", "G":
		m = m.moveCursor(len(m.live) + len(m.finished) - 1)
	case "enter", "right":
		rows := m.rows()
		if m.cursor >= 0 && m.cursor < len(rows) {
			m.focus = rows[m.cursor].setup.Index
			m.scroll, m.follow = 0, true
		}
	case "h":
		m.hideWord = !m.hideWord
	}
	return m.clampCursor(), nil
}

func (m watchModel) keys() [][2]string {
	if m.focus >= 0 {
		return [][2]string{{"↑/↓ pgup/pgdn", "scroll the transcript"}, {"home/end", "top / follow the end"},
			{"h", "hide or show the target word and verdict"}, {"esc", "back to the dashboard"}}
	}
	return [][2]string{{"↑/↓", "select a game"}, {"enter", "focus the selected game"},
		{"h", "hide or show target words"}, {"q", "quit"}}
}

// bodyHeight is the number of transcript lines the focus view shows.
func (m watchModel) bodyHeight() int { return max(1, m.height-5) }

func (m watchModel) view() string {
	if g := m.focused(); g != nil {
		return m.focusView(g)
	}
	return m.dashboard()
}

func (m watchModel) status() string {
	switch {
	case m.err != nil:
		return m.st.errorS.Render("error: " + oneLine(m.err.Error()))
	case m.done && m.cfg.Events != nil:
		return "run finished"
	case m.done:
		return "run complete"
	case m.cfg.Events == nil && m.cfg.Source != nil:
		return "following the database"
	}
	return "running"
}

func (m watchModel) dashboard() string {
	st, w := m.st, m.width
	p := m.prog
	var lines []string
	title := "spag watch"
	if m.cfg.Command != "" {
		title = oneLine(m.cfg.Command)
	}
	if m.cfg.Title != "" {
		title += " · " + oneLine(m.cfg.Title)
	}
	lines = append(lines, st.title.Render(padRight(title+" · "+m.status(), w)))

	// Progress bar with ETA.
	frac := 0.0
	if p.Total > 0 {
		frac = min(1, float64(p.Done)/float64(p.Total))
	}
	eta := "ETA –"
	if p.Done > 0 && p.Total > p.Done && p.Elapsed > 0 {
		left := time.Duration(float64(p.Elapsed) / float64(p.Done) * float64(p.Total-p.Done))
		eta = "ETA " + left.Round(time.Second).String()
	} else if p.Total > 0 && p.Done >= p.Total {
		eta = "done in " + p.Elapsed.Round(time.Millisecond).String()
	}
	counts := fmt.Sprintf(" %d/%d %3.0f%% %s", p.Done, p.Total, 100*frac, eta)
	barW := max(10, w-len([]rune(counts))-2)
	fill := int(frac * float64(barW))
	lines = append(lines, "["+strings.Repeat("█", fill)+strings.Repeat("░", barW-fill)+"]"+counts)

	secs := p.Elapsed.Seconds()
	rate, tps := 0.0, 0.0
	if secs > 0 {
		rate, tps = float64(p.Done)/secs, float64(m.tokens)/secs
	}
	lines = append(lines, fmt.Sprintf("%.1f episodes/s · %.0f tokens/s · %d in flight · %d errored",
		rate, tps, len(m.live), p.Errored))

	lines = append(lines, m.rateLines()...)

	// Load per backend (one per role).
	roles := make([]string, 0, len(m.loads))
	for r := range m.loads {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, r := range roles {
		l := m.loads[r]
		if r == unknownRole && l.errors == 0 {
			continue
		}
		avg := "–"
		if l.turns > 0 {
			avg = (l.latency / time.Duration(l.turns)).Round(time.Millisecond).String()
		}
		backend := m.cfg.Players[r]
		if backend == "" {
			backend = "?"
		}
		lines = append(lines, fmt.Sprintf("%-9s %-14s busy %d · %d turns · avg %s · %d tok · %d errors",
			oneLine(r), fitLine(oneLine(backend), 14), l.busy, l.turns, avg, l.tokens, l.errors))
		for _, h := range m.hosts {
			// A pool serving several roles ("attacker+defender") is listed
			// under the first.
			if first, _, _ := strings.Cut(h.Role, "+"); first != r {
				continue
			}
			state := ""
			if h.Down {
				state = " · " + st.errorS.Render("down")
			}
			lines = append(lines, fmt.Sprintf("  %-22s %d in flight · %d calls · %d errors%s",
				fitLine(oneLine(h.Host), 22), h.InFlight, h.Calls, h.Errors, state))
		}
	}

	rows := m.rows()
	header := fmt.Sprintf("games: %d in flight, %d recent", len(m.live), len(m.finished))
	if m.cfg.Events == nil {
		header = fmt.Sprintf("games: %d in flight, %d most recently stored", len(m.live), len(m.finished))
	}
	lines = append(lines, st.header.Render(padRight(header, w)))
	listH := m.height - len(lines) - 1
	start := 0
	if m.cursor >= listH {
		start = m.cursor - listH + 1
	}
	for i := start; i < len(rows) && i < start+listH; i++ {
		lines = append(lines, m.row(rows[i], i == m.cursor))
	}
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = append(lines, st.dim.Render("↑/↓ select · enter focus · h hide words · ? keys · q quit"))
	return frame(lines, w, m.height)
}

func (m watchModel) row(g *liveGame, selected bool) string {
	word := oneLine(g.setup.Subject)
	if m.hideWord {
		word = "•••"
	}
	state := ""
	if g.ep != nil {
		state = g.ep.Verdict.Outcome
		if g.ep.Errored() {
			state = "errored"
		} else if m.hideWord {
			state = "finished"
		}
	} else if g.turnN > 0 {
		state = fmt.Sprintf("turn %d", g.turnN)
	} else {
		state = "starting"
	}
	n, role, text := g.lastText()
	last := ""
	if n > 0 {
		last = fmt.Sprintf("%d %s: %s", n, role, oneLine(safeCut(text, 400)))
	}
	mark := "  "
	if selected {
		mark = "> "
	}
	line := mark + padRight("#"+fmt.Sprint(g.setup.Index), 6) + padRight(fitLine(word, 12), 13) +
		padRight(state, 21) + last
	line = fitLine(line, m.width)
	if selected {
		return m.st.selected.Render(padRight(line, m.width))
	}
	return line
}

// rateLines are two lines on the outcomes so far: each role's win rate
// with its 95% interval, and the count of each outcome, as the game
// describes them.
func (m watchModel) rateLines() []string {
	d, p := m.cfg.Game, m.prog
	sum := report.Summarize(d, report.Counts{Outcomes: p.Outcomes, Errored: p.Errored})
	rates := make([]string, len(sum.WinRates))
	for i, r := range sum.WinRates {
		rates[i] = fmt.Sprintf("%s wins %.0f%% [%.0f–%.0f]", r.Label, 100*r.Rate, 100*r.Lo, 100*r.Hi)
	}
	counts := make([]string, len(sum.OutcomeOrder))
	for i, o := range sum.OutcomeOrder {
		label := o
		if d != nil {
			if oc, ok := d.Outcome(o); ok && oc.Label != "" {
				label = oc.Label
			}
		}
		counts[i] = fmt.Sprintf("%s %d", oneLine(label), sum.Outcomes[o])
	}
	return []string{strings.Join(rates, "  "), "outcomes  " + strings.Join(counts, " · ")}
}

// subjectOf is what an episode's subject is called in game d: "word",
// "query"; "subject" when the game is unknown.
func subjectOf(d *game.Description) string {
	if d == nil || d.Subject == "" {
		return "subject"
	}
	return d.Subject
}

// safeCut cuts untrusted text to at most max bytes on a rune boundary, for
// one-line previews; the caller makes it visible.
func safeCut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}

func (m watchModel) focusView(g *liveGame) string {
	st, w := m.st, m.width
	label := subjectOf(m.cfg.Game)
	word := label + ": " + oneLine(g.setup.Subject)
	if m.hideWord {
		word = label + " hidden (h shows it)"
	}
	state := "in flight"
	if g.ep != nil {
		state = "finished"
	}
	head := fmt.Sprintf("episode #%d · %s · %s", g.setup.Index, word, state)
	lines := []string{st.title.Render(padRight(fitLine(head, w), w))}

	t := transcript{turns: g.turns, streaming: g.ep == nil && g.turnN > 0,
		partial: g.partial, partialN: g.turnN, partialRole: g.role}
	if g.ep != nil && !m.hideWord {
		ev := g.ep.Verdict.Evidence
		t.evidence = &ev
	}
	lines = appendPane(lines, t, st, w, m.maxBytes, m.bodyHeight(), m.scroll, m.follow, "(no utterance yet)")
	lines = append(lines, m.verdictLines(g)...)
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = lines[:m.height-1]
	lines = append(lines, st.dim.Render("esc back · ↑/↓ scroll · end follow · h hide word · ? keys · q quit"))
	return frame(lines, w, m.height)
}

func (m watchModel) verdictLines(g *liveGame) []string {
	switch {
	case g.ep == nil:
		return []string{m.st.dim.Render("verdict: pending"), ""}
	case g.ep.Errored():
		return []string{m.st.errorS.Render("errored: ") + oneLine(safeCut(g.ep.Err, 300)), ""}
	case m.hideWord:
		return []string{"verdict hidden with the word (h shows both)", ""}
	}
	return verdictSummary(m.st, g.ep.Verdict)
}

// verdictSummary is two lines describing a verdict.
func verdictSummary(st *styles, v game.Verdict) []string {
	first := fmt.Sprintf("verdict: %s at utterance %d · rule %s · %s",
		st.bold.Render(oneLine(v.Outcome)), v.DecidedAt, oneLine(v.Rule), oneLine(v.Judge))
	second := ""
	if v.Evidence.Turn > 0 {
		second = fmt.Sprintf("evidence: utterance %d bytes %d–%d %s", v.Evidence.Turn, v.Evidence.Start, v.Evidence.End,
			st.evidence.Render("»"+oneLine(safeCut(v.Evidence.Text, 200))+"«"))
	}
	return []string{first, second}
}
