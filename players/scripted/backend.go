package scripted

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
)

func init() { players.Register("builtin", backend{}) }

// lexicon is parsed on first use only, so that runs without built-in
// players never pay for it; it is immutable once loaded.
var lexicon = sync.OnceValues(LoadLexicon)

// backend is the "builtin" player backend: the built-in players of each
// game, which need no model.
type backend struct{}

func (backend) Help() string {
	return "built-in players needing no model; option skill=0..1 (Taboo's attacker and defender, APO's generator)"
}

func (backend) Keys(env players.Env) []string {
	if env.Game == "apo" && env.Role == apo.RewardModel {
		return nil
	}
	return []string{"skill"}
}

// Resolve accepts builtin:skill=0.8, the form older runs recorded, as
// builtin,skill=0.8: builtin takes no ARG, so reading it as options is
// unambiguous. The recorded name stays the spec as written.
func (backend) Resolve(spec players.Spec) (players.Spec, string, error) {
	if spec.Arg == "" {
		return spec, spec.Text(), nil
	}
	opts, err := players.Parse("builtin," + spec.Arg)
	if err != nil {
		return players.Spec{}, "", players.Usagef("builtin takes no argument, only options: builtin,skill=0.7")
	}
	resolved := spec
	resolved.Arg = ""
	resolved.Options = map[string]string{}
	for k, v := range spec.Options {
		resolved.Options[k] = v
	}
	for k, v := range opts.Options {
		if _, dup := resolved.Options[k]; dup {
			return players.Spec{}, "", players.Usagef("option %s is given twice", k)
		}
		resolved.Options[k] = v
	}
	return resolved, spec.Text(), nil
}

func (b backend) Open(ctx context.Context, spec players.Spec, env players.Env) (game.Player, error) {
	if spec.Arg != "" {
		return nil, players.Usagef("builtin takes no argument, only options: builtin,skill=0.7")
	}
	skill := DefaultSkill
	if env.Game == "apo" {
		skill = apo.DefaultGeneratorSkill
	}
	for k, v := range spec.Options {
		if k != "skill" || len(b.Keys(env)) == 0 {
			return nil, players.Usagef("unknown option %q for the built-in %s (it takes %s)", k, env.Role, takes(b.Keys(env)))
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || CheckSkill(f) != nil {
			return nil, players.Usagef("skill must be a number from 0 to 1, got %q", v)
		}
		skill = f
	}
	switch {
	case env.Game == "apo" && env.Role == apo.Generator:
		return apo.BuiltinGenerator{Skill: skill}, nil
	case env.Game == "apo" && env.Role == apo.RewardModel:
		return apo.BuiltinRewardModel{}, nil
	case env.Game == "taboo" && (env.Role == judge.Attacker || env.Role == judge.Defender):
		l, err := lexicon()
		if err != nil {
			return nil, fmt.Errorf("load built-in lexicon: %w", err)
		}
		if env.Role == judge.Attacker {
			if env.Judge == nil {
				return nil, fmt.Errorf("the built-in attacker needs the game's judge")
			}
			return NewAttacker(l, env.Judge, skill), nil
		}
		return NewDefender(l, skill), nil
	}
	return nil, fmt.Errorf("no built-in player for role %q of game %q", env.Role, env.Game)
}

func takes(keys []string) string {
	if len(keys) == 0 {
		return "no options"
	}
	return "skill=0..1"
}
