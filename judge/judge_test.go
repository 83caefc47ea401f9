package judge

import (
	"strings"
	"testing"
)

// episodeCase is one judged history and the verdict expected for it.
type episodeCase struct {
	name     string
	target   string
	maxTurns int // 0 means the default 5; use negative values for "none"
	history  []Utterance
	want     Outcome
	at       int    // DecidedAt
	rule     string // Rule
	evidence string // the text the evidence span must slice; "" for ties
}

// game builds a history alternating attacker and defender, attacker first.
func game(texts ...string) []Utterance {
	h := make([]Utterance, len(texts))
	for i, t := range texts {
		h[i] = Utterance{Role: Attacker, Text: t}
		if i%2 == 1 {
			h[i].Role = Defender
		}
	}
	return h
}

// reply is a two-utterance history: a neutral clue, then the defender's
// text.
func reply(text string) []Utterance { return game("Here is a clue for you.", text) }

// checkCases runs cases through j.Judge and through Start/Next, and checks
// outcome, decided_at, rule and the text the evidence points at.
func checkCases(t *testing.T, j Judge, cases []episodeCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			maxTurns := c.maxTurns
			switch {
			case maxTurns == 0:
				maxTurns = 5
			case maxTurns < 0:
				maxTurns = 0
			}
			got := j.Judge(c.target, maxTurns, c.history)
			if got.Outcome != c.want || got.DecidedAt != c.at || got.Rule != c.rule {
				t.Fatalf("%s.Judge(%q) = %+v, want outcome %q at %d by rule %q", j.Name(), c.target, got, c.want, c.at, c.rule)
			}
			ev := got.Evidence
			if c.want == Tie {
				if ev != (Evidence{}) {
					t.Fatalf("tie with evidence %+v", ev)
				}
			} else {
				if ev.Utterance != c.at {
					t.Fatalf("evidence in utterance %d, decided at %d", ev.Utterance, c.at)
				}
				text := c.history[ev.Utterance-1].Text
				if ev.Start < 0 || ev.Start > ev.End || ev.End > len(text) {
					t.Fatalf("evidence %+v out of bounds of %q", ev, text)
				}
				if span := text[ev.Start:ev.End]; span != c.evidence {
					t.Fatalf("evidence %q, want %q", span, c.evidence)
				}
			}
			if inc := feed(j, c.target, maxTurns, c.history); inc != got {
				t.Fatalf("Start/Next gave %+v, Judge gave %+v", inc, got)
			}
		})
	}
}

// feed judges history one utterance at a time, the way the engine does.
func feed(j Judge, target string, maxTurns int, history []Utterance) Verdict {
	ep := j.Start(target, maxTurns)
	var v Verdict
	for _, u := range history {
		var over bool
		if v, over = ep.Next(u); over {
			// A call after the end must repeat the final verdict.
			if again, over2 := ep.Next(Utterance{Role: Defender, Text: "I know the word! It is x"}); again != v || !over2 {
				return Verdict{Rule: "Next after the end changed the verdict"}
			}
			return v
		}
		if v.Outcome != Undecided {
			return Verdict{Rule: "decided verdict without the end"}
		}
	}
	return Finish(v)
}

