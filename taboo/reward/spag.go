// Package reward holds Adversarial Taboo's reward rules, which turn judged
// episodes ([rl.Episode]) into training samples ([rl.Sample]): SPAG's rule
// (the winners' utterances, decayed rewards, role weights) and the
// zero-sum rule (every learning turn, advantages over per-role running
// means). They name Taboo's roles and outcomes; package rl, which trains
// on their samples, names no game.
//
// The caller supplies the prompt each player saw ([rl.PromptFunc]);
// package dataset does, from the games the episodes were played with.
package reward

import (
	"errors"
	"fmt"
	"github.com/spag-go/spag/rl"
	"iter"
	"math"
	"strings"
	"unicode"

	"github.com/spag-go/spag/judge"
)

// DefaultDecay is the SPAG reward decay d: with d < 1, a winner's later
// utterances get larger rewards.
const DefaultDecay = 0.8

// RewardOptions configures [SPAGRewards].
type RewardOptions struct {
	// Decay is d in (0, 1]; [DefaultDecay] is the paper's value. Utterance k
	// (1-based) of the K a winner made gets (1/d)^k / sum_j (1/d)^j.
	Decay float64
	// Prompt gives each sample's query. Required.
	Prompt rl.PromptFunc
	// Role, when set ("attacker" or "defender"), keeps only that role's
	// samples, e.g. to build a dataset of one skill. The role weights and
	// rewards are those of the whole rule, so a kept sample is the same
	// sample the full data has.
	Role string
	// Last keeps only each speaker's last utterance (the one at or before
	// DecidedAt): the decisive move, such as the defender's right guess.
	Last bool
	// FromTurn, when above 1, keeps only utterances made at their
	// speaker's FromTurn-th turn or later (the defender's fourth turn is
	// its fourth utterance). With Last it keeps the deciding utterances
	// made that late, such as the defender's right guesses after four
	// clues: imitation data of guessing late rather than of guessing
	// after one clue.
	FromTurn int
	// WonBy, when set ("attacker" or "defender"), keeps only the episodes
	// that role won. With Role set to the other role it takes the loser's
	// utterances instead of the winner's, as supervised samples (Type
	// [rl.TypeSFT], reward and weight 1): the rule gives a loser no reward,
	// but its moves can still be worth imitating. Role attacker, WonBy
	// defender is the attacker's clues that led the defender to the word:
	// informative clues, a dictionary from word to clue.
	WonBy string
	// LoserReward, when negative, also turns the loser's last utterance up
	// to the decision (the defender's wrong guess or slip, the attacker's
	// clue before the defender named the word) into a game sample with
	// this reward and the episode's weight, so that the policy learns what
	// lost as well as what won. Zero is SPAG's rule: the loser gives
	// nothing. It cannot be combined with WonBy's supervised samples (Role
	// the loser's), which take the same utterances as examples to follow.
	LoserReward float64
}

// RewardStats summarises a [SPAGRewards] call, as SPAG's script prints it.
type RewardStats struct {
	// Episodes is the number of episodes given.
	Episodes int
	// AttackerWins and DefenderWins count the episodes used (A and D).
	AttackerWins, DefenderWins int
	// Dropped counts ties and rule breaks, which give no samples.
	Dropped int
	// AttackerWeight is N/(2A) and DefenderWeight N/(2D), with N = A+D (0
	// when the count is 0).
	AttackerWeight, DefenderWeight float64
	// Samples is the number of samples made, AttackerSamples and
	// DefenderSamples those of each role: the role balance of the data.
	Samples, AttackerSamples, DefenderSamples int
	// LoserSamples counts the samples of RewardOptions.LoserReward (part of
	// Samples and of their role's count).
	LoserSamples int
	// OpponentWins counts the games won by an opponent from the population
	// (the winner's role is not the episode's Learner): they give no
	// winner's samples and are not in A or D.
	OpponentWins int
}

