// Package eval turns evaluation results into the numbers, plots and pages
// people read: win rates with Wilson score intervals, differences from a
// baseline with Newcombe's interval, charts of win rates, training curves,
// outcome mixes and decided_at histograms (SVG and PNG), a Markdown or
// HTML report of a loop or a run, and a plain-text table for a terminal.
//
// It works on plain Go values ([RoundResult], [TrainingPoint], [Report])
// and owns no storage, flags or games: the caller reads its database and
// names the roles, opponents and outcomes, so the package knows nothing of
// Taboo or any other game.
package eval

import (
	"fmt"
	"math"
)

// Z95 is the standard normal quantile for a two-sided 95% interval,
// Φ⁻¹(0.975).
const Z95 = 1.959963984540054

// zOrDefault returns z, or [Z95] when z is 0. It panics on a negative or
// non-finite z: a quantile is a programmer's constant, not user input.
func zOrDefault(z float64) float64 {
	switch {
	case z == 0:
		return Z95
	case z < 0 || math.IsNaN(z) || math.IsInf(z, 0):
		panic(fmt.Sprintf("eval: normal quantile z = %v, want z > 0 (or 0 for 95%%)", z))
	}
	return z
}

// checkCount panics unless 0 <= wins <= n: counts come from the caller's
// own tallies, so an impossible pair is a bug upstream.
func checkCount(wins, n int) {
	if n < 0 || wins < 0 || wins > n {
		panic(fmt.Sprintf("eval: %d wins of %d games, want 0 <= wins <= games", wins, n))
	}
}

// Wilson returns the Wilson score interval for the proportion wins/n at the
// normal quantile z (0 selects [Z95], a 95% interval). It is the set of p
// whose score test |p̂-p| / sqrt(p(1-p)/n) <= z does not reject, whose
// bounds are the roots of the quadratic
//
//	lo, hi = (2w + z² ∓ z·sqrt(z² + 4w(n-w)/n)) / (2(n + z²)).
//
// Unlike the normal approximation it stays inside [0, 1], is never empty
// and keeps its coverage near 0 and 1 and at small n. Edge cases: n = 0
// gives [0, 1] (nothing is known); wins = 0 gives lo = 0 and wins = n gives
// hi = 1 exactly. It panics unless 0 <= wins <= n.
func Wilson(wins, n int, z float64) (lo, hi float64) {
	checkCount(wins, n)
	z = zOrDefault(z)
	if n == 0 {
		return 0, 1
	}
	w, nn, z2 := float64(wins), float64(n), z*z
	centre := 2*w + z2
	half := z * math.Sqrt(z2+4*w*(nn-w)/nn)
	den := 2 * (nn + z2)
	lo, hi = (centre-half)/den, (centre+half)/den
	// The closed form is exact at the edges in real arithmetic; pin the
	// rounding so a table never shows "-0.0%" or "100.0000001%".
	if wins == 0 {
		lo = 0
	}
	if wins == n {
		hi = 1
	}
	return math.Max(0, lo), math.Min(1, hi)
}

// Rate is a proportion Wins/Games with its Wilson interval [Lo, Hi].
type Rate struct {
	Wins  int `json:"wins"`
	Games int `json:"games"`
	// Rate is Wins/Games, and 0 when Games is 0 (then [Lo, Hi] = [0, 1]).
	Rate float64 `json:"rate"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
}

// NewRate returns wins/games with its Wilson interval at quantile z (0 for
// 95%). It panics unless 0 <= wins <= games.
func NewRate(wins, games int, z float64) Rate {
	lo, hi := Wilson(wins, games, z)
	r := Rate{Wins: wins, Games: games, Lo: lo, Hi: hi}
	if games > 0 {
		r.Rate = float64(wins) / float64(games)
	}
	return r
}

// Diff is the difference of two independent proportions, p₁ - p₂, with
// its interval [Lo, Hi].
type Diff struct {
	// Diff is p₁ - p₂; 0 when either proportion has no games.
	Diff float64 `json:"diff"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
	// Known is false when either side has no games; then the interval is
	// the uninformative [-1, 1].
	Known bool `json:"known"`
}

// Excludes0 reports whether the interval lies wholly above or below 0,
// that is whether the data separate the two proportions at the interval's
// level. A difference whose interval holds 0 is not a measured change.
func (d Diff) Excludes0() bool { return d.Known && (d.Lo > 0 || d.Hi < 0) }

// NewcombeDiff returns the difference p₁ - p₂ of the independent
// proportions p₁ = w1/n1 and p₂ = w2/n2 with Newcombe's hybrid score
// interval (his method 10, without continuity correction) at quantile z (0
// for 95%). With [l₁, u₁] and [l₂, u₂] the Wilson intervals of p₁ and p₂
// at the same z, and d = p₁ - p₂,
//
//	lo = d - sqrt((p₁ - l₁)² + (u₂ - p₂)²)
//	hi = d + sqrt((u₁ - p₁)² + (p₂ - l₂)²)
//
// Each side combines the two one-sided distances that push the difference
// that way, as a variance sum would, but taken from the score intervals, so
// the result keeps Wilson's good behaviour near 0 and 1 and at small n, and
// stays inside [-1, 1] (each root term is at most p₁ + 1 - p₂, or
// 1 - p₁ + p₂). When n1 or n2 is 0 nothing is known: Known is false and the
// interval is [-1, 1]. It panics unless 0 <= w <= n on both sides.
//
// Reference: R. G. Newcombe, "Interval estimation for the difference
// between independent proportions: comparison of eleven methods",
// Statistics in Medicine 17 (1998) 873-890.
func NewcombeDiff(w1, n1, w2, n2 int, z float64) Diff {
	checkCount(w1, n1)
	checkCount(w2, n2)
	if n1 == 0 || n2 == 0 {
		zOrDefault(z) // still reject a bad quantile
		return Diff{Lo: -1, Hi: 1}
	}
	p1, p2 := float64(w1)/float64(n1), float64(w2)/float64(n2)
	l1, u1 := Wilson(w1, n1, z)
	l2, u2 := Wilson(w2, n2, z)
	d := p1 - p2
	lo := d - math.Hypot(p1-l1, u2-p2)
	hi := d + math.Hypot(u1-p1, p2-l2)
	return Diff{Diff: d, Lo: math.Max(-1, lo), Hi: math.Min(1, hi), Known: true}
}
