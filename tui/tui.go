// Package tui is spag's terminal user interface, built with Bubble Tea:
// watching a self-play run live (from this process's events or from the
// store another process writes), following a loop of rounds, browsing and
// replaying stored episodes, and playing a game against a model.
//
// What a game's roles, outcomes and subject are called comes from its
// [game.Description]: given in the configuration, or looked up in
// [game.Games] by the game string of a run read from the store.
//
// The package reads game events ([game.Event]) and episode values
// ([episodes.Record]) through the small interfaces it declares
// ([EpisodeSource], [RunSource], [Human]); it never sees SQL or HTTP, and
// cmd/spag wires it to the store and the players. Update is the only place
// where state changes, View depends only on the model, and every read or
// write runs in a tea.Cmd.
//
// Model output is untrusted: every utterance, word and error string is made
// visible with internal/safetext (no control character or escape sequence
// reaches the terminal), wrapped to the screen and cut with a marker when
// very long.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// View names a screen of the UI.
type View int

// The screens.
const (
	WatchView View = iota
	ReplayView
	PlayView
	LoopView
)

func (v View) String() string {
	switch v {
	case WatchView:
		return "watch"
	case ReplayView:
		return "replay"
	case PlayView:
		return "play"
	case LoopView:
		return "loop"
	}
	return fmt.Sprintf("View(%d)", int(v))
}

// Config is everything the UI needs; nothing is read from package state.
// A screen is available when its configuration has a source: Watch.Events
// or Watch.Source, Replay.Source, Play.Human, Loop.Read.
type Config struct {
	// Start is the screen shown first; it must be available.
	Start  View
	Watch  WatchConfig
	Replay ReplayConfig
	Play   PlayConfig
	Loop   LoopConfig
	// NoColor turns every colour and text attribute off (set it when the
	// NO_COLOR environment variable is set).
	NoColor bool
	// Renderer detects the terminal's colours; nil means one for os.Stdout.
	Renderer *lipgloss.Renderer
	// MaxTextBytes is how much of one utterance is shown before it is cut
	// with a marker (default 4000).
	MaxTextBytes int
}

func (c Config) has(v View) bool {
	switch v {
	case WatchView:
		return c.Watch.Events != nil || c.Watch.Source != nil
	case ReplayView:
		return c.Replay.Source != nil
	case PlayView:
		return c.Play.Human != nil
	case LoopView:
		return c.Loop.Read != nil && c.Loop.Runs != nil
	}
	return false
}

// follower is the screen that follows a run or a loop, the one tab
// switches to from the replay browser; -1 when there is none.
func (c Config) follower() View {
	switch {
	case c.has(LoopView):
		return LoopView
	case c.has(WatchView):
		return WatchView
	}
	return -1
}

// Model is the root model: it owns the shared size and help state, handles
// the global keys and routes everything else to the active screen.
type Model struct {
	cfg    Config
	st     *styles
	active View
	width  int
	height int
	help   bool

	watch  watchModel
	replay replayModel
	play   playModel
	loop   loopModel
}

// New returns the root model for cfg, or an error naming what is missing.
func New(cfg Config) (Model, error) {
	if !cfg.has(cfg.Start) {
		return Model{}, fmt.Errorf("tui: the %s screen has no source configured", cfg.Start)
	}
	if cfg.MaxTextBytes <= 0 {
		cfg.MaxTextBytes = defaultMaxTextBytes
	}
	r := cfg.Renderer
	if r == nil {
		r = lipgloss.NewRenderer(os.Stdout)
	}
	st := newStyles(r, cfg.NoColor)
	m := Model{cfg: cfg, st: st, active: cfg.Start, width: 80, height: 24}
	if cfg.has(WatchView) {
		m.watch = newWatch(cfg.Watch, st, cfg.MaxTextBytes)
	}
	if cfg.has(ReplayView) {
		m.replay = newReplay(cfg.Replay, st, cfg.MaxTextBytes)
	}
	if cfg.has(PlayView) {
		m.play = newPlay(cfg.Play, st, cfg.MaxTextBytes)
	}
	if cfg.has(LoopView) {
		m.loop = newLoop(cfg.Loop, st, cfg.MaxTextBytes)
	}
	return m, nil
}

// Active is the screen shown.
func (m Model) Active() View { return m.active }

// Init starts every configured screen's commands.
func (m Model) Init() tea.Cmd {
	var cmds []tea.Cmd
	if m.cfg.has(WatchView) {
		cmds = append(cmds, m.watch.init())
	}
	if m.cfg.has(ReplayView) {
		cmds = append(cmds, m.replay.init())
	}
	if m.cfg.has(PlayView) {
		cmds = append(cmds, m.play.init())
	}
	if m.cfg.has(LoopView) {
		cmds = append(cmds, m.loop.init())
	}
	return tea.Batch(cmds...)
}

// capturing reports whether the active screen takes letters as text.
func (m Model) capturing() bool {
	switch m.active {
	case ReplayView:
		return m.replay.capturing()
	case PlayView:
		return m.play.capturing()
	}
	return false
}

