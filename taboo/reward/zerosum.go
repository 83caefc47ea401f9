package reward

import (
	"errors"
	"fmt"
	"github.com/spag-go/spag/rl"
	"iter"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/spag-go/spag/judge"
)

// Per-turn credit of the zero-sum rule: which turns of a role get the
// trajectory's advantage.
const (
	// CreditAll gives it to every turn of the role up to the decision
	// (SPIRAL's choice, the default).
	CreditAll = "all"
	// CreditDecisive gives it to the role's last turn at or before the
	// decision only: the defender's guess, the attacker's clue before it
	// (or its rule break).
	CreditDecisive = "decisive"
)

// What the zero-sum rule's baseline is the mean return of
// (ZeroSumOptions.Per).
const (
	// BaselinePerRole is SPIRAL's role-conditioned baseline: the running
	// mean of the return per role (the default).
	BaselinePerRole = "role"
	// BaselinePerTurn is the mean return of the round's samples at the same
	// role and turn of that role (the defender's third utterance, say). The
	// advantages of each turn then sum to zero, so no turn as such is pushed
	// up or down: with a per-role baseline a policy whose early guesses are
	// its sure ones is taught to guess early, sure or not
	// (docs/learning.md). It is this round's mean, with no running mean from
	// round to round.
	BaselinePerTurn = "turn"
)

// DefaultBaselineDecay is the running mean's alpha: the share of the
// previous rounds' baseline kept when a round's returns update it.
const DefaultBaselineDecay = 0.5

// ZeroSumOptions configures [StreamZeroSumRewards].
type ZeroSumOptions struct {
	// Prompt gives each sample's query. Required.
	Prompt rl.PromptFunc
	// Credit is [CreditAll] (also "") or [CreditDecisive].
	Credit string
	// BaselineDecay is alpha in [0, 1) ([DefaultBaselineDecay]).
	BaselineDecay float64
	// Baseline is the running mean of the return per role before these
	// episodes (the previous round's [ZeroSumStats.Baseline]); a role
	// missing from it has none yet and starts at these episodes' mean.
	Baseline map[string]float64
	// Per is [BaselinePerRole] (also "") or [BaselinePerTurn].
	Per string
}

// ZeroSumStats summarises a [StreamZeroSumRewards] call.
type ZeroSumStats struct {
	Episodes int `json:"episodes"`
	// AttackerWins, DefenderWins, RuleBreaks and Ties count outcomes (a
	// rule break is the attacker's loss).
	AttackerWins int `json:"attacker_wins"`
	DefenderWins int `json:"defender_wins"`
	RuleBreaks   int `json:"rule_breaks"`
	Ties         int `json:"ties"`
	// Trajectories and MeanReturn are, per role, the number of the
	// learning policy's trajectories and their mean return.
	Trajectories map[string]int     `json:"trajectories"`
	MeanReturn   map[string]float64 `json:"mean_return"`
	// Baseline is the running mean after these episodes, per role: what
	// the advantages subtract and what the next round starts from.
	Baseline map[string]float64 `json:"baseline"`
	// TurnBaseline is, with [BaselinePerTurn], what each role's k-th turn
	// subtracts instead (index k-1; 0 for a turn no sample had).
	TurnBaseline map[string][]float64 `json:"turn_baseline,omitempty"`
	// Samples counts the samples made, per role too.
	Samples         int `json:"samples"`
	AttackerSamples int `json:"attacker_samples"`
	DefenderSamples int `json:"defender_samples"`
}

// Summary is the stats in a line, as spag rewards and spag iterate print
// them; sft is the number of supervised samples added after the rule's.
func (s ZeroSumStats) Summary(sft int) string {
	return fmt.Sprintf("%d episodes: %d attacker wins, %d defender wins, %d rule breaks, %d ties; %d samples (%d attacker, %d defender, %d supervised); baseline %s",
		s.Episodes, s.AttackerWins, s.DefenderWins, s.RuleBreaks, s.Ties, s.Samples+sft, s.AttackerSamples, s.DefenderSamples, sft, FormatBaseline(s.Baseline))
}

