package kuhn

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/spag-go/spag/game"
)

// ErrHandOver is returned by [State.Apply] once the hand has ended.
var ErrHandOver = errors.New("kuhn: the hand is over")

// State is one hand. It is not safe for concurrent use.
type State struct {
	cards   [2]Card
	moves   []Move // legal moves so far
	history []game.Message
	verdict game.Verdict
	done    bool
}

var _ game.State = (*State)(nil)

// Cards returns the deal: the first player's card, then the second's.
func (s *State) Cards() [2]Card { return s.cards }

// Moves returns the legal moves made so far.
func (s *State) Moves() []Move { return append([]Move(nil), s.moves...) }

// CurrentPlayer returns 0 (first), 1 (second) or -1 once the hand is over.
func (s *State) CurrentPlayer() int {
	if s.done {
		return -1
	}
	return len(s.history) % 2
}

// IsTerminal reports whether the hand is over.
func (s *State) IsTerminal() bool { return s.done }

// Apply records the current player's answer and judges it: a legal move
// moves the hand on (and may end it); an answer without exactly one move,
// or with a move that is not legal now, ends the hand as the player's
// forfeit.
func (s *State) Apply(text string) error {
	if s.done {
		return ErrHandOver
	}
	p := s.CurrentPlayer()
	s.history = append(s.history, game.Message{Role: Roles[p], Content: text})
	n := len(s.history)
	pm, err := ParseMove(text)
	switch {
	case errors.Is(err, ErrNoMove):
		s.forfeit(p, RuleNoMove, evidence(n, text, 0, len(text)))
		return nil
	case err != nil:
		s.forfeit(p, RuleTwoMoves, evidence(n, text, pm.Start, pm.End))
		return nil
	}
	legal := Legal(s.moves)
	if !contains(legal, pm.Move) {
		s.forfeit(p, RuleIllegalMove, evidence(n, text, pm.Start, pm.End))
		return nil
	}
	s.moves = append(s.moves, pm.Move)
	if over(s.moves) {
		rule := RuleShowdown
		if pm.Move == Fold {
			rule = RuleFold
		}
		s.finish(game.Verdict{Outcome: outcomeOf(payoff(s.cards, s.moves)), Rule: rule, DecidedAt: n,
			Evidence: evidence(n, text, pm.Start, pm.End)})
	}
	return nil
}

// Roles are the roles by player index; callers must not modify it.
var Roles = []string{First, Second}

func (s *State) forfeit(p int, rule string, ev game.Evidence) {
	outcome := FirstForfeits
	if p == 1 {
		outcome = SecondForfeits
	}
	s.finish(game.Verdict{Outcome: outcome, Rule: rule, DecidedAt: len(s.history), Evidence: ev})
}

func (s *State) finish(v game.Verdict) {
	v.Judge = New().JudgeID()
	s.verdict, s.done = v, true
}

// maxEvidence bounds the evidence of an answer that names no move: its
// first bytes are enough to show what was said instead.
const maxEvidence = 120

// evidence is the span [start, end) of utterance n, shortened to
// maxEvidence bytes on a character boundary.
func evidence(n int, text string, start, end int) game.Evidence {
	if end-start > maxEvidence {
		end = start + maxEvidence
		for end > start && !utf8.RuneStart(text[end]) {
			end--
		}
	}
	return game.Evidence{Turn: n, Start: start, End: end, Text: text[start:end]}
}

func contains(ms []Move, m Move) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

// Verdict returns the outcome once the hand is over.
func (s *State) Verdict() game.Verdict { return s.verdict }

// Transcript returns the answers so far, capped at their length.
func (s *State) Transcript() []game.Message {
	n := len(s.history)
	return s.history[:n:n]
}

// Observation returns player p's view: the public answers and, as its
// secret, the sentence that tells it its card.
func (s *State) Observation(p int) game.Observation {
	return game.Observation{
		Player:        p,
		Role:          Roles[p],
		Turn:          len(s.history) + 1,
		MaxUtterances: 3,
		Secret:        cardSentence(s.cards[p]),
		Transcript:    s.Transcript(),
		Prompter:      New(),
	}
}

// Clone returns an independent copy.
func (s *State) Clone() game.State {
	c := *s
	c.moves = append([]Move(nil), s.moves...)
	c.history = append([]game.Message(nil), s.history...)
	return &c
}

// cardSentence tells a player its card; it is the observation's secret,
// and a prompt shows it to that player only.
func cardSentence(c Card) string { return "Your card is the " + c.String() + "." }

// CardOf reads the card an observation of this game tells its player.
func CardOf(o game.Observation) (Card, error) {
	for c := Jack; c <= King; c++ {
		if o.Secret == cardSentence(c) {
			return c, nil
		}
	}
	return 0, fmt.Errorf("kuhn: observation's secret %q names no card", o.Secret)
}

// MovesOf reads the moves of an observation's transcript; it fails on an
// answer that was not a legal move (the hand is then over).
func MovesOf(o game.Observation) ([]Move, error) {
	var moves []Move
	for i, m := range o.Transcript {
		pm, err := ParseMove(m.Content)
		if err != nil || !contains(Legal(moves), pm.Move) {
			return nil, fmt.Errorf("kuhn: answer %d (%q) is not a legal move", i+1, m.Content)
		}
		moves = append(moves, pm.Move)
	}
	return moves, nil
}
