// Package kuhnbuiltin registers Kuhn Poker's built-in players, which need
// no model, in two ways: with the generic "builtin" backend (package
// players/builtin), whose skill=0..1 runs from uniform random play (0) to
// an equilibrium (1, the default), and as the game's own "kuhn" backend,
// which names a strategy:
//
//	kuhn:equilibrium[,alpha=A]  the equilibrium whose first player bluffs the Jack with probability A in [0, 1/3] (default 1/6)
//	kuhn:uniform                each legal move half the time
//	kuhn:always-bet             bet or call at every turn
//	kuhn:never-bluff            bet only the King, call with the Queen or King
//
// Every one of them is a [kuhn.Player], whose exact strategy
// ([kuhn.Strategist]) exploitability reads. A program offers them by
// importing this package for its side effect.
package kuhnbuiltin

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/builtin"
)

func init() {
	builtin.Register(kuhn.Name, builtinPlayers{})
	players.Register(kuhn.Name, backend{})
}

// DefaultAlpha is the first player's bluffing frequency of the built-in
// equilibrium when none is given: the middle of the family.
const DefaultAlpha = 1.0 / 6

// builtinPlayers are the players of the "builtin" backend.
type builtinPlayers struct{}

func (builtinPlayers) Help() string {
	return "Kuhn Poker's first and second players: skill 1 an equilibrium, 0 uniform random"
}

func (builtinPlayers) Skilled(string) bool   { return true }
func (builtinPlayers) DefaultSkill() float64 { return 1 }

func (builtinPlayers) Open(_ context.Context, env players.Env, skill float64) (game.Player, error) {
	if env.Role != kuhn.First && env.Role != kuhn.Second {
		return nil, builtin.NoPlayer(env)
	}
	return kuhn.Player{Strategy: Mix(skill)}, nil
}

// Mix is the strategy of the built-in player of skill s: at every
// information set, s times the equilibrium of [DefaultAlpha] plus 1-s
// times uniform play.
func Mix(s float64) kuhn.Strategy {
	eq, _ := kuhn.Equilibrium(DefaultAlpha)
	u := kuhn.Uniform()
	var m kuhn.Strategy
	for i := range m {
		m[i] = s*eq[i] + (1-s)*u[i]
	}
	return m
}

// Styles are the strategies the "kuhn" backend names, for its help and
// errors.
var Styles = []string{"equilibrium", "uniform", "always-bet", "never-bluff"}

// backend is the game's own "kuhn" player backend.
type backend struct{}

func (backend) Help() string {
	return "Kuhn Poker's strategies: kuhn:equilibrium[,alpha=0..1/3], kuhn:uniform, kuhn:always-bet, kuhn:never-bluff"
}

// Keys is alpha, for Kuhn Poker only.
func (backend) Keys(env players.Env) []string {
	if env.Game != kuhn.Name {
		return nil
	}
	return []string{"alpha"}
}

func (backend) Open(_ context.Context, spec players.Spec, env players.Env) (game.Player, error) {
	if env.Game != kuhn.Name {
		return nil, players.Usagef("a kuhn player plays Kuhn Poker only, not %q", env.Game)
	}
	st, err := Strategy(spec)
	if err != nil {
		return nil, err
	}
	return kuhn.Player{Strategy: st}, nil
}

// Strategy is the strategy a "kuhn" spec names; errors wrap
// [players.ErrUsage] and say what is accepted.
func Strategy(spec players.Spec) (kuhn.Strategy, error) {
	alpha, hasAlpha := spec.Options["alpha"]
	for k := range spec.Options {
		if k != "alpha" {
			return kuhn.Strategy{}, players.Usagef("unknown option %q for kuhn:%s (only kuhn:equilibrium takes one, alpha=0..1/3)", k, spec.Arg)
		}
	}
	if hasAlpha && spec.Arg != "equilibrium" {
		return kuhn.Strategy{}, players.Usagef("alpha is for kuhn:equilibrium only, not kuhn:%s", spec.Arg)
	}
	switch spec.Arg {
	case "equilibrium":
		a := DefaultAlpha
		if hasAlpha {
			var err error
			if a, err = fraction(alpha); err != nil {
				return kuhn.Strategy{}, players.Usagef("alpha=%s: want a number from 0 to 1/3 (0.2 or 1/6)", alpha)
			}
		}
		st, err := kuhn.Equilibrium(a)
		if err != nil {
			return kuhn.Strategy{}, players.Usagef("alpha=%s: %v", alpha, err)
		}
		return st, nil
	case "uniform":
		return kuhn.Uniform(), nil
	case "always-bet":
		return kuhn.AlwaysBet(), nil
	case "never-bluff":
		return kuhn.NeverBluff(), nil
	}
	if spec.Arg == "" {
		return kuhn.Strategy{}, players.Usagef("name a strategy: kuhn:%s", strings.Join(Styles, ", kuhn:"))
	}
	return kuhn.Strategy{}, players.Usagef("kuhn:%s names no strategy; use one of kuhn:%s", spec.Arg, strings.Join(Styles, ", kuhn:"))
}

// fraction reads a number written as a decimal or as a/b ("1/3").
func fraction(s string) (float64, error) {
	if a, b, ok := strings.Cut(s, "/"); ok {
		n, err1 := strconv.ParseFloat(a, 64)
		d, err2 := strconv.ParseFloat(b, 64)
		if err1 != nil || err2 != nil || d == 0 {
			return 0, fmt.Errorf("not a fraction: %q", s)
		}
		return n / d, nil
	}
	return strconv.ParseFloat(s, 64)
}
