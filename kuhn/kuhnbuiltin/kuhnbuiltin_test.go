package kuhnbuiltin_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/kuhnbuiltin"
	"github.com/spag-go/spag/players"
)

// TestOpen opens Kuhn Poker's built-in players through the generic
// backends, which know the game only through this package's registration,
// and checks each one's exploitability: the strategy it plays.
func TestOpen(t *testing.T) {
	cases := []struct {
		spec, role, game string
		exploit          float64 // the opened player's exploitability
		err              string  // a part of the usage error; empty for none
	}{
		{spec: "builtin", role: kuhn.First, exploit: 0},
		{spec: "builtin,skill=0", role: kuhn.Second, exploit: 11.0 / 24},
		{spec: "kuhn:equilibrium", role: kuhn.First, exploit: 0},
		{spec: "kuhn:equilibrium,alpha=1/3", role: kuhn.Second, exploit: 0},
		{spec: "kuhn:equilibrium,alpha=0", role: kuhn.First, exploit: 0},
		{spec: "kuhn:uniform", role: kuhn.First, exploit: 11.0 / 24},
		{spec: "kuhn:always-bet", role: kuhn.Second, exploit: 1.0 / 3},
		{spec: "kuhn:never-bluff", role: kuhn.First, exploit: 1.0 / 6},
		{spec: "kuhn:equilibrium,alpha=0.5", role: kuhn.First, err: "alpha=0.5: kuhn: alpha 0.5 is outside [0, 1/3]"},
		{spec: "kuhn:equilibrium,alpha=x", role: kuhn.First, err: "want a number from 0 to 1/3"},
		{spec: "kuhn:uniform,alpha=0.1", role: kuhn.First, err: "alpha is for kuhn:equilibrium only"},
		{spec: "kuhn:bluffer", role: kuhn.First, err: "kuhn:bluffer names no strategy; use one of kuhn:equilibrium, kuhn:uniform"},
		{spec: "kuhn", role: kuhn.First, err: "name a strategy: kuhn:equilibrium, kuhn:uniform, kuhn:always-bet, kuhn:never-bluff"},
		{spec: "kuhn:uniform", role: "attacker", game: "taboo", err: `plays Kuhn Poker only, not "taboo"`},
	}
	for _, c := range cases {
		t.Run(c.spec+"/"+c.role, func(t *testing.T) {
			s, err := players.Parse(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			g := c.game
			if g == "" {
				g = kuhn.Name
			}
			o, err := players.Open(context.Background(), s, players.Env{Game: g, Role: c.role}, nil)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, players.ErrUsage) {
					t.Fatalf("error %v, want a usage error saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st, ok := o.Player.(kuhn.Strategist)
			if !ok {
				t.Fatalf("%T does not tell its strategy", o.Player)
			}
			if got := kuhn.Exploitability(st.Behaviour()); math.Abs(got-c.exploit) > 1e-12 {
				t.Fatalf("exploitability %v, want %v", got, c.exploit)
			}
		})
	}
}

// TestMixFallsWithSkill checks that more skill is less exploitable.
func TestMixFallsWithSkill(t *testing.T) {
	prev := math.Inf(1)
	for _, s := range []float64{0, 0.25, 0.5, 0.75, 1} {
		e := kuhn.Exploitability(kuhnbuiltin.Mix(s))
		if e >= prev && s > 0 {
			t.Fatalf("skill %v: exploitability %v, not below %v", s, e, prev)
		}
		prev = e
	}
}
