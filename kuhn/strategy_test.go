package kuhn_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/kuhn"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// TestExploitabilityGoldens checks exact values computed by hand.
//
// Always bet (bet or call everywhere), by hand. The second player's best
// response to a first player who always bets: call with the King (+2),
// with the Queen calling wins 2 against the Jack and loses 2 against the
// King (0, better than folding's -1), fold the Jack (-1 rather than -2):
// BR₂ = (2 + 0 - 1)/3 = 1/3. The first player's best response to a second
// player who bets after a check and calls a bet: bet the King (+2); with
// the Queen betting gives (2 - 2)/2 = 0 and checking then calling gives
// the same, folding -1; with the Jack checking then folding gives -1,
// better than -2: BR₁ = (2 + 0 - 1)/3 = 1/3. Exploitability = (1/3 +
// 1/3)/2 = 1/3.
//
// Never bluff (bet only the King, call with the Queen or King), by hand.
// Against it the second player: after a bet (the first holds the King)
// folds everything (-1 each); after a check (first holds J or Q) bets the
// Jack and Queen as bluffs when the first would fold, and bets the King:
// with the King a bet is called by the Queen (+2) and folded by the Jack
// (+1): 3/2; with the Queen the first holds J or K: J checks, then folds
// to a bet (+1); K bets (the second folds, -1): 0; with the Jack the first
// holds Q (checks, calls a bet: -2, so check: -1) or K (bets, fold: -1):
// -1. Each card is dealt to the second with probability 1/3: BR₂ =
// (3/2 + 0 - 1)/3 = 1/6. The first player's best response to it: with the
// King bet (the second calls with the Queen only: (1 + 2)/2 = 3/2); with
// the Queen, check then fold to a bet (the second bets the King only):
// (1 - 1)/2 = 0; with the Jack bet as a bluff (the second calls with the
// Queen and King: -2) or check (the second checks the Queen: -1, bets the
// King: fold -1): -1. BR₁ = (3/2 + 0 - 1)/3 = 1/6. Exploitability = 1/6.
func TestExploitabilityGoldens(t *testing.T) {
	eq := func(a float64) kuhn.Strategy {
		s, err := kuhn.Equilibrium(a)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := []struct {
		name     string
		s        kuhn.Strategy
		want     float64
		br1, br2 float64
	}{
		{"equilibrium alpha=0", eq(0), 0, -1.0 / 18, 1.0 / 18},
		{"equilibrium alpha=1/6", eq(1.0 / 6), 0, -1.0 / 18, 1.0 / 18},
		{"equilibrium alpha=1/3", eq(1.0 / 3), 0, -1.0 / 18, 1.0 / 18},
		{"equilibrium alpha=0.1", eq(0.1), 0, -1.0 / 18, 1.0 / 18},
		{"uniform", kuhn.Uniform(), 11.0 / 24, math.NaN(), math.NaN()},
		{"always bet", kuhn.AlwaysBet(), 1.0 / 3, 1.0 / 3, 1.0 / 3},
		{"never bluff", kuhn.NeverBluff(), 1.0 / 6, 1.0 / 6, 1.0 / 6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := kuhn.Exploitability(c.s); !near(got, c.want) {
				t.Fatalf("exploitability %.15f, want %.15f", got, c.want)
			}
			b1, _ := kuhn.BestResponse(c.s, 0)
			b2, _ := kuhn.BestResponse(c.s, 1)
			if !math.IsNaN(c.br1) && (!near(b1, c.br1) || !near(b2, c.br2)) {
				t.Fatalf("best responses %v, %v; want %v, %v", b1, b2, c.br1, c.br2)
			}
		})
	}
	if v := kuhn.Value(eq(0.2)); !near(v, -1.0/18) {
		t.Fatalf("value of an equilibrium %v, want -1/18", v)
	}
}

// TestExploitabilityPositiveOffEquilibrium moves one probability of an
// equilibrium and checks that the profile becomes exploitable, and that the
// best response beats the game value by exactly that much.
func TestExploitabilityPositiveOffEquilibrium(t *testing.T) {
	base, _ := kuhn.Equilibrium(0.2)
	for i, is := range kuhn.InfoSets {
		s := base
		s[i] = 1 - s[i]
		if s[i] == base[i] {
			continue
		}
		e := kuhn.Exploitability(s)
		if e <= 1e-9 {
			t.Errorf("%s flipped: exploitability %v, want > 0", is, e)
		}
		b1, _ := kuhn.BestResponse(s, 0)
		b2, _ := kuhn.BestResponse(s, 1)
		if !near(e, (b1+b2)/2) {
			t.Errorf("%s: exploitability %v is not (BR1 + BR2)/2 = %v", is, e, (b1+b2)/2)
		}
	}
}

func TestEquilibriumRefusesAlpha(t *testing.T) {
	for _, a := range []float64{-0.1, 0.34, math.NaN()} {
		if _, err := kuhn.Equilibrium(a); err == nil || !strings.Contains(err.Error(), "[0, 1/3]") {
			t.Errorf("alpha %v: error %v", a, err)
		}
	}
}

func TestInfoSets(t *testing.T) {
	seen := map[string]bool{}
	for i, is := range kuhn.InfoSets {
		if is.Index() != i || seen[is.String()] {
			t.Fatalf("info set %d %s: index %d or repeated", i, is, is.Index())
		}
		seen[is.String()] = true
	}
	if got := kuhn.InfoSets[5].String(); got != "first K after check, bet" {
		t.Fatalf("InfoSets[5] = %q", got)
	}
	// Every information set is the one a real hand's observation reads as.
	for _, is := range kuhn.InfoSets {
		s := kuhn.StateAt(is)
		got, err := kuhn.InfoSetOf(s.Observation(s.CurrentPlayer()))
		if err != nil || got != is {
			t.Fatalf("%s: InfoSetOf = %v, %v", is, got, err)
		}
	}
}

// TestPlayerFollowsStrategy plays a strategy's player at every information
// set with many seeds: the share of aggressive moves is its probability.
func TestPlayerFollowsStrategy(t *testing.T) {
	st, _ := kuhn.Equilibrium(0.25)
	p := kuhn.Player{Strategy: st}
	const n = 4000
	for _, is := range kuhn.InfoSets {
		s := kuhn.StateAt(is)
		agg := 0
		for seed := range uint64(n) {
			r, err := p.Play(context.Background(), game.Request{Observation: s.Observation(is.Player()), Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			if r.Text == is.Legal()[1].String() {
				agg++
			} else if r.Text != is.Legal()[0].String() {
				t.Fatalf("%s: answered %q", is, r.Text)
			}
		}
		// Four standard errors of a share of n draws.
		want := st[is.Index()]
		if got := float64(agg) / n; math.Abs(got-want) > 4*math.Sqrt(want*(1-want)/n)+1e-9 {
			t.Errorf("%s: bet or call %.3f of the time, want %.3f", is, got, want)
		}
	}
}
