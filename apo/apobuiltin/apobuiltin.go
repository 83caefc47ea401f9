// Package apobuiltin registers APO's built-in players, [apo.BuiltinGenerator]
// and [apo.BuiltinRewardModel], with the "builtin" player backend (package
// players/builtin). A program that offers builtin for APO imports it for
// its side effect.
package apobuiltin

import (
	"context"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/builtin"
)

func init() { builtin.Register(apo.Name, apoPlayers{}) }

// apoPlayers are the built-in generator and reward model.
type apoPlayers struct{}

func (apoPlayers) Help() string { return "APO's generator" }

// Skilled is false for the reward model only: it rates by a fixed rule.
func (apoPlayers) Skilled(role string) bool { return role != apo.RewardModel }

func (apoPlayers) DefaultSkill() float64 { return apo.DefaultGeneratorSkill }

func (apoPlayers) Open(ctx context.Context, env players.Env, skill float64) (game.Player, error) {
	switch env.Role {
	case apo.Generator:
		return apo.BuiltinGenerator{Skill: skill}, nil
	case apo.RewardModel:
		return apo.BuiltinRewardModel{}, nil
	}
	return nil, builtin.NoPlayer(env)
}