// Summary is the stats in a line, as spag rewards and spag iterate print
// them; sft is the number of supervised samples added after the rule's.
func (s RewardStats) Summary(sft int) string {
	losers := ""
	if s.LoserSamples > 0 {
		losers = fmt.Sprintf(", %d of them losers'", s.LoserSamples)
	}
	if s.OpponentWins > 0 {
		losers += fmt.Sprintf("; %d games won by opponents", s.OpponentWins)
	}
	return fmt.Sprintf("%d episodes: %d attacker wins, %d defender wins, %d dropped (ties, rule breaks); %d samples (%d attacker, %d defender, %d supervised%s; weights attacker %.3f, defender %.3f)",
		s.Episodes, s.AttackerWins, s.DefenderWins, s.Dropped, s.Samples+sft, s.AttackerSamples, s.DefenderSamples, sft, losers, s.AttackerWeight, s.DefenderWeight)
}

// SPAGRewards applies the SPAG reward rule to judged episodes. Only episodes
// won by one side give samples: the winner's utterances up to DecidedAt, in
// order, k = 1..K, each with reward c_k / sum_j c_j where c_k = (1/d)^k, and
// the winner's role weight. Samples come out in episode order, then
// utterance order, as in the reference script (SPAG's
// tools/assign_rewards.py), whose arithmetic is followed step by step so
// that the rewards are the same floating-point numbers.
//
// An episode with an unknown or empty outcome, or a won episode whose
// DecidedAt lies outside its history, is an error naming the episode:
// errored (unjudged) episodes must be left out by the caller.
func SPAGRewards(episodes []rl.Episode, opt RewardOptions) ([]rl.Sample, RewardStats, error) {
	pass := func() iter.Seq2[*rl.Episode, error] {
		return func(yield func(*rl.Episode, error) bool) {
			for i := range episodes {
				if !yield(&episodes[i], nil) {
					return
				}
			}
		}
	}
	var samples []rl.Sample
	stats, err := StreamSPAGRewards(pass, opt, func(s *rl.Sample) error {
		samples = append(samples, *s)
		return nil
	})
	if err != nil {
		return nil, stats, err
	}
	return samples, stats, nil
}

// ErrChangedInput reports episodes that differed between the two passes
// of [StreamSPAGRewards].
var ErrChangedInput = errors.New("spag rewards: the episodes changed between the two passes")

