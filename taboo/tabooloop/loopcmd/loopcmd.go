// Package loopcmd is Taboo's loop in spag iterate: it registers the
// Taboo loop (SPAG's rounds, package tabooloop) with the command, with
// its flags and its help, as the default game of --game. cmd/spag imports
// it for that registration alone.
package loopcmd

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	iteratecmd "github.com/spag-go/spag/command/iterate"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/reward"
	"github.com/spag-go/spag/taboo/tabooloop"
	"github.com/spag-go/spag/taboo/taboorun"
)

func init() {
	iteratecmd.Games.Register(iteratecmd.Game{Name: tabooloop.Game, Default: true, Usage: tabooloop.Game + " (SPAG's rounds)",
		Long: long, Flags: newFlags})
}

const long = `iterate runs SPAG's loop. Each round:
  1. the current policy plays itself on the training words (--words,
     default the built-in list's training side, builtin:train);
     --opponents draws each game's opponent from a population instead,
     e.g. self=0.5,past=0.3,ref=0.2 (the current policy, earlier rounds'
     policies, the initial model; builtin too), one run per opponent and
     learner role, and only the learning policy's turns become data;
  2. SPAG's reward rule turns the winners' turns into training data
     (--sft adds imitation samples to every round, as SPAG mixes them in);
     --objective zerosum uses zero-sum rewards with per-role running-mean
     baselines instead (--credit, --baseline-decay; docs/objectives.md);
  3. the trainer (--trainer native, or exec:CMD: see docs/trainer.md)
     trains the policy with the SPAG objective (or zerosum) against the
     frozen reference (--ref, default --init: the imitation model);
  4. the arena measures the new policy against the reference and each
     --opponent in both roles on the held-out words (--eval-words, default
     builtin:heldout; no word may be in both lists), with 95% intervals;
  5. the plots of every round so far go to --out (win rates with interval
     bars, training curves), as SVG and PNG.
--init defaults to the shipped model (` + defaultmodel.Name + `), copied to --out.
Every round's stage, runs, checkpoint and results are recorded in --db, so
--resume continues a killed loop at the stage it was in, without replaying
a finished game; a killed training resumes from its checkpoint, saved every
minute. The first Ctrl-C finishes the
games or the training step in flight and prints the resume command (exit
130). spag report writes the loop's page.`

// flags are the Taboo loop's own flags: cfg, and what is read into it
// when a loop starts.
type flags struct {
	cfg       tabooloop.Config
	objective string
	zeroSum   tabooloop.ZeroSumRule
	opponents string
	maxTurns  int
	judgeName string
}

func newFlags(fl *pflag.FlagSet) iteratecmd.Loops {
	f := &flags{}
	f.cfg.Train = train.DefaultConfig(train.ObjectiveSPAG)
	fl.IntVar(&f.cfg.Games, "games", 1000, "self-play games per round")
	fl.IntVar(&f.cfg.EvalGames, "eval-games", 200, "games per arena pairing (three pairings per opponent)")
	fl.StringVar(&f.cfg.Init, "init", "", "the initial policy, a native checkpoint (default: the shipped model)")
	fl.StringVar(&f.cfg.Ref, "ref", "", "the frozen reference of every round's training (default: --init)")
	fl.StringVar(&f.cfg.SFT, "sft", "", "SPAG training JSON whose imitation samples are mixed into every round's data")
	fl.StringVar(&f.cfg.TrainWords, "words", taboo.WordsTrain, "word source of self-play: builtin:train, or a file with one word per line")
	fl.StringVar(&f.cfg.EvalWords, "eval-words", taboo.WordsHeldOut, "word source of the arena, sharing no word with --words: builtin:heldout, or a file")
	fl.StringArrayVar(&f.cfg.Opponents, "opponent", []string{"builtin"}, "fixed opponent of the evaluation besides the reference, repeatable")
	fl.StringVar(&f.cfg.Trainer, "trainer", "native", "native (in process) or exec:CMD (an external trainer; docs/trainer.md)")
	fl.IntVar(&f.cfg.Train.Steps, "steps", 0, "training steps per round (or --epochs)")
	fl.Float64Var(&f.cfg.Epochs, "epochs", 0, "passes over each round's data (or --steps)")
	fl.Float64Var(&f.cfg.Train.LR, "lr", f.cfg.Train.LR, "peak learning rate")
	fl.IntVar(&f.cfg.Train.BatchSize, "batch-size", f.cfg.Train.BatchSize, "samples per optimizer step")
	fl.Float64Var(&f.cfg.Train.SPAG.Beta, "beta", f.cfg.Train.SPAG.Beta, "KL coefficient against the reference (zerosum: 0.1 unless given)")
	fl.Float64Var(&f.cfg.Train.SPAG.Eps, "clip-range", f.cfg.Train.SPAG.Eps, "ratio clip range eps of SPAG's objective")
	fl.Float64Var(&f.cfg.Train.SPAG.Alpha, "sft-coeff", f.cfg.Train.SPAG.Alpha, "weight of the imitation term of the --sft samples")
	fl.Float64Var(&f.cfg.Decay, "decay", reward.DefaultDecay, "SPAG's reward decay")
	fl.Float64Var(&f.cfg.LoserReward, "loser-reward", 0, "reward (negative) of each loser's decisive move, also trained on; 0: SPAG's rule, winners only")
	fl.StringVar(&f.objective, "objective", train.ObjectiveSPAG, "training objective: spag (SPAG's rule and objective) or zerosum (zero-sum rewards, role baselines, KL penalty)")
	fl.StringVar(&f.zeroSum.Credit, "credit", reward.CreditAll, "zerosum: turns that get the advantage, all (every turn of the role) or decisive")
	fl.Float64Var(&f.zeroSum.BaselineDecay, "baseline-decay", reward.DefaultBaselineDecay, "zerosum: decay alpha of the per-role running mean, from round to round")
	fl.StringVar(&f.zeroSum.BaselinePer, "baseline-per", reward.BaselinePerRole, "zerosum: the baseline is the running mean return per role, or per turn (per role and turn of the role, the round's mean)")
	fl.StringVar(&f.opponents, "opponents", "", "self-play's population, NAME=WEIGHT,... of self, past, ref, builtin (default: self-play only)")
	fl.IntVar(&f.maxTurns, "max-turns", 5, "attacker+defender turn pairs before a tie")
	fl.StringVar(&f.judgeName, "judge", "strict", "judge: strict or spag")
	return f
}

