// Package judge decides Adversarial Taboo episodes by rule. It holds two
// rule sets: [Spag], which reproduces the SPAG reference code exactly
// (quirks included) so that numbers can be compared with the paper, and
// [Strict], the project's recommended judge.
//
// A verdict is data: the outcome, the utterance that decided it, the rule
// that fired and the byte span of the evidence. The package imports nothing
// from the rest of spag.
//
// # Walking an episode
//
// Both judges walk the history in order, counting utterances from 1 as n.
// A defender utterance is checked for a guess statement first (a correct
// guess wins for the defender, a wrong one for the attacker) and then for a
// mention of the target (the attacker wins). An attacker utterance that
// mentions the target or makes a guess statement breaks the rules. After
// utterance n is judged, the game is a tie if n >= 2*maxTurns; utterances
// beyond that are ignored. If the history ends first, the game is a tie too.
// A maxTurns of 0 or less therefore ends the game after the first
// utterance, as in the reference. Utterances whose role is not [Defender]
// are judged as the attacker's, as the reference code does.
//
// The engine judges utterances as they arrive with [Judge.Start] and
// [Episode.Next] and stops at the first decisive one; [Judge.Judge] gives
// the same verdict for a stored history.
//
// # Rules
//
// Every decided verdict names the rule that fired (the Rule* constants).
// The strings are stable: stored verdicts refer to them.
package judge

import (
	"fmt"
	"strings"
)

// Outcome is the result of an episode.
type Outcome string

// Outcomes. Undecided is only seen while an episode is still being played.
const (
	Undecided          Outcome = ""
	AttackerWins       Outcome = "attacker_wins"
	DefenderWins       Outcome = "defender_wins"
	AttackerBrokeRules Outcome = "attacker_broke_rules"
	Tie                Outcome = "tie"
)

// Rule names. Each is a stable string stored with verdicts.
const (
	// RuleDefenderCorrectGuess: the defender's guess statement names the
	// target (defender wins).
	RuleDefenderCorrectGuess = "defender.correct_guess"
	// RuleDefenderWrongGuess: the defender's guess statement names another
	// word (attacker wins).
	RuleDefenderWrongGuess = "defender.wrong_guess"
	// RuleDefenderSaidTarget: the defender said the target or one of its
	// forms outside a guess statement (attacker wins).
	RuleDefenderSaidTarget = "defender.said_target"
	// RuleDefenderSpelledTarget: the defender spelled the target out, as in
	// "a-p-p-l-e" (attacker wins). Strict only.
	RuleDefenderSpelledTarget = "defender.spelled_target"
	// RuleAttackerSaidTarget: the attacker said the target or one of its
	// forms (attacker broke the rules).
	RuleAttackerSaidTarget = "attacker.said_target"
	// RuleAttackerSpelledTarget: the attacker spelled the target out
	// (attacker broke the rules). Strict only.
	RuleAttackerSpelledTarget = "attacker.spelled_target"
	// RuleAttackerGuessStatement: the attacker made a guess statement
	// (attacker broke the rules).
	RuleAttackerGuessStatement = "attacker.guess_statement"
	// RuleMaxTurns: 2*maxTurns utterances were judged without a decision
	// (tie).
	RuleMaxTurns = "max_turns"
	// RuleHistoryEnded: the history ended before any decision (tie).
	RuleHistoryEnded = "history_ended"
)

// Roles of the two players.
const (
	Attacker = "attacker"
	Defender = "defender"
)

// Utterance is one line of an episode's history.
type Utterance struct {
	Role string // Attacker or Defender
	Text string
}

// Evidence is the byte span [Start, End) of utterance Utterance (1-based)
// that made the rule fire; Utterance 0 means there is none (a tie).
type Evidence struct {
	Utterance int
	Start     int
	End       int
}

// Verdict is a judge's decision.
type Verdict struct {
	// Outcome is Undecided while the episode goes on.
	Outcome Outcome
	// DecidedAt is the 1-based number of the utterance at which the outcome
	// was decided; for a tie, the last utterance seen (0 for an empty
	// history). While the outcome is Undecided it counts the utterances
	// judged so far.
	DecidedAt int
	// Rule names the rule that fired, for example "defender.correct_guess".
	Rule     string
	Evidence Evidence
}

// Judge is a versioned rule set. Implementations are safe for concurrent use.
type Judge interface {
	// Name is "spag" or "strict".
	Name() string
	// Version changes whenever any verdict could change.
	Version() int
	// Judge decides a whole history. maxTurns counts attacker+defender
	// pairs: the game is a tie after 2*maxTurns utterances.
	Judge(target string, maxTurns int, history []Utterance) Verdict
	// Start returns an incremental judge for one episode being played.
	Start(target string, maxTurns int) Episode
}

// Episode judges one episode utterance by utterance, so the engine can stop
// at the first decisive utterance. It is not safe for concurrent use.
type Episode interface {
	// Next judges the next utterance. It returns the verdict so far and
	// whether the episode is over; after that Next must not be called (the
	// implementations in this package then return the final verdict again).
	// A verdict that is not over is Undecided; pass it to [Finish] if the
	// history ends there.
	Next(u Utterance) (Verdict, bool)
}

// Finish returns the verdict of a history that ends with v: v itself if it
// is decided, otherwise a tie (rule [RuleHistoryEnded]) at v.DecidedAt.
func Finish(v Verdict) Verdict {
	if v.Outcome != Undecided {
		return v
	}
	return Verdict{Outcome: Tie, DecidedAt: v.DecidedAt, Rule: RuleHistoryEnded}
}

// judgeHistory feeds history to ep one utterance at a time; both judges'
// Judge methods use it, so Judge and Start/Next cannot disagree.
func judgeHistory(ep Episode, history []Utterance) Verdict {
	var v Verdict
	for _, u := range history {
		var over bool
		if v, over = ep.Next(u); over {
			return v
		}
	}
	return Finish(v)
}

// Names lists the judges [ByName] knows, recommended first.
func Names() []string { return []string{"strict", "spag"} }

// ByName returns a new judge by its name: "strict" or "spag".
func ByName(name string) (Judge, error) {
	switch name {
	case "strict":
		return NewStrict(), nil
	case "spag":
		return NewSpag(), nil
	}
	return nil, fmt.Errorf("unknown judge %q: use one of %s (strict is recommended; spag reproduces the SPAG paper's reference code)",
		name, strings.Join(Names(), ", "))
}

// counter enforces the turn limit shared by both judges.
type counter struct {
	n     int // utterances judged
	limit int // 2*maxTurns
	over  bool
	final Verdict
}

// decide records the outcome of utterance c.n (already counted): a decided
// verdict, or a tie once the limit is reached. It returns what Next returns.
func (c *counter) decide(v Verdict) (Verdict, bool) {
	if v.Outcome != Undecided {
		v.DecidedAt = c.n
		c.over, c.final = true, v
		return v, true
	}
	if c.n >= c.limit {
		c.over = true
		c.final = Verdict{Outcome: Tie, DecidedAt: c.n, Rule: RuleMaxTurns}
		return c.final, true
	}
	return Verdict{Outcome: Undecided, DecidedAt: c.n}, false
}
