// Package summary turns outcome counts into the numbers people read: win
// rates per role with Wilson score intervals, tie and rule-break rates and
// throughput. What the outcomes mean comes from the game's
// [game.Description], so the package has no code for any one game. It
// does no I/O beyond writing to the writer it is given.
package summary

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/game"
)

// Interval is a proportion with its 95% Wilson score interval: eval.Rate,
// so that every rate in spag's JSON has one shape, {wins, games, rate, lo,
// hi}, whichever command writes it.
type Interval = eval.Rate

// Wilson returns the proportion successes/n with its 95% Wilson score
// interval (see [eval.Wilson]). n = 0 gives the uninformative interval
// [0, 1] with rate 0.
func Wilson(successes, n int) Interval {
	return eval.NewRate(successes, n, 0)
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
}

// RoleRate is one role's win rate.
type RoleRate struct {
	// Role is the role as the game names it ("reward_model"); Label names
	// it for people ("reward model").
	Role  string
	Label string
	Interval
}

// RuleRate is one of a game's rates counted by deciding rule (see
// [game.RuleRate]).
type RuleRate struct {
	// Name is the rate's JSON key before "_rate"; Label names it for
	// people.
	Name  string
	Label string
	Interval
}

// Summary is the report of one run (or of a whole database).
type Summary struct {
	Episodes int
	Judged   int
	Errored  int
	// Outcomes counts judged episodes by outcome: every outcome the game
	// describes, zero or not, and any other that was recorded.
	Outcomes map[string]int
	// OutcomeOrder lists the names in Outcomes: the game's outcomes in its
	// order, then the others by name.
	OutcomeOrder []string
	// WinRates are the roles' win rates, in the game's order of roles. A
	// role's wins are the outcomes that make it the winner by play: a
	// rule break is a loss for the side that broke the rule but not a win
	// for the other side's play, so it is counted apart, in RuleBreakRate.
	WinRates []RoleRate
	// TieRate counts the outcomes without a winner, RuleBreakRate those
	// that are a rule break (see [game.Outcome]); both nil for a game
	// without a description.
	TieRate       *Interval
	RuleBreakRate *Interval
	// RuleRates are the game's rates by deciding rule, in its order; nil
	// when the rules are unknown.
	RuleRates []RuleRate
	// Rules counts judged episodes by deciding rule; nil when unknown.
	Rules         map[string]int
	MeanDecidedAt float64
	ElapsedSec    float64
	EpisodesPerS  float64
}

// Summarize computes the summary of counts of game d's episodes. Rates are
// over judged episodes. A nil d (a game this program does not know) gives
// the counts without any rate that needs the outcomes' meaning.
func Summarize(d *game.Description, c Counts) Summary {
	s := Summary{Outcomes: map[string]int{}, Errored: c.Errored}
	if d != nil {
		for _, o := range d.Outcomes {
			s.Outcomes[o.Name] = 0
			s.OutcomeOrder = append(s.OutcomeOrder, o.Name)
		}
	}
	var others []string
	for o, n := range c.Outcomes {
		if o == "" {
			// Imported episodes that were never judged.
			continue
		}
		if _, known := s.Outcomes[o]; !known {
			others = append(others, o)
		}
		s.Outcomes[o] += n
		s.Judged += n
	}
	slices.Sort(others)
	s.OutcomeOrder = append(s.OutcomeOrder, others...)
	s.Episodes = s.Judged + c.Errored
	s.MeanDecidedAt = c.MeanDecidedAt
	s.ElapsedSec = c.Elapsed.Seconds()
	if s.ElapsedSec > 0 {
		s.EpisodesPerS = float64(s.Episodes) / s.ElapsedSec
	}
	s.Rules = c.Rules
	if d == nil {
		return s
	}
	ties, breaks := 0, 0
	wins := map[string]int{}
	for _, o := range d.Outcomes {
		n := s.Outcomes[o.Name]
		switch {
		case o.RuleBreak:
			breaks += n
		case o.Winner == "":
			ties += n
		default:
			wins[o.Winner] += n
		}
	}
	for _, role := range d.Roles {
		s.WinRates = append(s.WinRates, RoleRate{Role: role, Label: d.RoleLabel(role), Interval: Wilson(wins[role], s.Judged)})
	}
	tie, broke := Wilson(ties, s.Judged), Wilson(breaks, s.Judged)
	s.TieRate, s.RuleBreakRate = &tie, &broke
	if c.Rules != nil {
		for _, r := range d.RuleRates {
			n := 0
			for _, rule := range r.Rules {
				n += c.Rules[rule]
			}
			s.RuleRates = append(s.RuleRates, RuleRate{Name: r.Name, Label: r.Label, Interval: Wilson(n, s.Judged)})
		}
	}
	return s
}

