// Package loopcmd is Kuhn Poker's loop in spag iterate (--game kuhn): it
// registers the loop of package kuhnloop with the command, with its flags
// (marked kuhn:), its help and its report page. cmd/spag imports it for
// that registration alone.
package loopcmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	iteratecmd "github.com/spag-go/spag/command/iterate"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/kuhn/kuhnloop"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
)

func init() {
	iteratecmd.Games.Register(iteratecmd.Game{Name: kuhnloop.Game, Usage: kuhnloop.Game + " (Kuhn Poker's self-play rounds; the flags marked kuhn)",
		Long: long, Flags: newFlags, History: kuhnloop.History})
}

const long = `--game kuhn runs Kuhn Poker's self-play rounds (the flags marked kuhn:),
each the library calls of the manual recipe in docs/kuhn.md: the model
plays itself --games hands, sampled at --temperature with max_tokens=3
(spag kuhn play); each answer gets its seat's chips less the information
set's mean, less --forfeit more for an answer that is no move (spag kuhn
rewards); --steps of --objective zerosum (or spag) train it against
--ref, the starting model or the one the round starts from (spag train);
the new model's exact exploitability is read from its probabilities and it
plays the equilibrium built-in --eval-games hands in each seat. Round 0 is
the starting model, --init: one that knows only the rules, made as
docs/kuhn.md shows. The defaults are docs/kuhn.md's best recipe. It
resumes like the Taboo loop; exploitability.png in
--out and spag report chart the rounds.`

// howToInit says how to make the starting model, for the refusal of a
// loop without --init.
const howToInit = `iterate --game kuhn: --init CKPT is required: the starting model, a native checkpoint. A model that knows only the rules imitates uniform play:
  spag kuhn data --player kuhn:uniform --copies 8 --out uniform.json
  spag model init --preset tiny --seed 1 --corpus uniform.json --out k0.ckpt
  spag train --objective sft --data uniform.json --init k0.ckpt --steps 150 --lr 3e-3 --beta 0 --out k-uniform.ckpt --db ""
then: spag iterate --game kuhn --init k-uniform.ckpt --out kuhn-loop`

// flags are the Kuhn loop's own flags.
type flags struct {
	cfg         kuhnloop.Config
	objective   string
	beta        float64
	temperature float64
}

func newFlags(fl *pflag.FlagSet) iteratecmd.Loops {
	f := &flags{}
	f.cfg.Train = train.DefaultConfig(train.ObjectiveZeroSum)
	fl.IntVar(&f.cfg.Hands, "games", 1200, "kuhn: self-play hands per round")
	fl.IntVar(&f.cfg.EvalHands, "eval-games", 300, "kuhn: hands in each seat against the equilibrium built-in (0: exploitability only)")
	fl.StringVar(&f.cfg.Init, "init", "", "kuhn: the starting model, a native checkpoint (required; docs/kuhn.md makes one that knows only the rules)")
	// The defaults are docs/kuhn.md's best recipe: the starting model as a
	// fixed KL reference at β 0.2, and a chip's penalty for an answer that
	// is no move.
	fl.StringVar(&f.cfg.Ref, "ref", kuhnloop.RefInit, "kuhn: KL reference of each round's training, init (the loop's starting model) or previous (the model the round starts from)")
	fl.IntVar(&f.cfg.Train.Steps, "steps", 150, "kuhn: training steps per round")
	fl.Float64Var(&f.cfg.Train.LR, "lr", 2e-3, "kuhn: peak learning rate")
	fl.IntVar(&f.cfg.Train.BatchSize, "batch-size", f.cfg.Train.BatchSize, "kuhn: samples per optimizer step")
	fl.Float64Var(&f.beta, "beta", 0.2, "kuhn: KL coefficient against --ref")
	fl.StringVar(&f.objective, "objective", train.ObjectiveZeroSum, "kuhn: zerosum, or spag (SPAG's objective, for comparison)")
	fl.Float64Var(&f.temperature, "temperature", 1, "kuhn: sampling temperature of the model's hands (with top_k=0 and top_p=1 unless --option sets them)")
	fl.Float64Var(&f.cfg.Forfeit, "forfeit", 1, "kuhn: chips taken from the advantage of an answer that was no legal move, beside the hand it lost (spag kuhn rewards --forfeit)")
	fl.StringVar(&f.cfg.Baseline, "baseline", "infoset", "kuhn: what the advantages subtract, infoset (the mean chips at the same information set) or seat")
	return f
}

