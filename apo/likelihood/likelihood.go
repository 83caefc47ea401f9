// Package likelihood holds the player backends of native reward models,
// which rate APO answers by a score of a native checkpoint instead of
// generating text: "likelihood" (likelihood:CKPT, the answer's mean
// log-likelihood, a checkpoint trained with spag train --objective apo) and
// "scalar" (scalar:CKPT, the checkpoint's scalar head, trained with spag
// train --objective apo --score scalar). They register themselves with
// [players] on import.
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

func init() {
	players.Register("likelihood", backend{name: "likelihood", training: "spag train --objective apo",
		rates: "by likelihood", play: func(m *native.Model) game.Player { return apo.LikelihoodRewardModel{Scorer: m} }})
	players.Register("scalar", backend{name: "scalar", training: "spag train --objective apo --score scalar", scalar: true,
		rates: "10·sigmoid(score of its scalar head)", play: func(m *native.Model) game.Player { return apo.ScalarRewardModel{Scorer: valueScorer{m}} }})
}

// backend is one kind of native reward model.
type backend struct {
	name, training, rates string
	// scalar marks the kind that needs the checkpoint's scalar head.
	scalar bool
	play   func(*native.Model) game.Player
}

func (b backend) Help() string {
	return fmt.Sprintf("APO reward model only: %s:CKPT, a native checkpoint trained with %s, rating answers %s", b.name, b.training, b.rates)
}

func (backend) Keys(players.Env) []string { return nil }

// Resolve records the checkpoint by absolute path and digest: it may be
// retrained in place between a run and its resume.
func (backend) Resolve(spec players.Spec) (players.Spec, string, error) {
	return players.ResolveFile(spec)
}

func (b backend) Open(ctx context.Context, spec players.Spec, env players.Env) (game.Player, error) {
	switch {
	case env.Game != apo.Name || env.Role != apo.RewardModel:
		return nil, players.Usagef("a %s model rates answers; it can only be the --reward-model of spag apo", b.name)
	case spec.Arg == "":
		return nil, players.Usagef("name the checkpoint, %s:CKPT (one trained with %s)", b.name, b.training)
	case len(spec.Options) > 0:
		return nil, players.Usagef("%s takes no options", b.name)
	}
	ck, err := checkpoint.Load(spec.Arg)
	if err != nil {
		return nil, err
	}
	if b.scalar && !ck.Params.Config.ScoreHead {
		return nil, players.Usagef("%s has no scalar head: train one with %s, or play it as likelihood:%s", spec.Arg, b.training, spec.Arg)
	}
	m, err := native.NewModel(ck.Vocab, ck.Params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Arg, err)
	}
	return b.play(m), nil
}

// valueScorer scores a response by the model's scalar head.
type valueScorer struct{ m *native.Model }

func (v valueScorer) ResponseScore(prompt, response string) (float64, error) {
	return v.m.ResponseValue(prompt, response)
}
