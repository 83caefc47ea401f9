// Package likelihood is the "likelihood" player backend: an APO reward
// model that rates answers by their mean log-likelihood under a native
// checkpoint (likelihood:CKPT, one trained with spag train --objective apo).
// It registers itself with [players] on import.
package likelihood

import (
	"context"
	"fmt"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/rl/checkpoint"
)

func init() { players.Register("likelihood", backend{}) }

type backend struct{}

func (backend) Help() string {
	return "APO reward model only: likelihood:CKPT, a native checkpoint trained with spag train --objective apo, rating answers by likelihood"
}

func (backend) Keys(players.Env) []string { return nil }

// Resolve records the checkpoint by absolute path and digest: it may be
// retrained in place between a run and its resume.
func (backend) Resolve(spec players.Spec) (players.Spec, string, error) {
	return players.ResolveFile(spec)
}

func (backend) Open(ctx context.Context, spec players.Spec, env players.Env) (game.Player, error) {
	switch {
	case env.Game != "apo" || env.Role != apo.RewardModel:
		return nil, players.Usagef("a likelihood model rates answers; it can only be the --reward-model of spag apo")
	case spec.Arg == "":
		return nil, players.Usagef("name the checkpoint, likelihood:CKPT (one trained with spag train --objective apo)")
	case len(spec.Options) > 0:
		return nil, players.Usagef("likelihood takes no options")
	}
	ck, err := checkpoint.Load(spec.Arg)
	if err != nil {
		return nil, err
	}
	m, err := native.NewModel(ck.Vocab, ck.Params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Arg, err)
	}
	return apo.LikelihoodRewardModel{Scorer: m}, nil
}
