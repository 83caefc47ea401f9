// Package report turns outcome counts into the numbers people read: win
// rates per role with Wilson score intervals, tie and rule-break rates and
// throughput. It does no I/O beyond writing to the writer it is given.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spag-go/spag/eval"
)

// Interval is a proportion with its 95% Wilson score interval.
type Interval struct {
	Rate float64 `json:"rate"`
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// z95 is the standard normal quantile for a two-sided 95% interval.
const z95 = 1.959963984540054

// Wilson returns the proportion successes/n with its 95% Wilson score
// interval (see [eval.Wilson]). n = 0 gives the uninformative interval
// [0, 1] with rate 0.
func Wilson(successes, n int) Interval {
	r := eval.NewRate(successes, n, 0)
	return Interval{Rate: r.Rate, Low: r.Lo, High: r.Hi}
}

// Counts is what a report is computed from.
type Counts struct {
	// Outcomes counts judged episodes by outcome name.
	Outcomes map[string]int
	// Errored counts episodes that failed to play.
	Errored int
	// Rules counts judged episodes by the judge rule that decided them;
	// nil when unknown.
	Rules map[string]int
	// MeanDecidedAt is the mean decided_at over judged episodes.
	MeanDecidedAt float64
	// Elapsed is the wall time from the first episode's start to the last
	// one's finish.
	Elapsed time.Duration
	// APO selects the outcome names of the APO game (generator against
	// reward model) instead of Taboo's.
	APO bool
}

// Taboo outcome names.
const (
	AttackerWins       = "attacker_wins"
	DefenderWins       = "defender_wins"
	AttackerBrokeRules = "attacker_broke_rules"
	Tie                = "tie"
)

// APO outcome names (Tie is shared).
const (
	GeneratorWins         = "generator_wins"
	RewardModelWins       = "reward_model_wins"
	RewardModelBrokeRules = "reward_model_broke_rules"
)

// The judge rules that end a game with the defender's guess statement
// (right or wrong).
const (
	RuleCorrectGuess = "defender.correct_guess"
	RuleWrongGuess   = "defender.wrong_guess"
)

// Summary is the report of one run (or of a whole database).
type Summary struct {
	Episodes int            `json:"episodes"`
	Judged   int            `json:"judged"`
	Errored  int            `json:"errored"`
	Outcomes map[string]int `json:"outcomes"`
	// The win rates of Taboo's roles, or of APO's; the other game's are nil.
	AttackerWin    *Interval `json:"attacker_win_rate,omitempty"`
	DefenderWin    *Interval `json:"defender_win_rate,omitempty"`
	GeneratorWin   *Interval `json:"generator_win_rate,omitempty"`
	RewardModelWin *Interval `json:"reward_model_win_rate,omitempty"`
	TieRate        Interval  `json:"tie_rate"`
	// RuleBreakRate counts the attacker's rule breaks in Taboo and the
	// reward model's unreadable ratings in APO.
	RuleBreakRate Interval `json:"rule_break_rate"`
	// Rules counts judged episodes by deciding rule, and GuessRate is the
	// share of judged episodes that ended with a defender's guess; both
	// absent when the rules are unknown.
	Rules         map[string]int `json:"rules,omitempty"`
	GuessRate     *Interval      `json:"guess_rate,omitempty"`
	MeanDecidedAt float64        `json:"mean_decided_at"`
	ElapsedSec    float64        `json:"elapsed_seconds"`
	EpisodesPerS  float64        `json:"episodes_per_second"`
}

// Summarize computes the summary. Rates are over judged episodes; the
// attacker's win rate counts only attacker_wins (a rule break is a loss for
// the attacker but not a win for the defender's play, so it is reported
// apart).
func Summarize(c Counts) Summary {
	s := Summary{Outcomes: map[string]int{}, Errored: c.Errored}
	names := []string{AttackerWins, DefenderWins, AttackerBrokeRules, Tie}
	if c.APO {
		names = []string{GeneratorWins, RewardModelWins, RewardModelBrokeRules, Tie}
	}
	for _, o := range names {
		s.Outcomes[o] = 0
	}
	for o, n := range c.Outcomes {
		if o == "" {
			// Imported episodes that were never judged.
			continue
		}
		s.Outcomes[o] += n
		s.Judged += n
	}
	s.Episodes = s.Judged + c.Errored
	rate := func(outcome string) *Interval {
		iv := Wilson(s.Outcomes[outcome], s.Judged)
		return &iv
	}
	s.TieRate = Wilson(s.Outcomes[Tie], s.Judged)
	if c.APO {
		s.GeneratorWin, s.RewardModelWin = rate(GeneratorWins), rate(RewardModelWins)
		s.RuleBreakRate = *rate(RewardModelBrokeRules)
		s.Rules = c.Rules
	} else {
		s.AttackerWin, s.DefenderWin = rate(AttackerWins), rate(DefenderWins)
		s.RuleBreakRate = *rate(AttackerBrokeRules)
		if c.Rules != nil {
			s.Rules = c.Rules
			g := Wilson(c.Rules[RuleCorrectGuess]+c.Rules[RuleWrongGuess], s.Judged)
			s.GuessRate = &g
		}
	}
	s.MeanDecidedAt = c.MeanDecidedAt
	s.ElapsedSec = c.Elapsed.Seconds()
	if s.ElapsedSec > 0 {
		s.EpisodesPerS = float64(s.Episodes) / s.ElapsedSec
	}
	return s
}

// WriteText prints the summary for people.
func WriteText(w io.Writer, s Summary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "episodes       %d (judged %d, errored %d)\n", s.Episodes, s.Judged, s.Errored)
	names := make([]string, 0, len(s.Outcomes))
	for o := range s.Outcomes {
		names = append(names, o)
	}
	sort.Strings(names)
	for _, o := range names {
		fmt.Fprintf(&b, "  %-24s %d\n", o, s.Outcomes[o])
	}
	row := func(name string, iv Interval) {
		fmt.Fprintf(&b, "%-14s %5.1f%%  (95%% CI %.1f–%.1f%%)\n", name, 100*iv.Rate, 100*iv.Low, 100*iv.High)
	}
	if s.GeneratorWin != nil {
		row("generator wins", *s.GeneratorWin)
		row("gold preferred", *s.RewardModelWin)
	}
	if s.AttackerWin != nil {
		row("attacker wins", *s.AttackerWin)
		row("defender wins", *s.DefenderWin)
	}
	row("ties", s.TieRate)
	row("rule breaks", s.RuleBreakRate)
	if s.GuessRate != nil {
		row("guesses", *s.GuessRate)
	}
	if len(s.Rules) > 0 {
		rules := make([]string, 0, len(s.Rules))
		for r := range s.Rules {
			rules = append(rules, r)
		}
		sort.Strings(rules)
		b.WriteString("decided by\n")
		for _, r := range rules {
			fmt.Fprintf(&b, "  %-24s %d\n", r, s.Rules[r])
		}
	}
	fmt.Fprintf(&b, "mean decided   utterance %.2f\n", s.MeanDecidedAt)
	if s.ElapsedSec > 0 {
		elapsed := time.Duration(s.ElapsedSec * float64(time.Second)).Round(time.Millisecond)
		fmt.Fprintf(&b, "throughput     %.1f episodes/s over %s\n", s.EpisodesPerS, elapsed)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