// FormatBaseline writes a baseline as ParseBaseline reads it:
// "attacker=0.25,defender=-0.25", roles in order.
func FormatBaseline(b map[string]float64) string {
	roles := make([]string, 0, len(b))
	for r := range b {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	parts := make([]string, len(roles))
	for i, r := range roles {
		parts[i] = r + "=" + strconv.FormatFloat(b[r], 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// ParseBaseline reads "attacker=B,defender=B" (either may be left out);
// "" is no baseline yet.
func ParseBaseline(s string) (map[string]float64, error) {
	b := map[string]float64{}
	if strings.TrimSpace(s) == "" {
		return b, nil
	}
	for _, part := range strings.Split(s, ",") {
		role, v, ok := strings.Cut(part, "=")
		role = strings.TrimSpace(role)
		if !ok || (role != judge.Attacker && role != judge.Defender) {
			return nil, fmt.Errorf("baseline %q: want attacker=NUMBER,defender=NUMBER", s)
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("baseline %q: %s=%q is not a number", s, role, v)
		}
		if _, dup := b[role]; dup {
			return nil, fmt.Errorf("baseline %q: %s given twice", s, role)
		}
		b[role] = x
	}
	return b, nil
}

// CheckZeroSum reports an invalid credit or decay, naming it.
func CheckZeroSum(credit string, decay float64) error {
	if credit != "" && credit != CreditAll && credit != CreditDecisive {
		return fmt.Errorf("credit %q: want %s (every turn of the role) or %s (its decisive turn)", credit, CreditAll, CreditDecisive)
	}
	if !(decay >= 0 && decay < 1) {
		return fmt.Errorf("baseline decay %v: want alpha in [0, 1)", decay)
	}
	return nil
}

// CheckBaselinePer reports an invalid ZeroSumOptions.Per, naming it.
func CheckBaselinePer(per string) error {
	if per != "" && per != BaselinePerRole && per != BaselinePerTurn {
		return fmt.Errorf("baseline per %q: want %s (SPIRAL's running mean per role) or %s (the mean per role and turn of the role)", per, BaselinePerRole, BaselinePerTurn)
	}
	return nil
}

// returns is the zero-sum return of each role for an outcome: +1 for the
// winner, -1 for the loser, 0 for both in a tie; a rule break is scored as
// the game scores it, a loss for the attacker. ok is false for an outcome
// that cannot be scored.
func returns(outcome string) (attacker, defender float64, ok bool) {
	switch judge.Outcome(outcome) {
	case judge.AttackerWins:
		return 1, -1, true
	case judge.DefenderWins, judge.AttackerBrokeRules:
		return -1, 1, true
	case judge.Tie:
		return 0, 0, true
	}
	return 0, 0, false
}

// learns reports whether role's turns in ep are the learning policy's.
func learns(ep *rl.Episode, role string) bool { return ep.Learner == "" || ep.Learner == role }

// StreamZeroSumRewards makes zero-sum training samples with role-conditioned
// advantages (SPIRAL's RAE; rl-objectives.md): every episode gives each role
// the learning policy played a return G (+1 win, -1 loss, 0 tie; see
// returns), the role's running mean becomes
//
//	b_r = alpha·b_r(previous) + (1 - alpha)·mean(G over these episodes' trajectories of role r)
//
// (these episodes' mean when there is no previous one), and each credited
// turn (Credit) becomes a sample whose Reward is the advantage A = G - b_r
// and whose Weight is 1. The baseline is the round's, computed here when
// the data is made rather than per training batch: a round's self-play is
// one batch of trajectories of one policy, as a SPIRAL learner's batch is;
// a batch mean over a few shuffled samples would be noisier; and the
// advantage is then data, with no gradient, the same for any trainer. The
// game is Taboo throughout, so "per game and role" is per role.
//
// Like [StreamSPAGRewards] it reads the episodes twice (first for the
// means), so pass must yield the same episodes each time; samples come out
// in episode order, then utterance order. Turns of a role that
// rl.Episode.Learner excludes are not samples and their returns do not count.
func StreamZeroSumRewards(pass func() iter.Seq2[*rl.Episode, error], opt ZeroSumOptions, emit func(*rl.Sample) error) (ZeroSumStats, error) {
	st := ZeroSumStats{Trajectories: map[string]int{}, MeanReturn: map[string]float64{}, Baseline: map[string]float64{}}
	if opt.Prompt == nil {
		return st, errors.New("zero-sum rewards: no prompt function (set ZeroSumOptions.Prompt)")
	}
	if err := CheckZeroSum(opt.Credit, opt.BaselineDecay); err != nil {
		return st, fmt.Errorf("zero-sum rewards: %w", err)
	}
	if err := CheckBaselinePer(opt.Per); err != nil {
		return st, fmt.Errorf("zero-sum rewards: %w", err)
	}
	perTurn := opt.Per == BaselinePerTurn
	roles := []string{judge.Attacker, judge.Defender}
	sum := map[string]float64{}
	// With perTurn, the return summed and counted per role and turn of the
	// role over the credited samples.
	turnSum, turnN := map[string][]float64{}, map[string][]int{}
	i := 0
	for ep, err := range pass() {
		if err != nil {
			return st, err
		}
		g, err := scoreEpisode(&st, i, ep)
		if err != nil {
			return st, err
		}
		for k, role := range roles {
			if learns(ep, role) {
				st.Trajectories[role]++
				sum[role] += g[k]
				if !perTurn {
					continue
				}
				for _, n := range creditedTurns(ep, role, opt.Credit) {
					t := roleTurn(ep, n)
					for len(turnN[role]) < t {
						turnN[role], turnSum[role] = append(turnN[role], 0), append(turnSum[role], 0)
					}
					turnN[role][t-1]++
					turnSum[role][t-1] += g[k]
				}
			}
		}
		i++
	}
	if perTurn {
		st.TurnBaseline = map[string][]float64{}
		for role, ns := range turnN {
			b := make([]float64, len(ns))
			for t, n := range ns {
				if n > 0 {
					b[t] = turnSum[role][t] / float64(n)
				}
			}
			st.TurnBaseline[role] = b
		}
	}
	st.Episodes = i
	for _, role := range roles {
		n := st.Trajectories[role]
		prev, had := opt.Baseline[role]
		switch {
		case n == 0 && had:
			st.Baseline[role] = prev
		case n == 0:
		case had:
			st.MeanReturn[role] = sum[role] / float64(n)
			st.Baseline[role] = opt.BaselineDecay*prev + (1-opt.BaselineDecay)*st.MeanReturn[role]
		default:
			st.MeanReturn[role] = sum[role] / float64(n)
			st.Baseline[role] = st.MeanReturn[role]
		}
	}

	second := ZeroSumStats{}
	i = 0
	for ep, err := range pass() {
		if err != nil {
			return st, err
		}
		g, err := scoreEpisode(&second, i, ep)
		if err != nil {
			return st, err
		}
		i++
		var turns []int
		for _, role := range roles {
			if learns(ep, role) {
				turns = append(turns, creditedTurns(ep, role, opt.Credit)...)
			}
		}
		sort.Ints(turns)
		for _, n := range turns {
			s, err := sampleOf(ep, n, i-1, opt.Prompt)
			if err != nil {
				return st, err
			}
			k := 0
			if s.Role == judge.Defender {
				k = 1
			}
			b := st.Baseline[s.Role]
			if perTurn {
				b = st.TurnBaseline[s.Role][roleTurn(ep, n)-1]
			}
			s.Reward, s.Weight = g[k]-b, 1
			if err := emit(&s); err != nil {
				return st, err
			}
			st.Samples++
			if k == 0 {
				st.AttackerSamples++
			} else {
				st.DefenderSamples++
			}
		}
	}
	if i != st.Episodes || second.AttackerWins != st.AttackerWins || second.DefenderWins != st.DefenderWins || second.RuleBreaks != st.RuleBreaks {
		return st, fmt.Errorf("%w: %d episodes (%d attacker, %d defender wins, %d rule breaks), then %d (%d, %d, %d)", ErrChangedInput,
			st.Episodes, st.AttackerWins, st.DefenderWins, st.RuleBreaks, i, second.AttackerWins, second.DefenderWins, second.RuleBreaks)
	}
	return st, nil
}

// scoreEpisode counts episode i's outcome in st and returns the attacker's
// and the defender's return; an outcome that cannot be scored, or a
// decision outside the history, is an error naming the episode.
func scoreEpisode(st *ZeroSumStats, i int, ep *rl.Episode) ([2]float64, error) {
	a, d, ok := returns(ep.Outcome)
	if !ok {
		if judge.Outcome(ep.Outcome) == judge.Undecided {
			return [2]float64{}, fmt.Errorf("zero-sum rewards: episode %d has no outcome (leave errored or unjudged episodes out)", i)
		}
		return [2]float64{}, fmt.Errorf("zero-sum rewards: episode %d: unknown outcome %q (want %s, %s, %s or %s)",
			i, ep.Outcome, judge.AttackerWins, judge.DefenderWins, judge.AttackerBrokeRules, judge.Tie)
	}
	if ep.DecidedAt < 1 || ep.DecidedAt > len(ep.History) {
		return [2]float64{}, fmt.Errorf("zero-sum rewards: episode %d: decided at utterance %d, but its history has %d", i, ep.DecidedAt, len(ep.History))
	}
	switch judge.Outcome(ep.Outcome) {
	case judge.AttackerWins:
		st.AttackerWins++
	case judge.DefenderWins:
		st.DefenderWins++
	case judge.AttackerBrokeRules:
		st.RuleBreaks++
	default:
		st.Ties++
	}
	return [2]float64{a, d}, nil
}

// roleTurn is the turn of its role that utterance n (1-based) is: 2 for
// the defender's second utterance.
func roleTurn(ep *rl.Episode, n int) int {
	t := 0
	for _, u := range ep.History[:n] {
		if u.Role == ep.History[n-1].Role {
			t++
		}
	}
	return t
}

// creditedTurns are the numbers (1-based) of role's utterances that get the
// advantage: all of them up to the decision, or only the last of those.
func creditedTurns(ep *rl.Episode, role, credit string) []int {
	if credit == CreditDecisive {
		if n := lastUtteranceOf(ep, role); n > 0 {
			return []int{n}
		}
		return nil
	}
	var turns []int
	for n := 1; n <= ep.DecidedAt; n++ {
		if ep.History[n-1].Role == role {
			turns = append(turns, n)
		}
	}
	return turns
}
