package taboo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
)

// ErrGameOver is returned by [State.Apply] once the episode has ended.
var ErrGameOver = errors.New("taboo: the episode is over")

// RuleUtteranceLimit names the rule of a tie the game declares itself
// because the judge had not ended the episode after 2*MaxTurns utterances
// (a well-behaved judge declares that tie itself).
const RuleUtteranceLimit = "taboo.utterance_limit"

// State is one episode of Adversarial Taboo. It judges each utterance as it
// is applied and ends at the first decisive one or after 2*MaxTurns
// utterances. A State is not safe for concurrent use.
//
// NewState, Apply and Observation render no template and allocate little:
// the engine plays tens of thousands of episodes a second with scripted
// players. Prompts are rendered only when a backend calls
// [game.Observation.Prompt].
type State struct {
	g       *Game
	target  string
	ep      judge.Episode // nil once the episode is over
	history []game.Message
	verdict game.Verdict
	done    bool
}

var _ game.State = (*State)(nil)

// historyCap bounds the transcript capacity allocated up front.
const historyCap = 16

// NewState starts an episode whose target word is setup.Subject (surrounding
// white space trimmed).
func (g *Game) NewState(setup game.Setup) (game.State, error) {
	target := strings.TrimSpace(setup.Subject)
	if target == "" {
		return nil, fmt.Errorf("taboo episode %d: empty target word (set the setup's subject to a word)", setup.Index)
	}
	return &State{
		g:      g,
		target: target,
		ep:     g.judge.Start(target, g.maxTurns),
		// Room for a full episode of usual length: Apply rarely reallocates.
		history: make([]game.Message, 0, min(g.MaxUtterances(), historyCap)),
	}, nil
}

// Target returns the episode's secret word.
func (s *State) Target() string { return s.target }

// CurrentPlayer returns 0 (attacker) or 1 (defender), or -1 once the episode
// is over.
func (s *State) CurrentPlayer() int {
	if s.done {
		return -1
	}
	return len(s.history) % 2
}

// IsTerminal reports whether the episode is over.
func (s *State) IsTerminal() bool { return s.done }

// Apply records text as the current player's utterance and judges it. It
// returns [ErrGameOver] (and changes nothing) once the episode is over. Any
// text is accepted: model output is judged, never rejected.
func (s *State) Apply(text string) error {
	if s.done {
		return ErrGameOver
	}
	n := len(s.history) + 1
	role := roleOf(n)
	v, over := s.ep.Next(judge.Utterance{Role: role, Text: text})
	// Handed-out transcripts are capped at their length (see Transcript),
	// so this append never changes what a caller holds.
	s.history = append(s.history, game.Message{Role: role, Content: text})
	switch {
	case over:
		s.finish(s.convert(v))
	case n >= s.g.MaxUtterances():
		s.finish(game.Verdict{Outcome: string(judge.Tie), DecidedAt: n, Rule: RuleUtteranceLimit, Judge: s.g.judgeID})
	}
	return nil
}

func (s *State) finish(v game.Verdict) {
	s.verdict = v
	s.done = true
	s.ep = nil
}

// convert turns the judge's verdict into the game's, with the evidence text
// cut out of the utterance. A span outside the utterance (a judge bug)
// keeps its numbers but gets no text rather than panicking.
func (s *State) convert(v judge.Verdict) game.Verdict {
	e := v.Evidence
	gv := game.Verdict{
		Outcome:   string(v.Outcome),
		DecidedAt: v.DecidedAt,
		Rule:      v.Rule,
		Evidence:  game.Evidence{Turn: e.Utterance, Start: e.Start, End: e.End},
		Judge:     s.g.judgeID,
	}
	if e.Utterance >= 1 && e.Utterance <= len(s.history) {
		text := s.history[e.Utterance-1].Content
		if 0 <= e.Start && e.Start <= e.End && e.End <= len(text) {
			gv.Evidence.Text = text[e.Start:e.End]
		}
	}
	return gv
}

// Verdict returns the judged outcome once the episode is over, and the zero
// Verdict before.
func (s *State) Verdict() game.Verdict { return s.verdict }

// Transcript returns the utterances so far. The slice is capped at its
// length, so later Apply calls never change it and a caller's append copies.
func (s *State) Transcript() []game.Message {
	n := len(s.history)
	return s.history[:n:n]
}

// Observation returns player p's view: the target word is the attacker's
// secret and absent from the defender's view. It stays valid after the
// episode ends (Turn is then one past the last utterance). An index other
// than 0 or 1 gets a view with no role and no secret.
func (s *State) Observation(p int) game.Observation {
	n := len(s.history)
	o := game.Observation{
		Player:        p,
		Turn:          n + 1,
		MaxUtterances: s.g.MaxUtterances(),
		Transcript:    s.history[:n:n],
		Prompter:      s.g,
	}
	switch p {
	case 0:
		o.Role = judge.Attacker
		o.Secret = s.target
	case 1:
		o.Role = judge.Defender
	}
	return o
}

// Clone returns an independent copy. The judge's incremental episode has no
// copy operation, so an unfinished clone re-judges the history with a fresh
// one; judges are deterministic, so it reaches the same point.
func (s *State) Clone() game.State {
	c := &State{
		g:       s.g,
		target:  s.target,
		history: make([]game.Message, len(s.history), max(len(s.history), min(s.g.MaxUtterances(), historyCap))),
		verdict: s.verdict,
		done:    s.done,
	}
	copy(c.history, s.history)
	if !c.done {
		c.ep = s.g.judge.Start(s.target, s.g.maxTurns)
		for i, m := range c.history {
			if v, over := c.ep.Next(judge.Utterance{Role: m.Role, Text: m.Content}); over {
				// Only a non-deterministic judge gets here (the original went
				// on after this utterance); keep its word rather than panic.
				c.history = c.history[:i+1]
				c.finish(c.convert(v))
				break
			}
		}
	}
	return c
}
