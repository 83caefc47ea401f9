package apo

import (
	"errors"

	"github.com/spag-go/spag/game"
)

// ErrGameOver is returned by [State.Apply] once the episode has ended.
var ErrGameOver = errors.New("apo: the episode is over")

// State is one episode: the generator's turn, then the reward model's. It
// is not safe for concurrent use.
type State struct {
	g         *Game
	query     string
	gold      string
	goldFirst bool
	history   []game.Message
	scores    Scores
	verdict   game.Verdict
	done      bool
}

var _ game.State = (*State)(nil)

// Query returns the episode's query.
func (s *State) Query() string { return s.query }

// GoldFirst reports whether the reward model sees the gold response as A.
func (s *State) GoldFirst() bool { return s.goldFirst }

// Ratings returns the reward model's scores of the gold and the generated
// response; ok is false until the episode has ended with readable scores.
func (s *State) Ratings() (gold, sample float64, ok bool) {
	if !s.done || s.verdict.Rule == RuleUnreadableScores {
		return 0, 0, false
	}
	gold, sample = orient(s.goldFirst, s.scores.A, s.scores.B)
	return gold, sample, true
}

// CurrentPlayer returns 0 (generator), 1 (reward model), or -1 once over.
func (s *State) CurrentPlayer() int {
	if s.done {
		return -1
	}
	return len(s.history)
}

// IsTerminal reports whether the episode is over.
func (s *State) IsTerminal() bool { return s.done }

// Apply records the current player's utterance. The generator's text is
// accepted as it is; the reward model's is parsed with [ParseScores], and
// the episode is decided by it.
func (s *State) Apply(text string) error {
	if s.done {
		return ErrGameOver
	}
	role := s.g.Roles()[len(s.history)]
	s.history = append(s.history, game.Message{Role: role, Content: text})
	if role == RewardModel {
		s.decide(text)
	}
	return nil
}

func (s *State) decide(reply string) {
	v := game.Verdict{DecidedAt: 2, Judge: s.g.JudgeID()}
	sc, err := ParseScores(reply)
	if err != nil {
		v.Outcome, v.Rule = RewardModelBrokeRules, RuleUnreadableScores
	} else {
		s.scores = sc
		v.Evidence = game.Evidence{Turn: 2, Start: sc.Start, End: sc.End, Text: reply[sc.Start:sc.End]}
		gold, sample := orient(s.goldFirst, sc.A, sc.B)
		switch {
		case gold > sample:
			v.Outcome, v.Rule = RewardModelWins, RuleGoldPreferred
		case sample > gold:
			v.Outcome, v.Rule = GeneratorWins, RuleSamplePreferred
		default:
			v.Outcome, v.Rule = Tie, RuleEqualScores
		}
	}
	s.verdict = v
	s.done = true
}

// Verdict returns the outcome once the episode is over.
func (s *State) Verdict() game.Verdict { return s.verdict }

// Transcript returns the utterances so far (the generator's response, then
// the reward model's ratings). The slice is capped at its length.
func (s *State) Transcript() []game.Message {
	n := len(s.history)
	return s.history[:n:n]
}

// Observation returns player p's view. Both see the query (the first
// message, role [RoleQuery]); once the generator has answered, the reward
// model also sees the two responses as [RoleResponseA] and [RoleResponseB],
// cut to the game's limit, without being told which is the gold one.
func (s *State) Observation(p int) game.Observation {
	o := game.Observation{
		Player:        p,
		Turn:          len(s.history) + 1,
		MaxUtterances: 2,
		Transcript:    []game.Message{{Role: RoleQuery, Content: s.query}},
		Prompter:      s.g,
	}
	switch p {
	case 0:
		o.Role = Generator
	case 1:
		o.Role = RewardModel
		if len(s.history) > 0 {
			a, b := s.g.Shown(s.gold), s.g.Shown(s.history[0].Content)
			if !s.goldFirst {
				a, b = b, a
			}
			o.Transcript = append(o.Transcript, game.Message{Role: RoleResponseA, Content: a}, game.Message{Role: RoleResponseB, Content: b})
		}
	}
	return o
}

// Clone returns an independent copy.
func (s *State) Clone() game.State {
	c := *s
	c.history = append([]game.Message(nil), s.history...)
	return &c
}

// QueryOf returns the query an observation of this game shows.
func QueryOf(o game.Observation) string {
	for _, m := range o.Transcript {
		if m.Role == RoleQuery {
			return m.Content
		}
	}
	return ""
}

// ResponsesOf returns the two responses a reward model's observation shows;
// ok is false before the generator has answered.
func ResponsesOf(o game.Observation) (a, b string, ok bool) {
	var haveA, haveB bool
	for _, m := range o.Transcript {
		switch m.Role {
		case RoleResponseA:
			a, haveA = m.Content, true
		case RoleResponseB:
			b, haveB = m.Content, true
		}
	}
	return a, b, haveA && haveB
}
