// Package objective holds spag's training objectives as plain float64
// functions of per-sample sequence scores: SFT with a KL penalty, the SPAG
// offline policy objective, the zero-sum objective with role-conditioned
// advantages, VAR reward-weighted SFT, and the APO reward-model pairwise
// loss. Each returns the batch loss and its gradient
// with respect to the scores, so the model package can back-propagate it,
// and each is checked against an independent PyTorch implementation
// (testdata/torch_objectives.py) and by central differences.
//
// A sequence score l_i is the mean token log-likelihood of sample i's target
// under the policy; r_i is the same under the frozen reference model and
// carries no gradient. The package depends only on the standard library.
package objective

import (
	"errors"
	"fmt"
	"math"
)

// Sample is what an objective needs to know about one training sample
// besides its policy score.
type Sample struct {
	Weight float64 // w_i
	Reward float64 // R_i
	Ref    float64 // r_i, the reference model's sequence score
	// Old is l_i^old, the sequence score under the policy that played the
	// sample (zero-sum objective only).
	Old float64
	// SFT marks imitation samples of the SPAG objective (the L_sft term);
	// the others are game samples.
	SFT bool
	// Group identifies the query for VAR's per-query normalisation.
	Group string
}

// Result is a batch loss with its gradient and diagnostics.
type Result struct {
	Loss float64
	// Grad[i] is dLoss/dl_i.
	Grad []float64
	// Terms[i] is sample i's additive share of Loss (they sum to Loss), so a
	// trainer that splits a batch into micro-batches can report each part.
	// Every objective here is such a sum of per-sample terms whose batch-level
	// constants (counts, VAR's weights) do not depend on the scores.
	Terms []float64
	// KL is the mean of l_i - r_i over the samples the objective regularises.
	KL float64
	// ClipFrac is the fraction of game samples whose ratio exp(l_i - r_i)
	// lies outside [1-eps, 1+eps] (SPAG and zero-sum only).
	ClipFrac float64
}

// ErrBatch reports inconsistent inputs.
var ErrBatch = errors.New("invalid objective batch")

func check(l []float64, s []Sample) error {
	if len(l) != len(s) {
		return fmt.Errorf("%w: %d scores for %d samples", ErrBatch, len(l), len(s))
	}
	if len(l) == 0 {
		return fmt.Errorf("%w: empty batch", ErrBatch)
	}
	for i, v := range l {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: score %d is %v", ErrBatch, i, v)
		}
	}
	return nil
}

// SFT is imitation with a KL penalty (SPAG's first stage):
//
//	loss_i = -l_i + beta·exp(l_i)·(l_i - r_i),   L = mean_i w_i·loss_i
//
// exp(l_i) weights the per-sample KL estimate l_i - r_i by the policy's
// (mean-token) likelihood, as in the reference implementation.
func SFT(l []float64, s []Sample, beta float64) (Result, error) {
	if err := check(l, s); err != nil {
		return Result{}, err
	}
	n := float64(len(l))
	res := Result{Grad: make([]float64, len(l)), Terms: make([]float64, len(l))}
	for i, li := range l {
		kl := li - s[i].Ref
		e := math.Exp(li)
		res.Terms[i] = s[i].Weight * (-li + beta*e*kl) / n
		res.Loss += res.Terms[i]
		res.Grad[i] = s[i].Weight * (-1 + beta*e*(kl+1)) / n
		res.KL += kl / n
	}
	return res, nil
}

// SPAGParams are the SPAG objective's coefficients.
type SPAGParams struct {
	Beta  float64 // lm_kl_coeff, default 0.2
	Eps   float64 // clip_range, default 0.2
	Alpha float64 // lm_sft_coeff, default 0.5
}

// DefaultSPAG returns the reference coefficients.
func DefaultSPAG() SPAGParams { return SPAGParams{Beta: 0.2, Eps: 0.2, Alpha: 0.5} }

