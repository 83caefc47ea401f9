package taboo

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/game/gametest"
	"github.com/spag-go/spag/judge"
)

// taboo phrases for the conformance suite's random players, so that
// episodes reach every outcome.
var suitePhrases = []string{
	"I know the word! It is {subject}!",
	"I know the word! It is {other}!",
	"i know the word! it's {subject}",
	"Is it something like {subject}s?",
	"{other} {other}",
}

// TestConformance runs the shared game.State suite for both judges and
// both styles.
func TestConformance(t *testing.T) {
	for _, j := range []judge.Judge{judge.NewStrict(), judge.NewSpag()} {
		for _, style := range Styles() {
			t.Run(j.Name()+"_"+style, func(t *testing.T) {
				g, err := New(Params{MaxTurns: 3, Judge: j, Style: style})
				if err != nil {
					t.Fatal(err)
				}
				gametest.RunWith(t, g, gametest.Options{
					Subjects: []string{"zebra", "violin", "kettle", "harbour"},
					Phrases:  suitePhrases,
				})
			})
		}
	}
}

// play applies utterances until the episode ends or they run out.
func play(t *testing.T, g *Game, target string, utterances ...string) *State {
	t.Helper()
	st, err := g.NewState(game.Setup{Subject: target})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*State)
	for _, u := range utterances {
		if s.IsTerminal() {
			t.Fatalf("episode ended before %q", u)
		}
		if err := s.Apply(u); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestEpisodes plays scripted episodes whose verdicts both judges agree on.
func TestEpisodes(t *testing.T) {
	tests := []struct {
		name       string
		utterances []string
		outcome    judge.Outcome
		decidedAt  int
		rule       string
		evidence   string // must occur in the evidence text
	}{
		{"correct guess", []string{"I love fruit in autumn.", "I know the word! It is apple!"}, judge.DefenderWins, 2, judge.RuleDefenderCorrectGuess, "apple"},
		{"wrong guess", []string{"Think of orchards.", "I know the word! It is pear!"}, judge.AttackerWins, 2, judge.RuleDefenderWrongGuess, "I know the word"},
		{"defender says it", []string{"What grows in orchards?", "Cherries, and of course apples."}, judge.AttackerWins, 2, judge.RuleDefenderSaidTarget, "apple"},
		{"attacker says it", []string{"Do you like apple pie?"}, judge.AttackerBrokeRules, 1, judge.RuleAttackerSaidTarget, "apple"},
		{"attacker guesses", []string{"I know the word! It is banana!"}, judge.AttackerBrokeRules, 1, judge.RuleAttackerGuessStatement, "I know the word"},
		{"decided late", []string{"Hi.", "Hello.", "Red or green?", "Green, like an Apple!"}, judge.AttackerWins, 4, judge.RuleDefenderSaidTarget, "Apple"},
		{"tie", []string{"a", "b", "c", "d", "e", "f"}, judge.Tie, 6, judge.RuleMaxTurns, ""},
	}
	for _, j := range []judge.Judge{judge.NewStrict(), judge.NewSpag()} {
		g, err := New(Params{MaxTurns: 3, Judge: j})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range tests {
			t.Run(j.Name()+"/"+tc.name, func(t *testing.T) {
				s := play(t, g, "apple", tc.utterances...)
				if !s.IsTerminal() || s.CurrentPlayer() != -1 {
					t.Fatalf("episode not over after %q", tc.utterances)
				}
				v := s.Verdict()
				if v.Outcome != string(tc.outcome) || v.DecidedAt != tc.decidedAt || v.Rule != tc.rule {
					t.Fatalf("verdict %+v, want %s at %d by %s", v, tc.outcome, tc.decidedAt, tc.rule)
				}
				if v.Judge != JudgeID(j) {
					t.Fatalf("verdict judge %q, want %q", v.Judge, JudgeID(j))
				}
				if tc.evidence == "" {
					if v.Evidence != (game.Evidence{}) {
						t.Fatalf("tie has evidence %+v", v.Evidence)
					}
					return
				}
				ev := v.Evidence
				u := tc.utterances[ev.Turn-1]
				if ev.Turn != tc.decidedAt || ev.Text != u[ev.Start:ev.End] || !strings.Contains(strings.ToLower(ev.Text), strings.ToLower(tc.evidence)) {
					t.Fatalf("evidence %+v, want a span of utterance %d containing %q", ev, tc.decidedAt, tc.evidence)
				}
				if err := s.Apply("more"); !errors.Is(err, ErrGameOver) {
					t.Fatalf("Apply after the end: %v, want ErrGameOver", err)
				}
			})
		}
	}
}

func TestNewStateErrors(t *testing.T) {
	g, err := New(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{"", "  \t"} {
		if _, err := g.NewState(game.Setup{Index: 7, Subject: subject}); err == nil || !strings.Contains(err.Error(), "episode 7: empty target word") {
			t.Fatalf("NewState(%q) error %v", subject, err)
		}
	}
	st, err := g.NewState(game.Setup{Subject: "  apple\n"})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.(*State).Target(); got != "apple" {
		t.Fatalf("Target = %q, want the trimmed subject", got)
	}
}

func TestObservation(t *testing.T) {
	g, err := New(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	s := play(t, g, "apple", "Hello there.")
	a, d := s.Observation(0), s.Observation(1)
	if a.Role != "attacker" || a.Secret != "apple" || a.Turn != 2 || a.MaxUtterances != 10 || a.Prompter == nil {
		t.Fatalf("attacker observation %+v", a)
	}
	if d.Role != "defender" || d.Secret != "" || d.Player != 1 {
		t.Fatalf("defender observation %+v", d)
	}
	if !reflect.DeepEqual(a.Transcript, []game.Message{{Role: "attacker", Content: "Hello there."}}) {
		t.Fatalf("transcript %q", a.Transcript)
	}
	if o := s.Observation(5); o.Role != "" || o.Secret != "" {
		t.Fatalf("Observation(5) = %+v, want no role and no secret", o)
	}
}

// fakeJudge scripts verdicts: utterance n gets decide[n] (1-based); it never
// ends the episode on its own otherwise.
type fakeJudge struct{ decide map[int]judge.Verdict }

func (fakeJudge) Name() string { return "fake" }
func (fakeJudge) Version() int { return 3 }
func (f fakeJudge) Judge(string, int, []judge.Utterance) judge.Verdict {
	return judge.Verdict{}
}
func (f fakeJudge) Start(string, int) judge.Episode { return &fakeEpisode{f: f} }

type fakeEpisode struct {
	f fakeJudge
	n int
}

func (e *fakeEpisode) Next(judge.Utterance) (judge.Verdict, bool) {
	e.n++
	v, ok := e.f.decide[e.n]
	return v, ok
}

// TestJudgeMisbehaviour checks the state's guards against a judge that
// never ends an episode or reports a span outside the utterance.
func TestJudgeMisbehaviour(t *testing.T) {
	t.Run("never ends", func(t *testing.T) {
		g, err := New(Params{MaxTurns: 2, Judge: fakeJudge{}})
		if err != nil {
			t.Fatal(err)
		}
		s := play(t, g, "apple", "a", "b", "c", "d")
		want := game.Verdict{Outcome: "tie", DecidedAt: 4, Rule: RuleUtteranceLimit, Judge: "fake@3"}
		if !s.IsTerminal() || s.Verdict() != want {
			t.Fatalf("verdict %+v, want %+v", s.Verdict(), want)
		}
	})
	t.Run("span outside the utterance", func(t *testing.T) {
		bad := judge.Verdict{Outcome: judge.AttackerWins, DecidedAt: 2, Rule: "x", Evidence: judge.Evidence{Utterance: 2, Start: 3, End: 99}}
		g, err := New(Params{MaxTurns: 2, Judge: fakeJudge{decide: map[int]judge.Verdict{2: bad}}})
		if err != nil {
			t.Fatal(err)
		}
		s := play(t, g, "apple", "a", "short")
		ev := s.Verdict().Evidence
		if ev != (game.Evidence{Turn: 2, Start: 3, End: 99}) {
			t.Fatalf("evidence %+v, want the judge's numbers and no text", ev)
		}
	})
	t.Run("span inside", func(t *testing.T) {
		ok := judge.Verdict{Outcome: judge.AttackerWins, DecidedAt: 2, Rule: "x", Evidence: judge.Evidence{Utterance: 2, Start: 1, End: 4}}
		g, err := New(Params{MaxTurns: 2, Judge: fakeJudge{decide: map[int]judge.Verdict{2: ok}}})
		if err != nil {
			t.Fatal(err)
		}
		s := play(t, g, "apple", "a", "short")
		if got := s.Verdict().Evidence.Text; got != "hor" {
			t.Fatalf("evidence text %q, want %q", got, "hor")
		}
	})
}

// TestTranscriptNotMutated checks that a transcript handed out stays as it
// was while the episode goes on, even if the caller appends to it.
func TestTranscriptNotMutated(t *testing.T) {
	g, err := New(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	s := play(t, g, "apple", "one")
	tr := s.Transcript()
	obs := s.Observation(1).Transcript
	mine := append(tr, game.Message{Role: "me", Content: "mine"})
	if err := s.Apply("two"); err != nil {
		t.Fatal(err)
	}
	if len(tr) != 1 || len(obs) != 1 || mine[1].Content != "mine" {
		t.Fatalf("handed-out transcripts changed: %q %q %q", tr, obs, mine)
	}
	if got := s.Transcript(); len(got) != 2 || got[1].Content != "two" {
		t.Fatalf("state transcript %q", got)
	}
}

func TestSPAGOutcome(t *testing.T) {
	tests := []struct{ ours, spag string }{
		{"attacker_wins", "attacker wins"},
		{"defender_wins", "defender wins"},
		{"attacker_broke_rules", "attacker breaks the rules"},
		{"tie", "tied game"},
	}
	for _, tc := range tests {
		t.Run(tc.ours, func(t *testing.T) {
			if got := SPAGOutcome(tc.ours); got != tc.spag {
				t.Fatalf("SPAGOutcome(%q) = %q, want %q", tc.ours, got, tc.spag)
			}
			if got := OutcomeFromSPAG(tc.spag); got != tc.ours {
				t.Fatalf("OutcomeFromSPAG(%q) = %q, want %q", tc.spag, got, tc.ours)
			}
		})
	}
	if SPAGOutcome("attacker wins") != "" || OutcomeFromSPAG("attacker_wins") != "" || SPAGOutcome("") != "" {
		t.Fatal("unknown names must map to the empty string")
	}
}

// BenchmarkEpisode measures the engine's cost per episode with scripted
// utterances and no prompt rendering: NewState, Observation and Apply until
// a tie (the longest episode). The "none" judge decides nothing, which
// isolates the state's own cost.
func BenchmarkEpisode(b *testing.B) {
	utterances := []string{
		"Tell me about the last trip you took somewhere warm.",
		"We went to the coast and spent most days by the water.",
		"Did you try any local food there, maybe something sweet?",
		"Mostly grilled fish, and a lot of fresh fruit in the mornings.",
		"What kind of fruit do you remember best from those mornings?",
		"Mangoes, mostly; they were ripe and cheap at the market.",
		"Were there orchards nearby, or was it all imported?",
		"A few small farms inland, with citrus trees along the road.",
		"If you had to pick one fruit to eat every day, which one?",
		"Probably oranges; they keep well and travel easily.",
	}
	for _, j := range []judge.Judge{judge.NewStrict(), judge.NewSpag(), fakeJudge{}} {
		b.Run(j.Name(), func(b *testing.B) {
			g, err := New(Params{MaxTurns: 5, Judge: j})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					s, err := g.NewState(game.Setup{Subject: "apple"})
					if err != nil {
						b.Fatal(err)
					}
					for _, u := range utterances {
						if s.IsTerminal() {
							break
						}
						_ = s.Observation(s.CurrentPlayer())
						if err := s.Apply(u); err != nil {
							b.Fatal(err)
						}
					}
					if s.Verdict().Outcome != "tie" {
						b.Fatalf("verdict %+v", s.Verdict())
					}
				}
			})
		})
	}
}