// running is a Taboo loop taken up by spag iterate.
type running struct{ *tabooloop.Loop }

func (r running) ID() string     { return r.Loop.ID }
func (r running) Final() []error { return []error{tabooloop.ErrNothingToTrain} }

func (r running) Summary(ctx context.Context, db string) (*iteratecmd.Summary, error) {
	results, _, err := r.History(ctx)
	if err != nil {
		return nil, err
	}
	return &iteratecmd.Summary{Results: results,
		Done: fmt.Sprintf("loop %s done; plots in %s; page: spag report --db %s --loop %s", r.Loop.ID, r.Config.Out, db, r.Loop.ID)}, nil
}

// env is the loop's environment: its trainer, and the plans of its runs,
// played with the settings base (the flags' for a new loop, the recorded
// ones once a resumed loop has read them) by the players of *l, the loop
// once it is taken up. The caller sets the judge.
func (f *flags) env(ctx context.Context, le loop.Env, base *taboorun.Config, l **tabooloop.Loop) (*tabooloop.Env, error) {
	t, err := trainer.Open(f.cfg.Trainer)
	if err != nil {
		return nil, cmdutil.Usagef("--trainer: %v", err)
	}
	le.Trainer = t
	env := &tabooloop.Env{Env: le}
	env.Plan = func(attacker, defender, words string, games int, seed uint64, run *episodes.Run) (*selfplay.Plan, error) {
		cfg := *base
		cfg.Attacker, cfg.Defender, cfg.Words, cfg.Games, cfg.Seed = attacker, defender, words, games, seed
		if run != nil {
			if err := selfplay.StoredConfig(run, &cfg); err != nil {
				return nil, err
			}
		} else if err := cfg.ShareOptions(append([]string{attacker, defender, (*l).Config.InitSpec}, (*l).Config.Opponents...)); err != nil {
			// --option goes to the runs whose players take it: the
			// built-in opponent's baseline run takes no temperature.
			return nil, cmdutil.CLIError(err)
		}
		list, err := taboo.Words(cfg.Words)
		if err != nil {
			return nil, err
		}
		plan, err := cfg.Plan(ctx, list, run)
		return plan, cmdutil.CLIError(err)
	}
	return env, nil
}

// base is the game settings of every run of a new loop.
func (f *flags) base(opts *iteratecmd.Options) *taboorun.Config {
	return &taboorun.Config{MaxTurns: f.maxTurns, Judge: f.judgeName, Style: taboo.StyleCompact, Options: opts.Options}
}

// Resume takes up the recorded loop rec with its recorded settings and
// trainer, unless --trainer names another.
func (f *flags) Resume(ctx context.Context, opts *iteratecmd.Options, le loop.Env, rec *episodes.Loop) (iteratecmd.Loop, error) {
	if !opts.Changed("trainer") {
		var stored struct {
			Trainer string `json:"trainer"`
		}
		if json.Unmarshal(rec.Config, &stored) == nil && stored.Trainer != "" {
			f.cfg.Trainer = stored.Trainer
		}
	}
	base := f.base(opts)
	var l *tabooloop.Loop
	env, err := f.env(ctx, le, base, &l)
	if err != nil {
		return nil, err
	}
	if l, err = tabooloop.Resume(ctx, env, rec); err != nil {
		return nil, err
	}
	// Loops recorded before the settings were stored play with the
	// defaults, as they did then.
	if len(l.Config.Play) > 0 {
		if err := json.Unmarshal(l.Config.Play, base); err != nil {
			l.Close()
			return nil, fmt.Errorf("loop %s: its stored play settings: %w", l.ID, err)
		}
	}
	if env.Judge, err = judge.ByName(base.Judge); err != nil {
		l.Close()
		return nil, fmt.Errorf("loop %s: its stored judge: %w", l.ID, err)
	}
	return f.begun(opts, base, l), nil
}