// Update handles global keys and sizes, then routes the message: keys to
// the active screen, everything else to every screen (each ignores what
// is not its own).
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if size, ok := msg.(tea.WindowSizeMsg); ok {
		// The screens lay out for at least minWidth×minHeight; View
		// crops that to a smaller terminal.
		m.width, m.height = size.Width, size.Height
		msg = tea.WindowSizeMsg{Width: max(size.Width, minWidth), Height: max(size.Height, minHeight)}
	}
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch k := msg.String(); {
		case k == "ctrl+c":
			return m, tea.Quit
		case m.help:
			// Any key closes the help, q still quits.
			m.help = false
			if k == "q" {
				return m, tea.Quit
			}
			return m, nil
		case m.capturing():
		case k == "q":
			return m, tea.Quit
		case k == "?":
			m.help = true
			return m, nil
		case k == "tab" && m.active == m.cfg.follower() && m.cfg.has(ReplayView):
			m.active = ReplayView
			return m, m.replay.init() // reload: the run has moved on
		case k == "tab" && m.active == ReplayView && m.cfg.follower() >= 0 && !m.replay.capturing():
			m.active = m.cfg.follower()
			return m, nil
		}
		var cmd tea.Cmd
		switch m.active {
		case WatchView:
			m.watch, cmd = m.watch.update(msg)
		case ReplayView:
			m.replay, cmd = m.replay.update(msg)
		case PlayView:
			m.play, cmd = m.play.update(msg)
		case LoopView:
			m.loop, cmd = m.loop.update(msg)
		}
		return m, cmd
	}
	var cmds [4]tea.Cmd
	if m.cfg.has(WatchView) {
		m.watch, cmds[0] = m.watch.update(msg)
	}
	if m.cfg.has(ReplayView) {
		m.replay, cmds[1] = m.replay.update(msg)
	}
	if m.cfg.has(PlayView) {
		m.play, cmds[2] = m.play.update(msg)
	}
	if m.cfg.has(LoopView) {
		m.loop, cmds[3] = m.loop.update(msg)
	}
	return m, tea.Batch(cmds[:]...)
}

// minWidth and minHeight are the smallest screen the views lay out for.
// A smaller terminal (stty rows 0, a split pane squeezed to nothing) shows
// the top left corner of that layout: every view can then assume room for
// its title, one row of content and its key line.
const minWidth, minHeight = 20, 8

// View renders the active screen, or the key help over it, cut to the
// terminal when it is smaller than the views' minimum.
func (m Model) View() string {
	if m.width >= minWidth && m.height >= minHeight {
		return m.view()
	}
	if m.height <= 0 {
		return ""
	}
	lines := strings.Split(m.view(), "\n")
	return frame(lines, max(m.width, 0), m.height)
}

func (m Model) view() string {
	if m.help {
		return m.helpView()
	}
	switch m.active {
	case WatchView:
		return m.watch.view()
	case ReplayView:
		return m.replay.view()
	case PlayView:
		return m.play.view()
	case LoopView:
		return m.loop.view()
	}
	return ""
}

func (m Model) helpView() string {
	var keys [][2]string
	switch m.active {
	case WatchView:
		keys = m.watch.keys()
	case ReplayView:
		keys = m.replay.keys()
	case PlayView:
		keys = m.play.keys()
	case LoopView:
		keys = m.loop.keys()
	}
	w, h := max(m.width, minWidth), max(m.height, minHeight)
	lines := []string{m.st.title.Render(padRight("spag "+m.active.String()+" · keys", w)), ""}
	for _, k := range keys {
		lines = append(lines, "  "+m.st.key.Render(padRight(k[0], 16))+k[1])
	}
	lines = append(lines, "", "  "+m.st.key.Render(padRight("?", 16))+"this help (any key closes it)",
		"  "+m.st.key.Render(padRight("ctrl+c", 16))+"quit")
	if f := m.cfg.follower(); f >= 0 && m.cfg.has(ReplayView) {
		lines = append(lines, "  "+m.st.key.Render(padRight("tab", 16))+"switch between "+f.String()+" and replay")
	}
	return frame(lines, w, h)
}

// RunOptions are the terminal-facing settings of [Run].
type RunOptions struct {
	// In and Out are the terminal; nil means os.Stdin and os.Stdout.
	In  io.Reader
	Out io.Writer
	// Log receives the standard logger's output (and so log/slog's
	// default) while the UI runs, since the screen belongs to the UI; the
	// previous output is restored afterwards. nil discards it. [OpenLog]
	// opens the usual file.
	Log io.Writer
	// NoAltScreen keeps the UI in the normal screen (for tests and
	// terminals without an alternate screen).
	NoAltScreen bool
}

// Run shows the UI until the user quits or ctx is cancelled, and returns
// the final model.
func Run(ctx context.Context, cfg Config, opts RunOptions) (Model, error) {
	m, err := New(cfg)
	if err != nil {
		return Model{}, err
	}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	prev := log.Writer()
	log.SetOutput(logw)
	defer log.SetOutput(prev)
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.In != nil {
		popts = append(popts, tea.WithInput(opts.In))
	}
	if opts.Out != nil {
		popts = append(popts, tea.WithOutput(opts.Out))
	}
	if !opts.NoAltScreen {
		popts = append(popts, tea.WithAltScreen())
	}
	final, err := tea.NewProgram(m, popts...).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		err = ctx.Err()
	}
	if fm, ok := final.(Model); ok {
		m = fm
	}
	if err != nil {
		return m, fmt.Errorf("tui: %w", err)
	}
	return m, nil
}