// running is a Kuhn loop taken up by spag iterate.
type running struct{ *kuhnloop.Loop }

func (r running) ID() string   { return r.Loop.ID }
func (running) Final() []error { return nil }

func (r running) Summary(ctx context.Context, db string) (*iteratecmd.Summary, error) {
	ps, err := r.Points(ctx)
	if err != nil {
		return nil, err
	}
	return &iteratecmd.Summary{Rounds: ps,
		Done: fmt.Sprintf("loop %s done; plots in %s; page: spag report --db %s --loop %s", r.Loop.ID, r.Config.Out, db, r.Loop.ID),
		More: func(w io.Writer) error { return kuhnloop.WriteTable(w, ps) }}, nil
}

// env is the loop's: it trains in process, as spag train does, the
// checkpoints the loop plays.
func env(le loop.Env) *kuhnloop.Env {
	le.Trainer = trainer.Native{}
	return &le
}

// Resume takes up the recorded loop rec, with its recorded configuration.
func (f *flags) Resume(ctx context.Context, opts *iteratecmd.Options, le loop.Env, rec *episodes.Loop) (iteratecmd.Loop, error) {
	l, err := kuhnloop.Resume(ctx, env(le), rec)
	if err != nil {
		return nil, err
	}
	return begun(opts, l), nil
}

// Start checks the flags and the starting model, then records the loop.
func (f *flags) Start(ctx context.Context, opts *iteratecmd.Options, le loop.Env) (iteratecmd.Loop, error) {
	cfg := f.cfg
	cfg.Rounds, cfg.Out, cfg.Seed = opts.Rounds, opts.Out, opts.Seed
	cfg.Options = kuhnloop.SamplingOptions(f.temperature, opts.Options)
	switch {
	case cfg.Out == "":
		return nil, cmdutil.Usagef("iterate: --out DIR is required (the loop's data, checkpoints and plots go there)")
	case cfg.Init == "":
		return nil, cmdutil.Usagef("%s", howToInit)
	case !(f.temperature > 0):
		return nil, cmdutil.Usagef("--temperature must be positive (got %v)", f.temperature)
	}
	switch f.objective {
	case train.ObjectiveZeroSum:
		cfg.Train.ZeroSum.Beta = f.beta
	case train.ObjectiveSPAG:
		cfg.Train.Objective, cfg.Train.ZeroSum, cfg.Train.SPAG.Beta = train.ObjectiveSPAG, nil, f.beta
	default:
		return nil, cmdutil.Usagef("--objective %q: a Kuhn loop trains with zerosum or spag", f.objective)
	}
	if err := cfg.Check(); err != nil {
		return nil, cmdutil.CheckError("iterate", err)
	}
	if err := cfg.Prepare(); err != nil {
		return nil, cmdutil.CLIError(err)
	}
	l, err := kuhnloop.Start(ctx, env(le), cfg)
	if err != nil {
		return nil, err
	}
	return begun(opts, l), nil
}

func begun(opts *iteratecmd.Options, l *kuhnloop.Loop) iteratecmd.Loop {
	fmt.Fprintf(opts.IO.ErrOut, "loop %s (Kuhn Poker): %d rounds into %s (database %s)\n", l.ID, l.Config.Rounds, l.Config.Out, opts.DB)
	return running{l}
}
