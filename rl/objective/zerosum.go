package objective

import "math"

// ZeroSumParams are the coefficients of the zero-sum objective
// ([ZeroSum]).
type ZeroSumParams struct {
	// Beta weighs the KL penalty to the reference (k3 estimator).
	Beta float64 `json:"beta"`
	// Eps is the clip range of the ratio to the policy that played.
	Eps float64 `json:"eps"`
	// Alpha weighs the imitation term of SFT samples, as SPAG's.
	Alpha float64 `json:"alpha"`
}

// DefaultZeroSum returns the zero-sum objective's defaults: beta 0.1, eps
// 0.2, alpha 0.5. Beta is below SPAG's 0.2 because the penalty now acts
// only through its own gradient (1 - exp(r - l)), no longer by shrinking
// every advantage; eps and alpha are SPAG's.
func DefaultZeroSum() ZeroSumParams { return ZeroSumParams{Beta: 0.1, Eps: 0.2, Alpha: 0.5} }

// ZeroSum is the PPO-style objective for zero-sum rewards with
// role-conditioned advantages (rl-objectives.md, "Learning from wins and
// losses"). For a game sample i, Reward is its advantage A_i (the
// trajectory's return minus its role's running mean, computed when the data
// was made, so it carries no gradient), Old is l_i^old, the score under the
// policy that played, and Ref is r_i:
//
//	ratio_i = exp(l_i - l_i^old)
//	pg_i    = -min(A_i·ratio_i, A_i·clip(ratio_i, 1-eps, 1+eps))
//	kl_i    = exp(r_i - l_i) - (r_i - l_i) - 1        (k3: non-negative, unbiased)
//	L = sum_game (w_i·pg_i + beta·kl_i)/N_game + alpha·sum_sft w_i·(-l_i)/N_sft
//
// The KL is a penalty beside the policy gradient, not inside the advantage
// as in [SPAG]: a sample with a negative advantage is pushed down only until
// its ratio leaves the clip range, and the penalty pulls it back towards the
// reference, so penalised samples cannot run away. The KL is not weighted
// by w_i: it regularises the policy, not the sample. A term whose count is
// zero is zero; at a tie of the two branches the unclipped one is
// differentiated. Result.KL is the mean of l_i - r_i over game samples, as
// for SPAG, and ClipFrac the share of game samples whose ratio to the old
// policy lies outside the clip range.
func ZeroSum(l []float64, s []Sample, p ZeroSumParams) (Result, error) {
	if err := check(l, s); err != nil {
		return Result{}, err
	}
	lo, hi := 1-p.Eps, 1+p.Eps
	return mixed(l, s, p.Alpha, func(i int) (term, grad, kl float64, clipped bool) {
		adv := s[i].Reward
		ratio := math.Exp(l[i] - s[i].Old)
		clip := math.Min(math.Max(ratio, lo), hi)
		inside := ratio >= lo && ratio <= hi
		obj, dobj := adv*ratio, adv*ratio
		if c := adv * clip; c < obj {
			obj, dobj = c, 0
			if inside {
				dobj = adv * ratio
			}
		}
		d := s[i].Ref - l[i]
		e := math.Exp(d)
		return s[i].Weight*-obj + p.Beta*(e-d-1), s[i].Weight*-dobj + p.Beta*(1-e), -d, !inside
	}), nil
}
