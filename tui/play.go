package tui

import (
	"errors"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players/human"
)

// Human is the person's side of a game, as players/human.Player provides
// it.
type Human interface {
	// Prompts delivers the person's turns.
	Prompts() <-chan *human.Prompt
	// Done is closed when no more turns will come.
	Done() <-chan struct{}
}

// PlayConfig configures the play view, where a person plays one game.
type PlayConfig struct {
	// Human supplies the person's turns.
	Human Human
	// Events is the game's event stream; the game's owner closes it when
	// the game is over.
	Events <-chan game.Event
	// Game describes the game being played: the rules line under the
	// input and who won come from it.
	Game *game.Description
	// Role is the person's role (one of Game.Roles); Opponent names the
	// backend playing the other one.
	Role     string
	Opponent string
}

// promptMsg is a turn the person must play.
type promptMsg struct {
	from   Human
	prompt *human.Prompt
}

// answeredMsg reports what became of the typed utterance.
type answeredMsg struct {
	prompt *human.Prompt
	err    error
}

func waitForPrompt(h Human) tea.Cmd {
	return func() tea.Msg {
		select {
		case p := <-h.Prompts():
			return promptMsg{from: h, prompt: p}
		case <-h.Done():
			return promptMsg{from: h}
		}
	}
}

func answer(p *human.Prompt, text string) tea.Cmd {
	return func() tea.Msg { return answeredMsg{prompt: p, err: p.Answer(text)} }
}

// playModel is the play view.
type playModel struct {
	cfg      PlayConfig
	st       *styles
	maxBytes int
	width    int
	height   int

	turns       []game.Turn
	partial     string
	partialN    int
	partialRole string
	secret      string
	maxUtt      int
	episode     int

	pending *human.Prompt
	input   lineInput
	note    string
	ep      *game.Episode
	over    bool // the event stream ended
	scroll  int
	follow  bool
}

func newPlay(cfg PlayConfig, st *styles, maxBytes int) playModel {
	return playModel{cfg: cfg, st: st, maxBytes: maxBytes, width: 80, height: 24,
		input: newLineInput("> ", 2000), follow: true}
}

func (m playModel) init() tea.Cmd {
	var cmds []tea.Cmd
	if m.cfg.Events != nil {
		cmds = append(cmds, waitForEvents(m.cfg.Events))
	}
	if m.cfg.Human != nil {
		cmds = append(cmds, waitForPrompt(m.cfg.Human))
	}
	return tea.Batch(cmds...)
}

// capturing: while the person may type, letters are text, not commands.
func (m playModel) capturing() bool { return m.pending != nil && m.ep == nil }

func (m playModel) update(msg tea.Msg) (playModel, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case eventsMsg:
		if msg.from != m.cfg.Events || m.cfg.Events == nil {
			return m, nil
		}
		for _, e := range msg.events {
			m = m.apply(e)
		}
		if msg.closed {
			m.over, m.pending = true, nil
			return m, nil
		}
		return m, waitForEvents(m.cfg.Events)
	case promptMsg:
		if msg.from != m.cfg.Human || msg.prompt == nil {
			return m, nil
		}
		p := msg.prompt
		m.pending, m.note = p, ""
		m.secret, m.maxUtt, m.episode = p.Observation.Secret, p.Observation.MaxUtterances, p.Episode
		if len(p.Observation.Transcript) > len(m.turns) {
			// Events were missed: rebuild the transcript from the
			// observation, which is authoritative.
			m.turns = m.turns[:0:0]
			for i, msg := range p.Observation.Transcript {
				m.turns = append(m.turns, game.Turn{N: i + 1, Role: msg.Role, Text: msg.Content})
			}
		}
		m.partial, m.partialN = "", 0
		m.input.Focus()
		m.follow = true
		return m, nil
	case answeredMsg:
		switch {
		case msg.err == nil:
			if m.pending == msg.prompt {
				m.pending = nil
				m.input.SetValue("")
				m.input.Blur()
			}
			return m, waitForPrompt(m.cfg.Human)
		case errors.Is(msg.err, human.ErrEmpty):
			m.note = "say something first"
		default:
			m.note = msg.err.Error()
			m.pending = nil
		}
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m playModel) apply(e game.Event) playModel {
	switch e := e.(type) {
	case game.TurnStarted:
		m.partial, m.partialN, m.partialRole = "", e.Turn, e.Role
	case game.TokenDelta:
		if e.Turn == m.partialN {
			m.partial += e.Text
		}
	case game.TurnFinished:
		if n := len(m.turns); n == 0 || m.turns[n-1].N < e.Turn.N {
			m.turns = append(m.turns, e.Turn)
		}
		m.partial, m.partialN = "", 0
	case game.EpisodeFinished:
		if e.Episode != nil {
			m.ep = e.Episode
			m.turns = e.Episode.Turns
			m.pending, m.partialN = nil, 0
			m.input.Blur()
		}
	}
	return m
}