// StreamSPAGRewards is [SPAGRewards] for more episodes than memory holds:
// it hands each sample to emit as soon as it is made, in the same order
// and with the same numbers. The role weights depend on the win counts of
// all episodes, so it reads them twice: pass must yield the same episodes
// in the same order each time it is called, first to count (and check)
// them, then to make the samples; a second pass with other counts is an
// error wrapping [ErrChangedInput]. An error from pass or emit stops it
// and is returned. Memory does not grow with the number of episodes.
func StreamSPAGRewards(pass func() iter.Seq2[*rl.Episode, error], opt RewardOptions, emit func(*rl.Sample) error) (RewardStats, error) {
	stats := RewardStats{}
	d := opt.Decay
	if !(d > 0 && d <= 1) { // also rejects NaN
		return stats, fmt.Errorf("spag rewards: decay must be in (0, 1] (got %v; the paper uses %v)", d, DefaultDecay)
	}
	if opt.Prompt == nil {
		return stats, errors.New("spag rewards: no prompt function (set RewardOptions.Prompt)")
	}
	if opt.Role != "" && opt.Role != judge.Attacker && opt.Role != judge.Defender {
		return stats, fmt.Errorf("spag rewards: role %q, want %s or %s", opt.Role, judge.Attacker, judge.Defender)
	}
	if opt.WonBy != "" && opt.WonBy != judge.Attacker && opt.WonBy != judge.Defender {
		return stats, fmt.Errorf("spag rewards: won by %q, want %s or %s", opt.WonBy, judge.Attacker, judge.Defender)
	}
	if !(opt.LoserReward <= 0) { // also rejects NaN
		return stats, fmt.Errorf("spag rewards: loser reward must be 0 or negative (got %v)", opt.LoserReward)
	}
	if opt.FromTurn < 0 {
		return stats, fmt.Errorf("spag rewards: from turn %d, want 0 (every turn) or a turn number from 1", opt.FromTurn)
	}
	if opt.LoserReward != 0 && opt.WonBy != "" && opt.Role != "" && opt.Role != opt.WonBy {
		return stats, fmt.Errorf("spag rewards: a loser reward penalises the loser's move, and role %s with won by %s imitates it: choose one", opt.Role, opt.WonBy)
	}
	i := 0
	for ep, err := range pass() {
		if err != nil {
			return stats, err
		}
		if _, err := tally(&stats, i, ep); err != nil {
			return stats, err
		}
		i++
	}
	stats.Episodes = i
	n := stats.AttackerWins + stats.DefenderWins
	if stats.AttackerWins > 0 {
		stats.AttackerWeight = float64(n) / float64(2*stats.AttackerWins)
	}
	if stats.DefenderWins > 0 {
		stats.DefenderWeight = float64(n) / float64(2*stats.DefenderWins)
	}

	second := RewardStats{}
	i = 0
	var own []rl.Sample
	var at []int // the utterance number of each of own's samples, for FromTurn
	for ep, err := range pass() {
		if err != nil {
			return stats, err
		}
		winner, err := tally(&second, i, ep)
		if err != nil {
			return stats, err
		}
		i++
		if winner == "" || (opt.WonBy != "" && winner != opt.WonBy) {
			continue
		}
		// The speaker is the winner, except that WonBy with the other
		// Role asks for the loser's moves, which earn no reward.
		// With Role the loser's and no WonBy, only a loser sample is
		// left to make (speaker "" matches no utterance).
		speaker, supervised := winner, false
		if opt.Role != "" && opt.Role != winner {
			switch {
			case opt.WonBy != "":
				speaker, supervised = opt.Role, true
			case opt.LoserReward != 0:
				speaker = ""
			default:
				continue
			}
		}
		weight := stats.DefenderWeight
		if winner == judge.Attacker {
			weight = stats.AttackerWeight
		}
		if !learns(ep, speaker) {
			// An opponent's turns (or, for WonBy's imitation, turns the
			// learner did not play) are not the learning policy's.
			speaker = ""
		}
		own, at = own[:0], at[:0]
		for n := 1; n <= ep.DecidedAt; n++ {
			if ep.History[n-1].Role != speaker {
				continue
			}
			s, err := sampleOf(ep, n, i-1, opt.Prompt)
			if err != nil {
				return stats, err
			}
			s.Weight = weight
			own, at = append(own, s), append(at, n)
		}
		if supervised {
			for k := range own {
				own[k].Reward, own[k].Weight, own[k].Type = 1, 1, rl.TypeSFT
			}
		} else {
			for k, r := range decayedRewards(len(own), d) {
				own[k].Reward = r
			}
		}
		if opt.Last && len(own) > 0 {
			own, at = own[len(own)-1:], at[len(at)-1:]
		}
		// After the rewards and Last, so that a kept sample is the one the
		// whole rule makes, not the last of the late ones.
		kept := own[:0]
		for k := range own {
			if turnOf(ep, at[k]) >= opt.FromTurn {
				kept = append(kept, own[k])
			}
		}
		own = kept
		if loser := otherRole(winner); opt.LoserReward != 0 && !supervised && (opt.Role == "" || opt.Role == loser) && learns(ep, loser) {
			if n := lastUtteranceOf(ep, loser); n > 0 && turnOf(ep, n) >= opt.FromTurn {
				s, err := sampleOf(ep, n, i-1, opt.Prompt)
				if err != nil {
					return stats, err
				}
				s.Reward, s.Weight = opt.LoserReward, weight
				own = append(own, s)
				stats.LoserSamples++
			}
		}
		for k := range own {
			if err := emit(&own[k]); err != nil {
				return stats, err
			}
			stats.Samples++
			if own[k].Role == judge.Attacker {
				stats.AttackerSamples++
			} else {
				stats.DefenderSamples++
			}
		}
	}
	second.Episodes = i
	if second.Episodes != stats.Episodes || second.AttackerWins != stats.AttackerWins || second.DefenderWins != stats.DefenderWins || second.OpponentWins != stats.OpponentWins {
		return stats, fmt.Errorf("%w: %d episodes (%d attacker, %d defender wins), then %d (%d, %d)", ErrChangedInput,
			stats.Episodes, stats.AttackerWins, stats.DefenderWins, second.Episodes, second.AttackerWins, second.DefenderWins)
	}
	return stats, nil
}