// Start checks everything the loop will need before anything is created
// or recorded: a bad value found rounds later would be stored with the
// loop, where no resume could mend it.
func (f *flags) Start(ctx context.Context, opts *iteratecmd.Options, le loop.Env) (iteratecmd.Loop, error) {
	base := f.base(opts)
	var l *tabooloop.Loop
	env, err := f.env(ctx, le, base, &l)
	if err != nil {
		return nil, err
	}
	f.cfg.Rounds, f.cfg.Out, f.cfg.Seed = opts.Rounds, opts.Out, opts.Seed
	if f.cfg.Out == "" {
		return nil, cmdutil.Usagef("iterate: --out DIR is required (the loop's data, checkpoints and plots go there)")
	}
	if f.maxTurns < 1 {
		return nil, cmdutil.Usagef("--max-turns must be at least 1 (got %d)", f.maxTurns)
	}
	if err := f.objectiveFlags(opts.Changed); err != nil {
		return nil, err
	}
	if err := f.cfg.Check(); err != nil {
		return nil, cmdutil.CheckError("iterate", err)
	}
	for _, w := range []struct {
		flag   string
		source *string
	}{{"words", &f.cfg.TrainWords}, {"eval-words", &f.cfg.EvalWords}} {
		if *w.source, err = taboo.WordSource(*w.source); err != nil {
			return nil, cmdutil.Usagef("--%s: %v", w.flag, err)
		}
	}
	if err := f.cfg.CheckWords(taboo.Words); err != nil {
		return nil, cmdutil.CLIError(err)
	}
	for _, spec := range f.cfg.Opponents {
		if _, err := players.ResolveFlag("opponent", spec); err != nil {
			return nil, cmdutil.UsageError{Err: err}
		}
	}
	if env.Judge, err = judge.ByName(base.Judge); err != nil {
		return nil, cmdutil.Usagef("--judge: %v", err)
	}
	// The policy, the reference and --init play natively.
	if err := base.CheckOptions(append([]string{"native"}, f.cfg.Opponents...)); err != nil {
		return nil, cmdutil.CLIError(err)
	}
	if err := f.cfg.Prepare(); err != nil {
		return nil, cmdutil.CLIError(err)
	}
	if f.cfg.Play, err = json.Marshal(base); err != nil {
		return nil, err
	}
	if l, err = tabooloop.Start(ctx, env, f.cfg); err != nil {
		return nil, err
	}
	return f.begun(opts, base, l), nil
}

// begun logs the loop's start; its new runs record the code version.
func (f *flags) begun(opts *iteratecmd.Options, base *taboorun.Config, l *tabooloop.Loop) iteratecmd.Loop {
	base.CodeVersion = opts.CodeVersion
	fmt.Fprintf(opts.IO.ErrOut, "loop %s: %d rounds into %s (database %s)\n", l.ID, l.Config.Rounds, l.Config.Out, opts.DB)
	return running{l}
}

// objectiveFlags reads --objective, the zero-sum rule's flags and
// --opponents into the loop's configuration.
func (f *flags) objectiveFlags(changed func(string) bool) error {
	switch f.objective {
	case train.ObjectiveSPAG:
		for _, name := range []string{"credit", "baseline-decay", "baseline-per"} {
			if changed(name) {
				return cmdutil.Usagef("--%s applies to --objective zerosum only", name)
			}
		}
	case train.ObjectiveZeroSum:
		for _, name := range []string{"decay", "loser-reward"} {
			if changed(name) {
				return cmdutil.Usagef("--%s is a setting of SPAG's rule, not of --objective zerosum", name)
			}
		}
		if err := reward.CheckZeroSum(f.zeroSum.Credit, f.zeroSum.BaselineDecay); err != nil {
			return cmdutil.Usagef("--objective zerosum: %v (--credit, --baseline-decay)", err)
		}
		if err := reward.CheckBaselinePer(f.zeroSum.BaselinePer); err != nil {
			return cmdutil.Usagef("--baseline-per: %v", err)
		}
		f.cfg.Train.Objective = train.ObjectiveZeroSum
		f.cfg.Train.ZeroSum = cmdutil.ZeroSumParams(changed, f.cfg.Train.SPAG, f.cfg.Train.SPAG.Beta)
		rule := f.zeroSum
		f.cfg.ZeroSum = &rule
	default:
		return cmdutil.Usagef("--objective %q: a loop trains with spag or zerosum", f.objective)
	}
	if f.opponents != "" {
		m, err := tabooloop.ParseMixture(f.opponents)
		if err != nil {
			return cmdutil.Usagef("--opponents: %v", err)
		}
		f.cfg.Population = m
	}
	return nil
}