// WinRate returns role's win rate.
func (s Summary) WinRate(role string) (Interval, bool) {
	for _, r := range s.WinRates {
		if r.Role == role {
			return r.Interval, true
		}
	}
	return Interval{}, false
}

// MarshalJSON writes the summary as one object (see [Summary.AddTo]).
func (s Summary) MarshalJSON() ([]byte, error) {
	var o Object
	s.AddTo(&o)
	return o.MarshalJSON()
}

// AddTo adds the summary's keys to o, so that a document can hold them
// beside its own. They are stable: "episodes", "judged", "errored", "outcomes" (by outcome name), a
// "ROLE_win_rate" per role ("attacker_win_rate"), "tie_rate",
// "rule_break_rate", "rules" (by rule), a "NAME_rate" per rate by rule
// ("guess_rate"), "mean_decided_at", "elapsed_seconds" and
// "episodes_per_second". Keys without a value are left out.
func (s Summary) AddTo(o *Object) {
	o.Add("episodes", s.Episodes)
	o.Add("judged", s.Judged)
	o.Add("errored", s.Errored)
	o.Add("outcomes", s.Outcomes)
	for _, r := range s.WinRates {
		o.Add(r.Role+"_win_rate", r.Interval)
	}
	if s.TieRate != nil {
		o.Add("tie_rate", s.TieRate)
	}
	if s.RuleBreakRate != nil {
		o.Add("rule_break_rate", s.RuleBreakRate)
	}
	if len(s.Rules) > 0 {
		o.Add("rules", s.Rules)
	}
	for _, r := range s.RuleRates {
		o.Add(r.Name+"_rate", r.Interval)
	}
	o.Add("mean_decided_at", s.MeanDecidedAt)
	o.Add("elapsed_seconds", s.ElapsedSec)
	o.Add("episodes_per_second", s.EpisodesPerS)
}

// Object is a JSON object whose keys keep the order they were added in,
// for documents whose keys depend on the data (a win rate per role).
type Object struct {
	keys   []string
	values []any
}

// Add appends a key and its value.
func (o *Object) Add(key string, value any) {
	o.keys = append(o.keys, key)
	o.values = append(o.values, value)
}

// MarshalJSON writes the object's keys in order.
func (o Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(o.values[i])
		if err != nil {
			return nil, fmt.Errorf("json key %s: %w", k, err)
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// WriteText prints the summary for people.
func WriteText(w io.Writer, s Summary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "episodes       %d (judged %d, errored %d)\n", s.Episodes, s.Judged, s.Errored)
	for _, o := range s.OutcomeOrder {
		fmt.Fprintf(&b, "  %-24s %d\n", o, s.Outcomes[o])
	}
	type row struct {
		name string
		iv   Interval
	}
	var rows []row
	for _, r := range s.WinRates {
		rows = append(rows, row{r.Label + " wins", r.Interval})
	}
	if s.TieRate != nil {
		rows = append(rows, row{"ties", *s.TieRate}, row{"rule breaks", *s.RuleBreakRate})
	}
	for _, r := range s.RuleRates {
		rows = append(rows, row{r.Label, r.Interval})
	}
	width := 14
	for _, r := range rows {
		width = max(width, len(r.name))
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s %5.1f%%  (95%% CI %.1f–%.1f%%)\n", width, r.name, 100*r.iv.Rate, 100*r.iv.Lo, 100*r.iv.Hi)
	}
	if len(s.Rules) > 0 {
		rules := make([]string, 0, len(s.Rules))
		for r := range s.Rules {
			rules = append(rules, r)
		}
		slices.Sort(rules)
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

// WriteTurns prints a per-role, per-turn breakdown (see
// [episodes.Store.TurnStats]): for each role's k-th utterance, how many
// games reached it and how many it ended, by rule, with each rule's share
// of the utterances ("defender 4  794  defender.wrong_guess 531 (66.9%)":
// of the 794 games that reached the defender's fourth utterance, 531 ended
// there with a wrong guess).
func WriteTurns(w io.Writer, rows []episodes.TurnCount) error {
	var b strings.Builder
	b.WriteString("per role and turn: games that reached it, and that it ended, by rule\n")
	width := 0
	for _, r := range rows {
		width = max(width, len(r.Role))
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-*s %2d %6d", width, r.Role, r.Turn, r.Utterances)
		rules := make([]string, 0, len(r.Decided))
		for rule := range r.Decided {
			rules = append(rules, rule)
		}
		slices.Sort(rules)
		for i, rule := range rules {
			sep := "  "
			if i > 0 {
				sep = ", "
			}
			n := r.Decided[rule]
			fmt.Fprintf(&b, "%s%s %d (%.1f%%)", sep, rule, n, 100*float64(n)/float64(r.Utterances))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