func (m playModel) key(msg tea.KeyMsg) (playModel, tea.Cmd) {
	if m.capturing() {
		switch msg.String() {
		case "enter":
			return m, answer(m.pending, m.input.Value())
		case "pgup":
			m.scroll, m.follow = m.scroll-m.bodyHeight(), false
			return m, nil
		case "pgdown":
			m.scroll += m.bodyHeight()
			return m, nil
		}
		m.input = m.input.Update(msg)
		return m, nil
	}
	switch msg.String() {
	case "up", "k":
		m.scroll, m.follow = m.scroll-1, false
	case "down", "j":
		m.scroll++
	case "pgup":
		m.scroll, m.follow = m.scroll-m.bodyHeight(), false
	case "pgdown":
		m.scroll += m.bodyHeight()
	case "end":
		m.follow = true
	}
	m.scroll = max(0, m.scroll)
	return m, nil
}

func (m playModel) keys() [][2]string {
	return [][2]string{{"type, enter", "send your utterance"}, {"pgup/pgdn", "scroll the transcript"},
		{"ctrl+c", "quit (an unfinished game is not stored)"}, {"q", "quit once the game is over"}}
}

func (m playModel) bodyHeight() int { return max(1, m.height-7) }

func (m playModel) view() string {
	st, w := m.st, m.width
	head := fmt.Sprintf("spag play · you are the %s vs %s", oneLine(m.cfg.Role), oneLine(m.cfg.Opponent))
	if m.secret != "" {
		head += " · word: " + oneLine(m.secret)
	} else if m.ep != nil {
		head += " · word was: " + oneLine(m.ep.Subject)
	}
	if m.maxUtt > 0 {
		head += fmt.Sprintf(" · %d/%d", len(m.turns), m.maxUtt)
	}
	lines := []string{st.title.Render(padRight(fitLine(head, w), w))}

	t := transcript{turns: m.turns, streaming: m.partialN > 0 && m.ep == nil && m.pending == nil,
		partial: m.partial, partialN: m.partialN, partialRole: m.partialRole}
	if m.ep != nil {
		ev := m.ep.Verdict.Evidence
		t.evidence = &ev
	}
	lines = appendPane(lines, t, st, w, m.maxBytes, m.bodyHeight(), m.scroll, m.follow, "(waiting for the first utterance)")
	switch {
	case m.ep != nil && m.ep.Errored():
		lines = append(lines, st.errorS.Render("the game failed: ")+oneLine(safeCut(m.ep.Err, 300)), "", "")
	case m.ep != nil:
		v := m.ep.Verdict
		lines = append(lines, verdictSummary(st, v)...)
		lines = append(lines, st.bold.Render(m.result(v.Outcome)))
	case m.over:
		lines = append(lines, "the game ended before a verdict", "", "")
	case m.pending != nil:
		lines = append(lines, m.hint(), oneLine(m.note), m.input.View(w))
	default:
		lines = append(lines, st.dim.Render(oneLine(m.cfg.Opponent)+" is thinking…"), "", "")
	}
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = lines[:m.height-1]
	footer := "enter send · pgup/pgdn scroll · ? keys · ctrl+c quit"
	if m.ep != nil || m.over {
		footer = "↑/↓ scroll · q quit"
	}
	lines = append(lines, st.dim.Render(footer))
	return frame(lines, w, m.height)
}

// hint reminds the person of the rules of their role, as the game words
// them.
func (m playModel) hint() string {
	if m.cfg.Game == nil {
		return ""
	}
	return m.st.dim.Render(m.cfg.Game.RoleGoals[m.cfg.Role])
}

// result says who won, from the person's side.
func (m playModel) result(outcome string) string {
	if m.cfg.Game == nil {
		return "Outcome: " + oneLine(outcome) + "."
	}
	switch m.cfg.Game.Result(outcome, m.cfg.Role) {
	case 1:
		return "You win!"
	case -1:
		return "You lose."
	}
	return "It's a tie."
}
