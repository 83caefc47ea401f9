package gametest

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spag-go/spag/game"
)

// toy is a small correct game: the keeper (player 0) knows a secret word;
// the seeker wins by saying it, the keeper loses by saying it, and after 6
// utterances it is a draw. A non-empty fault breaks one invariant, to show
// that the suite catches it.
type toy struct {
	fault string
	calls *atomic.Int64 // String calls, for the unstable-string fault
}

func newToy(fault string) toy { return toy{fault: fault, calls: new(atomic.Int64)} }

func (g toy) Name() string { return "toy" }

func (g toy) String() string {
	n := g.calls.Add(1)
	if g.fault == "unstable-string" {
		return fmt.Sprintf("toy(call=%d)", n)
	}
	return "toy(max=6)"
}

func (g toy) Roles() []string { return []string{"keeper", "seeker"} }

func (g toy) NewState(setup game.Setup) (game.State, error) {
	if setup.Subject == "" {
		return nil, errors.New("toy: empty subject")
	}
	return &toyState{g: g, secret: setup.Subject, hist: make([]game.Message, 0, 6)}, nil
}

func (g toy) Prompt(o game.Observation) (game.Prompt, error) {
	sys := "Toy rules."
	if o.Secret != "" {
		sys += " Your secret is " + o.Secret + "."
	}
	if g.fault == "prompt-leak" && o.Role == "seeker" {
		sys += " The keeper's secret is " + o.Secret + "?"
	}
	return game.Prompt{Messages: []game.Message{{Role: "system", Content: sys}, {Role: "user", Content: fmt.Sprint(len(o.Transcript), " messages")}}}, nil
}

type toyState struct {
	g       toy
	secret  string
	hist    []game.Message
	verdict game.Verdict
	done    bool
}

func (s *toyState) CurrentPlayer() int {
	if s.done && s.g.fault != "player-after-end" {
		return -1
	}
	return len(s.hist) % 2
}

func (s *toyState) IsTerminal() bool { return s.done }

func (s *toyState) Observation(p int) game.Observation {
	n := len(s.hist)
	o := game.Observation{Player: p, Role: s.g.Roles()[p&1], Turn: n + 1, MaxUtterances: 6, Transcript: s.hist[:n:n], Prompter: s.g}
	if s.g.fault == "never-ends" {
		o.MaxUtterances = 0 // no limit
	}
	if p == 0 || s.g.fault == "leak-secret" {
		o.Secret = s.secret
	}
	if s.g.fault == "prompt-leak" && p == 1 {
		o.Secret = "" // the prompter leaks it; see Prompt
		o.Prompter = leakPrompter{s.secret}
	}
	if s.done && s.g.fault == "observation-after-end" {
		o.Player = -1
	}
	return o
}

type leakPrompter struct{ secret string }

func (l leakPrompter) Prompt(o game.Observation) (game.Prompt, error) {
	return game.Prompt{Messages: []game.Message{{Role: "user", Content: "psst: " + l.secret}}}, nil
}

func (s *toyState) Apply(text string) error {
	if s.done && s.g.fault != "apply-after-end" {
		return errors.New("toy: over")
	}
	n := len(s.hist) + 1
	s.hist = append(s.hist, game.Message{Role: s.g.Roles()[(n-1)%2], Content: text})
	if s.done || s.g.fault == "never-ends" {
		return nil
	}
	if i := strings.Index(text, s.secret); i >= 0 {
		outcome := "seeker_wins"
		if n%2 == 1 {
			outcome = "keeper_loses"
		}
		end := i + len(s.secret)
		if s.g.fault == "bad-evidence" {
			end += 100
		}
		s.verdict = game.Verdict{Outcome: outcome, DecidedAt: n, Rule: "said", Evidence: game.Evidence{Turn: n, Start: i, End: end, Text: s.secret}}
		s.done = true
	} else if n >= 6 {
		outcome := "draw"
		if s.g.fault == "undescribed-outcome" {
			outcome = "stalemate"
		}
		s.verdict = game.Verdict{Outcome: outcome, DecidedAt: n, Rule: "limit"}
		s.done = true
	}
	return nil
}

func (s *toyState) Verdict() game.Verdict {
	v := s.verdict
	if s.done && s.g.fault == "verdict-drift" {
		v.DecidedAt += int(s.g.calls.Add(1))
	}
	return v
}

func (s *toyState) Transcript() []game.Message {
	if s.g.fault == "aliasing-transcript" {
		return s.hist
	}
	n := len(s.hist)
	return s.hist[:n:n]
}

func (s *toyState) Clone() game.State {
	c := *s
	if s.g.fault != "shared-clone" {
		c.hist = append(make([]game.Message, 0, 6), s.hist...)
	}
	return &c
}

var toyOptions = Options{Subjects: []string{"kiwi", "plum", "fig"}, Phrases: []string{"is it {subject}", "is it {other}"}, MaxSteps: 50}

// TestToyPasses runs the suite as a game's test would, on a correct game.
// The toy game describes itself, as real games do, so that the suite
// checks its verdicts against the description.
func init() {
	game.Games.Register(&game.Description{
		Name: "toy", Subject: "secret", Roles: []string{"keeper", "seeker"},
		Outcomes: []game.Outcome{
			{Name: "seeker_wins", Winner: "seeker", Loser: "keeper"},
			{Name: "keeper_loses", Winner: "seeker", Loser: "keeper", RuleBreak: true},
			{Name: "draw"},
		},
	})
}

func TestToyPasses(t *testing.T) {
	RunWith(t, newToy(""), toyOptions)
}

// TestFaultsAreCaught shows that each broken invariant fails the suite with
// a message that names it.
func TestFaultsAreCaught(t *testing.T) {
	tests := []struct {
		fault string
		want  string
	}{
		{"player-after-end", "CurrentPlayer() = "},
		{"apply-after-end", "Apply on a terminal state returned no error"},
		{"shared-clone", "clone"},
		{"leak-secret", "secret"},
		{"prompt-leak", "leaks into player 1's prompt"},
		{"verdict-drift", "verdict"},
		{"unstable-string", "String() is not stable"},
		{"aliasing-transcript", "overwrote a message a caller appended"},
		{"observation-after-end", "Observation(0) is for player -1"},
		{"bad-evidence", "evidence span"},
		{"never-ends", "not over after 50 utterances"},
		{"undescribed-outcome", "not among the outcomes the game's description lists"},
	}
	for _, tc := range tests {
		t.Run(tc.fault, func(t *testing.T) {
			err := check(newToy(tc.fault), toyOptions)
			if err == nil {
				t.Fatalf("the suite passed a game with fault %s", tc.fault)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestCheckPromptShape(t *testing.T) {
	m := func(roles ...string) game.Prompt {
		var p game.Prompt
		for _, r := range roles {
			p.Messages = append(p.Messages, game.Message{Role: r, Content: "x"})
		}
		return p
	}
	tests := []struct {
		name string
		p    game.Prompt
		ok   bool
	}{
		{"user", m("user"), true},
		{"system user", m("system", "user"), true},
		{"system user assistant user", m("system", "user", "assistant", "user"), true},
		{"empty", m(), false},
		{"system only", m("system"), false},
		{"ends with assistant", m("user", "assistant"), false},
		{"two users", m("user", "user"), false},
		{"assistant first", m("assistant", "user"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkPromptShape(tc.p)
			if (err == nil) != tc.ok {
				t.Fatalf("checkPromptShape = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
