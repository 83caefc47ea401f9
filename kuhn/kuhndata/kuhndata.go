// Package kuhndata writes Kuhn Poker's training data for spag train: the
// imitation of a strategy (supervised samples at the twelve information
// sets, each legal move in proportion to its probability) and the
// zero-sum samples of a stored run (every answer with its player's chips,
// less a baseline, as the advantage of spag train --objective zerosum).
package kuhndata

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/exploit"
	"github.com/spag-go/spag/rl"
)

// Imitation returns supervised samples that teach st: at every information
// set, its prompt (as a native player renders it) with copies targets,
// the aggressive move round(copies·p) times and the passive move the rest.
// A model trained on them to convergence plays st, as far as copies
// resolves it.
func Imitation(st kuhn.Strategy, copies int) ([]rl.Sample, error) {
	if copies < 1 {
		return nil, fmt.Errorf("kuhndata: %d copies per information set (want at least 1)", copies)
	}
	var samples []rl.Sample
	for i, is := range kuhn.InfoSets {
		obs, err := exploit.Observation(is)
		if err != nil {
			return nil, err
		}
		pr, err := obs.Prompt()
		if err != nil {
			return nil, err
		}
		agg := int(math.Round(float64(copies) * st[i]))
		l := is.Legal()
		for k := range copies {
			m := l[0]
			if k < agg {
				m = l[1]
			}
			samples = append(samples, rl.Sample{Query: pr.Text(), Messages: pr.Messages, Target: m.String(),
				Reward: 1, Weight: 1, Type: rl.TypeSFT})
		}
	}
	return samples, nil
}

// ZeroSumStats summarises [ZeroSum].
type ZeroSumStats struct {
	Hands   int `json:"hands"`
	Samples int `json:"samples"`
	// Empty counts the answers left out for having no text to learn;
	// Forfeits the samples of answers that lost the hand by rule.
	Empty    int `json:"empty"`
	Forfeits int `json:"forfeits"`
	// MeanChips is each seat's mean chips per hand in the run.
	MeanChips map[string]float64 `json:"mean_chips"`
	// Baseline is the baseline the advantages subtract: "seat" or
	// "infoset" (see [Baselines]).
	Baseline string `json:"baseline"`
	// InfoSetMean is the mean chips of the answers at each information
	// set ([kuhn.InfoSet.String]), with the infoset baseline.
	InfoSetMean map[string]float64 `json:"infoset_mean,omitempty"`
}

// Baselines are what [ZeroSum]'s advantages may subtract from an answer's
// chips: "infoset", the mean chips of the run's answers at the same
// information set (the player's card and the betting so far: what it knew
// when it answered), or "seat", the seat's mean over the run (SPIRAL's
// role-conditioned baseline). A baseline that depends on what the player
// knew, not on its answer, leaves the gradient unbiased; the seat's alone
// makes every answer with the Jack negative, and a policy pushed down on
// every move it sampled moves its mass to answers that are no move.
var Baselines = []string{"infoset", "seat"}

// ZeroSum returns the samples of a stored run for spag train --objective
// zerosum: every answer of every judged hand, its prompt rebuilt by
// replaying the hand, with reward the answering seat's chips in that hand
// less the baseline (one of [Baselines]). Answers that lost the hand by
// rule are included: their negative advantage teaches the model to answer
// with a legal move.
func ZeroSum(ctx context.Context, store *episodes.Store, run *episodes.Run, baseline string) ([]rl.Sample, ZeroSumStats, error) {
	return ZeroSumWith(ctx, store, run, ZeroSumOptions{Baseline: baseline})
}

// ZeroSumOptions tune [ZeroSumWith].
type ZeroSumOptions struct {
	// Baseline is one of [Baselines].
	Baseline string
	// Forfeit is subtracted from the advantage of an answer that lost the
	// hand by rule (no move, two moves, an illegal move), on top of the
	// chip it lost. A forfeit costs the chip a fold costs, so with the Jack
	// facing a bet an answer that is no move is as good as folding and
	// nothing pushes the model's mass back to the legal moves; the
	// baseline is still the mean of the chips the hands moved.
	Forfeit float64
}

