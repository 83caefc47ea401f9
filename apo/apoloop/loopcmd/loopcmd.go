// Package loopcmd is APO's loop in spag iterate (--game apo): it
// registers the loop of package apoloop with the command, with its flags
// (marked apo:) and its help. cmd/spag imports it for that registration
// alone.
package loopcmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/apo/apoloop"
	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/command/cmdutil"
	iteratecmd "github.com/spag-go/spag/command/iterate"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
)

func init() {
	iteratecmd.Games.Register(iteratecmd.Game{Name: apoloop.Game, Usage: apoloop.Game + " (APO's rounds; the flags marked apo)",
		Long: long, Flags: newFlags, History: apoloop.History})
}

const long = `--game apo runs APO's rounds instead (the flags marked apo:): the generator
answers --samples times each of --queries training queries against the
reward model, which then trains on --preferences plus those
gold-versus-samples items; the generator answers again, against the new
reward model, and imitates each query's best-rated answer; on the held-out
queries the new generator plays the initial reward model, frozen, and is
measured with the definitions task's reverse dictionary, and the new reward
model is measured on --heldout-preferences and on the gold-versus-generated
items of those games. It starts from --generator and --reward-model (with
a scalar head) and resumes like the Taboo loop.`

// flags are the APO loop's own flags.
type flags struct{ cfg apoloop.Config }

func newFlags(fl *pflag.FlagSet) iteratecmd.Loops {
	a := &flags{}
	a.cfg.RM = train.DefaultConfig(train.ObjectiveAPO)
	a.cfg.RM.Score = train.ScoreScalar
	a.cfg.Gen = train.DefaultConfig(train.ObjectiveSFT)
	a.cfg.Gen.SFTBeta = 0 // imitation of its own best answers; no reference
	fl.StringVar(&a.cfg.Generator, "generator", "", "apo: the initial generator, a native checkpoint (spag apo gold and spag train --objective sft make one), or native: the shipped model, copied into --out")
	fl.StringVar(&a.cfg.RewardModel, "reward-model", "", "apo: the initial reward model, a native checkpoint with a scalar head (spag train --objective apo --score scalar); it stays frozen as the generator's judge")
	fl.StringVar(&a.cfg.Prompts, "prompts", definitions.SourceTrain, "apo: training queries with gold answers (as spag apo --prompts)")
	fl.StringVar(&a.cfg.EvalPrompts, "eval-prompts", definitions.SourceHeldOut, "apo: held-out queries of the evaluation, sharing none with --prompts")
	fl.StringVar(&a.cfg.Preferences, "preferences", "", "apo: preference items of every round's reward-model data (spag apo preferences)")
	fl.StringVar(&a.cfg.HeldOutPreferences, "heldout-preferences", "", "apo: held-out preference items that measure the reward model")
	fl.IntVar(&a.cfg.Queries, "queries", 0, "apo: training queries per round (0: all)")
	fl.IntVar(&a.cfg.Samples, "samples", 4, "apo: answers per training query (APO's k; the best rated is kept)")
	fl.IntVar(&a.cfg.EvalQueries, "eval-queries", 0, "apo: held-out queries of the evaluation (0: all)")
	fl.IntVar(&a.cfg.RM.Steps, "rm-steps", 100, "apo: reward-model training steps per round")
	fl.IntVar(&a.cfg.Gen.Steps, "gen-steps", 100, "apo: generator training steps per round")
	fl.Float64Var(&a.cfg.RM.LR, "rm-lr", a.cfg.RM.LR, "apo: reward-model peak learning rate")
	fl.Float64Var(&a.cfg.Gen.LR, "gen-lr", a.cfg.Gen.LR, "apo: generator peak learning rate")
	fl.IntVar(&a.cfg.RM.BatchSize, "rm-batch-size", a.cfg.RM.BatchSize, "apo: reward-model items per step")
	fl.IntVar(&a.cfg.Gen.BatchSize, "gen-batch-size", a.cfg.Gen.BatchSize, "apo: generator samples per step")
	fl.Float64Var(&a.cfg.RM.APO.Mu, "apo-mu", a.cfg.RM.APO.Mu, "apo: weight of the gold-versus-samples items in the reward model's loss (apo_loss_coeff)")
	return a
}

// running is an APO loop taken up by spag iterate.
type running struct{ *apoloop.Loop }

func (r running) ID() string   { return r.Loop.ID }
func (running) Final() []error { return nil }

func (r running) Summary(ctx context.Context, db string) (*iteratecmd.Summary, error) {
	results, err := r.Results(ctx)
	if err != nil {
		return nil, err
	}
	return &iteratecmd.Summary{Results: results, Done: fmt.Sprintf("loop %s done; plots in %s", r.Loop.ID, r.Config.Out),
		More: func(w io.Writer) error {
			states, err := r.States(ctx)
			if err != nil {
				return err
			}
			return apoloop.WriteCalibration(w, states)
		}}, nil
}

// env is the loop's: its trainer trains both models natively, as the
// loop plays and scores native checkpoints.
func env(le loop.Env) *apoloop.Env {
	le.Trainer = trainer.Native{}
	return &le
}

// Resume takes up the recorded loop rec.
func (a *flags) Resume(ctx context.Context, opts *iteratecmd.Options, le loop.Env, rec *episodes.Loop) (iteratecmd.Loop, error) {
	l, err := apoloop.Resume(ctx, env(le), rec)
	if err != nil {
		return nil, err
	}
	return begun(opts, l), nil
}

// Start checks the loop's settings, its files whole, then records it.
func (a *flags) Start(ctx context.Context, opts *iteratecmd.Options, le loop.Env) (iteratecmd.Loop, error) {
	cfg := a.cfg
	cfg.Rounds, cfg.Out, cfg.Seed, cfg.Options = opts.Rounds, opts.Out, opts.Seed, opts.Options
	switch {
	case cfg.Out == "":
		return nil, cmdutil.Usagef("iterate: --out DIR is required (the loop's data, checkpoints and plots go there)")
	case cfg.Generator == "" || cfg.RewardModel == "" || cfg.Preferences == "":
		return nil, cmdutil.Usagef("iterate --game apo: give --generator CKPT, --reward-model CKPT and --preferences FILE")
	}
	if err := cfg.Check(); err != nil {
		return nil, cmdutil.CheckError("iterate", err)
	}
	if err := cfg.Prepare(); err != nil {
		return nil, cmdutil.CLIError(err)
	}
	l, err := apoloop.Start(ctx, env(le), cfg)
	if err != nil {
		return nil, err
	}
	return begun(opts, l), nil
}

func begun(opts *iteratecmd.Options, l *apoloop.Loop) iteratecmd.Loop {
	fmt.Fprintf(opts.IO.ErrOut, "loop %s (APO): %d rounds into %s (database %s)\n", l.ID, l.Config.Rounds, l.Config.Out, opts.DB)
	return running{l}
}
