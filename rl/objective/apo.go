package objective

import (
	"fmt"
	"math"
)

// RMItem is one reward-model training item: responses to one query with
// their preference scores (higher is better; a negative score marks a
// padding slot) and the reward model's scores s for them.
type RMItem struct {
	Prefs []float64
	// Adversarial marks APO's gold-versus-samples items; the others are
	// preference data.
	Adversarial bool
}

// APOParams are the APO reward-model coefficients.
type APOParams struct {
	Gamma   float64 // rm_kl_coeff, default 1
	Mu      float64 // apo_loss_coeff, default 0.1
	Samples int     // apo_sample_num m, default 4
}

// DefaultAPO returns the reference coefficients.
func DefaultAPO() APOParams { return APOParams{Gamma: 1, Mu: 0.1, Samples: 4} }

// APO is the reward-model loss of the APO game. Every ordered pair (j, k)
// of valid responses of an item with Prefs[j] > Prefs[k] contributes
// -log sigmoid(s_j - s_k); preference items are weighted by gamma and
// adversarial items by mu/m, and, as in the reference code, both sums are
// divided by the number of valid ordered pairs in the whole batch. scores
// has one slice per item, parallel to its Prefs; the gradient has the same
// layout. A batch without pairs has loss 0.
func APO(items []RMItem, scores [][]float64, p APOParams) (loss float64, grad [][]float64, err error) {
	if len(items) != len(scores) {
		return 0, nil, fmt.Errorf("%w: %d items and %d score lists", ErrBatch, len(items), len(scores))
	}
	if p.Samples < 1 {
		return 0, nil, fmt.Errorf("%w: APO sample count %d must be positive", ErrBatch, p.Samples)
	}
	grad = make([][]float64, len(items))
	pairs := 0
	for i, it := range items {
		if len(scores[i]) != len(it.Prefs) {
			return 0, nil, fmt.Errorf("%w: item %d has %d preferences and %d scores", ErrBatch, i, len(it.Prefs), len(scores[i]))
		}
		grad[i] = make([]float64, len(it.Prefs))
		forPairs(it.Prefs, func(j, k int) { pairs++ })
	}
	if pairs == 0 {
		return 0, grad, nil
	}
	for i, it := range items {
		coef := p.Gamma
		if it.Adversarial {
			coef = p.Mu / float64(p.Samples)
		}
		coef /= float64(pairs)
		s := scores[i]
		forPairs(it.Prefs, func(j, k int) {
			d := s[j] - s[k]
			loss += coef * softplus(-d)
			g := coef * -sigmoid(-d) // d/dd of softplus(-d)
			grad[i][j] += g
			grad[i][k] -= g
		})
	}
	return loss, grad, nil
}

// forPairs calls f for every ordered pair (j preferred over k) of valid slots.
func forPairs(prefs []float64, f func(j, k int)) {
	for j, pj := range prefs {
		for k, pk := range prefs {
			if pj >= 0 && pk >= 0 && pj > pk {
				f(j, k)
			}
		}
	}
}

// softplus is log(1+exp(x)), computed without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// PreferenceAccuracy is the fraction of ordered pairs whose preferred
// response the reward model scores strictly higher; ok is false without pairs.
func PreferenceAccuracy(items []RMItem, scores [][]float64) (acc float64, ok bool) {
	var right, all int
	for i, it := range items {
		forPairs(it.Prefs, func(j, k int) {
			all++
			if scores[i][j] > scores[i][k] {
				right++
			}
		})
	}
	if all == 0 {
		return 0, false
	}
	return float64(right) / float64(all), true
}

// CalibrationError is the expected calibration error of the predicted
// preference probability sigmoid(s_a - s_b) over bins equal-width bins of
// [0, 1]. Every unordered pair of valid responses with different
// preferences counts in both orientations: q = sigmoid(s_a - s_b) with
// outcome 1 when a is preferred, and 1 - q with the opposite outcome, so
// that the measure does not depend on the order of an item's responses
// (items list the gold response first: oriented by index, every outcome
// would be 1, and a model that cannot tell the two apart, q = 0.5
// throughout, would score 0.5 instead of 0). ECE = sum_bins |bin|/N ·
// |mean outcome - mean confidence|; with bins symmetric about 0.5 it is
// the calibration error of the model's confidence in the answer it
// prefers.
func CalibrationError(items []RMItem, scores [][]float64, bins int) (ece float64, ok bool) {
	if bins < 1 {
		return 0, false
	}
	count := make([]float64, bins)
	conf := make([]float64, bins)
	hit := make([]float64, bins)
	n := 0.0
	for i, it := range items {
		for a := range it.Prefs {
			for b := a + 1; b < len(it.Prefs); b++ {
				pa, pb := it.Prefs[a], it.Prefs[b]
				if pa < 0 || pb < 0 || pa == pb {
					continue
				}
				q := sigmoid(scores[i][a] - scores[i][b])
				for _, o := range []struct{ q, outcome float64 }{{q, 0}, {1 - q, 1}} {
					if pa > pb {
						o.outcome = 1 - o.outcome
					}
					bin := min(int(o.q*float64(bins)), bins-1)
					count[bin]++
					conf[bin] += o.q
					hit[bin] += o.outcome
					n++
				}
			}
		}
	}
	if n == 0 {
		return 0, false
	}
	for b := range count {
		if count[b] > 0 {
			ece += count[b] / n * math.Abs(hit[b]/count[b]-conf[b]/count[b])
		}
	}
	return ece, true
}