// ZeroSumWith is [ZeroSum] with every option.
func ZeroSumWith(ctx context.Context, store *episodes.Store, run *episodes.Run, o ZeroSumOptions) ([]rl.Sample, ZeroSumStats, error) {
	baseline := o.Baseline
	if !(o.Forfeit >= 0) {
		return nil, ZeroSumStats{}, fmt.Errorf("kuhndata: forfeit penalty %v: want 0 or more chips", o.Forfeit)
	}
	if !slices.Contains(Baselines, baseline) {
		return nil, ZeroSumStats{}, fmt.Errorf("kuhndata: baseline %q: want one of %s", baseline, strings.Join(Baselines, ", "))
	}
	type answer struct {
		prompt  game.Prompt
		text    string
		seat    int
		chips   float64
		infoSet string
		forfeit bool // the answer lost the hand by rule
	}
	var answers []answer
	sum := [2]float64{}
	st := ZeroSumStats{MeanChips: map[string]float64{}}
	g := kuhn.New()
	for rec, err := range store.Iter(ctx, episodes.Filter{RunID: run.ID, Turns: true}) {
		if err != nil {
			return nil, ZeroSumStats{}, err
		}
		if rec.Errored() {
			continue
		}
		first, ok := kuhn.Chips(rec.Verdict.Outcome)
		if !ok {
			return nil, ZeroSumStats{}, fmt.Errorf("run %s episode %d: outcome %q is not Kuhn Poker's", run.ID, rec.Index, rec.Verdict.Outcome)
		}
		chips := [2]float64{float64(first), -float64(first)}
		s, err := g.NewState(rec.Setup)
		if err != nil {
			return nil, ZeroSumStats{}, fmt.Errorf("run %s episode %d: %w", run.ID, rec.Index, err)
		}
		for _, t := range rec.Turns {
			p := s.CurrentPlayer()
			if p < 0 {
				return nil, ZeroSumStats{}, fmt.Errorf("run %s episode %d: answer %d after the hand was over", run.ID, rec.Index, t.N)
			}
			pr, err := s.Observation(p).Prompt()
			if err != nil {
				return nil, ZeroSumStats{}, err
			}
			is, err := kuhn.InfoSetOf(s.Observation(p))
			if err != nil {
				return nil, ZeroSumStats{}, fmt.Errorf("run %s episode %d: %w", run.ID, rec.Index, err)
			}
			if err := s.Apply(t.Text); err != nil {
				return nil, ZeroSumStats{}, err
			}
			lost := s.IsTerminal() && s.Verdict().Outcome == [2]string{kuhn.FirstForfeits, kuhn.SecondForfeits}[p]
			answers = append(answers, answer{prompt: pr, text: t.Text, seat: p, chips: chips[p], infoSet: is.String(), forfeit: lost})
		}
		sum[0] += chips[0]
		sum[1] += chips[1]
		st.Hands++
	}
	if st.Hands == 0 {
		return nil, st, fmt.Errorf("run %s has no judged hands", run.ID)
	}
	mean := [2]float64{sum[0] / float64(st.Hands), sum[1] / float64(st.Hands)}
	st.MeanChips[kuhn.First], st.MeanChips[kuhn.Second] = mean[0], mean[1]
	st.Baseline = baseline
	base := func(a answer) float64 { return mean[a.seat] }
	if baseline == "infoset" {
		sums, counts := map[string]float64{}, map[string]int{}
		for _, a := range answers {
			sums[a.infoSet] += a.chips
			counts[a.infoSet]++
		}
		st.InfoSetMean = map[string]float64{}
		for k, v := range sums {
			st.InfoSetMean[k] = v / float64(counts[k])
		}
		base = func(a answer) float64 { return st.InfoSetMean[a.infoSet] }
	}
	samples := make([]rl.Sample, 0, len(answers))
	for _, a := range answers {
		target := strings.TrimSpace(a.text)
		if target == "" {
			st.Empty++
			continue
		}
		adv := a.chips - base(a)
		if a.forfeit {
			adv -= o.Forfeit
			st.Forfeits++
		}
		samples = append(samples, rl.Sample{Query: a.prompt.Text(), Messages: a.prompt.Messages, Target: target,
			Reward: adv, Weight: 1, Role: kuhn.Roles[a.seat],
			Provenance: rl.Provenance{Judge: g.JudgeID(), Run: run.ID}})
	}
	st.Samples = len(samples)
	return samples, st, nil
}