// SPAG is the offline policy objective of SPAG's self-play stage. For game
// samples, with kl_i = l_i - r_i (the gradient flows through it, also
// inside the advantage), ratio_i = exp(kl_i) and A_i = R_i - beta·kl_i:
//
//	pg_i = -min(A_i·ratio_i, A_i·clip(ratio_i, 1-eps, 1+eps))
//	L = alpha·sum_sft w_i·(-l_i)/N_sft + sum_game w_i·pg_i/N_game
//
// A term whose sample count is zero is zero. At a tie of the two branches
// the unclipped one is differentiated (they agree inside the clip range).
func SPAG(l []float64, s []Sample, p SPAGParams) (Result, error) {
	if err := check(l, s); err != nil {
		return Result{}, err
	}
	lo, hi := 1-p.Eps, 1+p.Eps
	return mixed(l, s, p.Alpha, func(i int) (term, grad, kl float64, clipped bool) {
		kl = l[i] - s[i].Ref
		ratio := math.Exp(kl)
		adv := s[i].Reward - p.Beta*kl
		clip := math.Min(math.Max(ratio, lo), hi)
		inside := ratio >= lo && ratio <= hi
		unclippedObj, clippedObj := adv*ratio, adv*clip
		var obj, dobj float64
		if unclippedObj <= clippedObj {
			obj = unclippedObj
			dobj = -p.Beta*ratio + adv*ratio
		} else {
			obj = clippedObj
			dclip := 0.0
			if inside {
				dclip = ratio
			}
			dobj = -p.Beta*clip + adv*dclip
		}
		return s[i].Weight * -obj, s[i].Weight * -dobj, kl, !inside
	}), nil
}

// mixed is the frame of the objectives whose batch mixes game samples and
// imitation (SFT) samples: an imitation sample adds alpha·w_i·(-l_i)/N_sft,
// a game sample game(i)'s term and gradient divided by N_game (a term whose
// count is zero is zero). game also gives the sample's l_i - r_i, whose
// mean over game samples is Result.KL, and whether its ratio was outside
// the clip range (Result.ClipFrac).
func mixed(l []float64, s []Sample, alpha float64, game func(i int) (term, grad, kl float64, clipped bool)) Result {
	var nGame, nSFT float64
	for _, x := range s {
		if x.SFT {
			nSFT++
		} else {
			nGame++
		}
	}
	res := Result{Grad: make([]float64, len(l)), Terms: make([]float64, len(l))}
	var clipped float64
	for i, li := range l {
		if s[i].SFT {
			res.Terms[i] = alpha * s[i].Weight * -li / nSFT
			res.Grad[i] = -alpha * s[i].Weight / nSFT
		} else {
			term, grad, kl, c := game(i)
			res.Terms[i], res.Grad[i] = term/nGame, grad/nGame
			res.KL += kl / nGame
			if c {
				clipped++
			}
		}
		res.Loss += res.Terms[i]
	}
	if nGame > 0 {
		res.ClipFrac = clipped / nGame
	}
	return res
}

// VAR is reward-weighted SFT from "Simplify RLHF as Reward-Weighted SFT: A
// Variational Method". Within each query group g (samples sharing
// [Sample.Group]) the weights
//
//	v_i = softmax_{j in g}(r_j + R_j/lambda)_i
//
// estimate pi_ref(y|x)·exp(R/lambda) normalised inside the batch, and
//
//	L = -(1/G) · sum_g sum_{i in g} v_i·l_i
//
// where G is the number of groups. Choice: the spec's single softmax over the
// batch is the case of one group; averaging over groups keeps the loss scale
// independent of how many queries a batch holds. The weights carry no
// gradient and sample weights w_i are not used. lambda must be positive.
func VAR(l []float64, s []Sample, lambda float64) (Result, error) {
	if err := check(l, s); err != nil {
		return Result{}, err
	}
	if !(lambda > 0) {
		return Result{}, fmt.Errorf("%w: VAR lambda %v must be positive", ErrBatch, lambda)
	}
	groups := map[string][]int{}
	var order []string
	for i, x := range s {
		if _, ok := groups[x.Group]; !ok {
			order = append(order, x.Group)
		}
		groups[x.Group] = append(groups[x.Group], i)
	}
	G := float64(len(order))
	res := Result{Grad: make([]float64, len(l)), Terms: make([]float64, len(l))}
	for _, g := range order {
		idx := groups[g]
		maxA := math.Inf(-1)
		for _, i := range idx {
			maxA = math.Max(maxA, s[i].Ref+s[i].Reward/lambda)
		}
		z := 0.0
		for _, i := range idx {
			z += math.Exp(s[i].Ref + s[i].Reward/lambda - maxA)
		}
		for _, i := range idx {
			v := math.Exp(s[i].Ref+s[i].Reward/lambda-maxA) / z
			res.Terms[i] = -v * l[i] / G
			res.Loss += res.Terms[i]
			res.Grad[i] = -v / G
		}
	}
	for i, li := range l {
		res.KL += (li - s[i].Ref) / float64(len(l))
	}
	return res, nil
}