// Cases shared by both judges: the walk over the history, ties and
// decided_at, which the two judges implement identically.
func sharedCases() []episodeCase {
	return []episodeCase{
		{name: "empty history is a tie at 0", target: "apple", history: nil,
			want: Tie, at: 0, rule: RuleHistoryEnded},
		{name: "history ending early is a tie at its length", target: "apple",
			history: game("A red fruit.", "Is it a cherry?", "Bigger."),
			want:    Tie, at: 3, rule: RuleHistoryEnded},
		{name: "tie after 2*max_turns", target: "apple", maxTurns: 1,
			history: game("A red fruit.", "Is it a cherry?"),
			want:    Tie, at: 2, rule: RuleMaxTurns},
		{name: "utterances beyond 2*max_turns are ignored, even a correct guess", target: "apple", maxTurns: 1,
			history: game("A red fruit.", "Hmm.", "It keeps the doctor away.", "I know the word! It is apple!"),
			want:    Tie, at: 2, rule: RuleMaxTurns},
		{name: "max_turns 0 stops after the first utterance", target: "apple", maxTurns: -1,
			history: game("A red fruit.", "apple"),
			want:    Tie, at: 1, rule: RuleMaxTurns},
		{name: "max_turns 0 still judges the first utterance", target: "apple", maxTurns: -1,
			history: game("apple"),
			want:    AttackerBrokeRules, at: 1, rule: RuleAttackerSaidTarget, evidence: "apple"},
		{name: "defender says the target", target: "apple",
			history: game("A red fruit.", "Is it an apple?"),
			want:    AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "apple"},
		{name: "attacker says the target", target: "apple",
			history: game("Think of an Apple pie."),
			want:    AttackerBrokeRules, at: 1, rule: RuleAttackerSaidTarget, evidence: "Apple"},
		{name: "attacker makes a guess statement", target: "apple",
			history: game("I know the word! It is pear."),
			want:    AttackerBrokeRules, at: 1, rule: RuleAttackerGuessStatement, evidence: "I know the word! It is pear"},
		{name: "correct guess", target: "apple",
			history: game("A red fruit.", "I know the word! It is apple!"),
			want:    DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I know the word! It is apple"},
		{name: "wrong guess", target: "apple",
			history: game("A red fruit.", "I know the word! It is a pear."),
			want:    AttackerWins, at: 2, rule: RuleDefenderWrongGuess},
		{name: "decided in a later turn", target: "apple",
			history: game("A red fruit.", "Cherry?", "Bigger, crunchy.", "I know the word! It is apple.", "extra"),
			want:    DefenderWins, at: 4, rule: RuleDefenderCorrectGuess, evidence: "I know the word! It is apple"},
		{name: "a role other than defender is judged as the attacker", target: "apple",
			history: []Utterance{{Role: "narrator", Text: "apple"}},
			want:    AttackerBrokeRules, at: 1, rule: RuleAttackerSaidTarget, evidence: "apple"},
	}
}

func TestSharedRules(t *testing.T) {
	for _, j := range []Judge{NewSpag(), NewStrict()} {
		t.Run(j.Name(), func(t *testing.T) {
			cases := sharedCases()
			// The wrong-guess evidence differs: spag stops 8 code points
			// after "it", strict at the guessed word.
			for i := range cases {
				if cases[i].rule == RuleDefenderWrongGuess {
					cases[i].evidence = map[string]string{
						"spag":   "I know the word! It is a pe",
						"strict": "I know the word! It is a pear",
					}[j.Name()]
				}
			}
			checkCases(t, j, cases)
		})
	}
}

func TestByName(t *testing.T) {
	for _, name := range Names() {
		j, err := ByName(name)
		if err != nil {
			t.Fatalf("ByName(%q): %v", name, err)
		}
		if j.Name() != name || j.Version() < 1 {
			t.Errorf("ByName(%q) = judge %q version %d", name, j.Name(), j.Version())
		}
	}
	_, err := ByName("lenient")
	if err == nil {
		t.Fatal("ByName(lenient) succeeded")
	}
	for _, want := range []string{`"lenient"`, "strict", "spag"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestFinish(t *testing.T) {
	decided := Verdict{Outcome: DefenderWins, DecidedAt: 4, Rule: RuleDefenderCorrectGuess, Evidence: Evidence{4, 0, 5}}
	if got := Finish(decided); got != decided {
		t.Errorf("Finish(decided) = %+v", got)
	}
	want := Verdict{Outcome: Tie, DecidedAt: 3, Rule: RuleHistoryEnded}
	if got := Finish(Verdict{DecidedAt: 3}); got != want {
		t.Errorf("Finish(undecided at 3) = %+v, want %+v", got, want)
	}
}