// sampleOf is utterance n (1-based) of ep, the episode numbered i, as a
// sample with its speaker's prompt; reward and weight are the caller's.
func sampleOf(ep *rl.Episode, n, i int, prompt rl.PromptFunc) (rl.Sample, error) {
	m := ep.History[n-1]
	p, err := prompt(ep, n)
	if err != nil {
		return rl.Sample{}, fmt.Errorf("spag rewards: episode %d utterance %d: prompt: %w", i, n, err)
	}
	return rl.Sample{Query: p.Text(), Messages: p.Messages, Target: trimPySpace(m.Content), Role: m.Role, Provenance: ep.Provenance}, nil
}

// turnOf is the turn of its speaker (1-based: the speaker's first
// utterance is turn 1) that utterance n of ep was.
func turnOf(ep *rl.Episode, n int) int {
	turn := 0
	for k := 1; k <= n; k++ {
		if ep.History[k-1].Role == ep.History[n-1].Role {
			turn++
		}
	}
	return turn
}

// lastUtteranceOf is the number (1-based) of role's last utterance at or
// before the one that decided ep; 0 when it said nothing.
func lastUtteranceOf(ep *rl.Episode, role string) int {
	for n := ep.DecidedAt; n >= 1; n-- {
		if ep.History[n-1].Role == role {
			return n
		}
	}
	return 0
}

func otherRole(role string) string {
	if role == judge.Attacker {
		return judge.Defender
	}
	return judge.Attacker
}

// tally counts episode i's outcome in stats and returns its winner's role,
// empty for an episode that gives no samples. An outcome the rule cannot
// use is an error naming the episode.
func tally(stats *RewardStats, i int, ep *rl.Episode) (string, error) {
	var winner string
	switch judge.Outcome(ep.Outcome) {
	case judge.AttackerWins:
		winner = judge.Attacker
	case judge.DefenderWins:
		winner = judge.Defender
	case judge.AttackerBrokeRules, judge.Tie:
		stats.Dropped++
		return "", nil
	case judge.Undecided:
		return "", fmt.Errorf("spag rewards: episode %d has no outcome (leave errored or unjudged episodes out)", i)
	default:
		return "", fmt.Errorf("spag rewards: episode %d: unknown outcome %q (want %s, %s, %s or %s; convert SPAG's strings with taboo.OutcomeFromSPAG)",
			i, ep.Outcome, judge.AttackerWins, judge.DefenderWins, judge.AttackerBrokeRules, judge.Tie)
	}
	if ep.DecidedAt < 1 || ep.DecidedAt > len(ep.History) {
		return "", fmt.Errorf("spag rewards: episode %d: decided at utterance %d, but its history has %d", i, ep.DecidedAt, len(ep.History))
	}
	switch {
	case !learns(ep, winner):
		stats.OpponentWins++
	case winner == judge.Attacker:
		stats.AttackerWins++
	default:
		stats.DefenderWins++
	}
	return winner, nil
}

// decayedRewards returns c_k / sum_j c_j for k = 1..K with c_k = (1/d)^k.
// It computes as the reference does (c multiplied by 1/d at each step, then
// 1.0 * c_k / total) so that results match bit for bit; when that
// overflows (a tiny d), it uses the equal ratio d^(K-k) / sum_j d^(K-j).
func decayedRewards(k int, d float64) []float64 {
	out := make([]float64, k)
	inc := 1 / d
	c, total := 1.0, 0.0
	for i := range out {
		c *= inc
		total += c
		out[i] = c
	}
	if !math.IsInf(total, 0) {
		for i := range out {
			out[i] = 1.0 * out[i] / total
		}
		return out
	}
	total = 0
	for i := range out {
		out[i] = math.Pow(d, float64(k-1-i))
		total += out[i]
	}
	for i := range out {
		out[i] /= total
	}
	return out
}

// trimPySpace removes surrounding white space as Python's str.strip() does:
// Go's unicode.IsSpace plus the ASCII information separators U+001C to
// U+001F, which Python also counts as white space.
func trimPySpace(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
	})
}
