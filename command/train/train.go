// Package traincmd is `spag train`: one training of the native model (or
// of an external trainer's, --trainer exec:CMD) on training data, from a
// checkpoint's weights or resuming an interrupted run, with the
// objective's settings, saving and logging as it goes.
package traincmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/internal/version"
	"github.com/spag-go/spag/rl/objective"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
)

// Options are every input of spag train.
type Options struct {
	IO         *cmdutil.IOStreams
	Interrupts cmdutil.Interrupts
	// Changed reports whether the user gave the flag called name; Given
	// are the flags given, in name order, and CommandPath the command's
	// (for the command line that continues the run).
	Changed     func(name string) bool
	Given       []Flag
	CommandPath string

	Objective, Data, Init, Resume, Ref, Trainer, Out, Metrics, DB, HeldOut string
	Steps, SaveEvery, LogEvery, StopAfter                                  int
	Epochs, Beta                                                           float64
	Restart                                                                bool
	// Config holds the training's settings (the objective's included),
	// APO the apo objective's.
	Config train.Config
	APO    objective.APOParams
}

// Flag is a flag given on the command line, with its value.
type Flag struct{ Name, Value string }

// NewCmdTrain returns the command. It only parses flags into [Options];
// runF does the work (nil: [Run]).
func NewCmdTrain(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Interrupts: f.Interrupts, Config: train.DefaultConfig(""), APO: objective.DefaultAPO()}
	opts.APO.Samples = 0 // from the data unless set
	cmd := &cobra.Command{
		Use:   "train --objective sft|spag|var|apo|zerosum --data FILE (--init CKPT | --resume CKPT) --steps N|--epochs E --out CKPT",
		Short: "Train the native model on SPAG training data (exported by 'spag rewards')",
		Long: `train optimises a model with one of the objectives:
  sft   imitation with a KL penalty to the reference (--beta, default 0.1)
  spag  SPAG's offline policy objective (--beta 0.2, --clip-range 0.2, --sft-coeff 0.5);
        samples whose type is "sft" form the imitation term
  var   reward-weighted SFT, weights softmax(ref score + reward/lambda) per query
  zerosum  the data's rewards are advantages ('spag rewards --zero-sum'):
        PPO's clipped ratio to the policy that played (the --init weights)
        and a separate k3 KL penalty to the reference (--beta 0.1,
        --clip-range 0.2, --sft-coeff 0.5); see docs/objectives.md
  apo   APO's reward-model loss on the items of 'spag apo items' (one JSON
        object a line: query, responses, prefs, adversarial): the model's
        mean log-likelihood of a response after "Question: ...\nAnswer:" is
        its score, and every preferred-over-other pair adds
        -log sigmoid(s_j - s_k) (--apo-gamma for preference items,
        --apo-mu/--apo-samples for adversarial ones, m by default the
        largest number of samples of an item); --batch-size counts items.
        --score scalar scores with a scalar head instead (a weight vector
        and a bias on the final-normed hidden state of the answer's last
        token, added to a checkpoint without one, seeded by --seed): the
        APO paper's kind of reward model, played by --reward-model
        scalar:CKPT. --heldout FILE (items as for --data) reports the
        preference accuracy and the calibration error (ECE, 10 bins) of
        sigmoid(s_j - s_k) on held-out items at the end of every epoch

--init CKPT starts a new run from the weights of any checkpoint (one of
'spag model init', or one that 'spag train' wrote): new optimizer state,
step 1, and the frozen reference model is --ref, by default the --init
weights. --resume CKPT continues an interrupted run from the checkpoint it
saved: optimizer state, step, data order, random state and the reference
the run started with (recorded in the checkpoint by path and weights
digest; a reference whose weights changed is refused, --ref names a moved
copy). A resumed run needs the same settings and data; the result is bit for
bit what one uninterrupted run gives. Checkpoints are written atomically.

The first Ctrl-C (or SIGTERM) finishes the step in flight, saves the
checkpoint and exits with code 130; the second stops at once, still saving
the last finished step. --stop-after N ends the run after step N the same
way (exit 0), so that a long run can be done in parts. Either way train
prints the exact command that continues the run (--resume). Metrics go to
stderr, to the SQLite database (--db, as a training record with one row per
step; --db "" turns that off) and, with --metrics, to a JSONL file.

--trainer exec:CMD hands the job to an external trainer (a GPU trainer such
as TRL) instead of training in process: CMD runs under sh with SPAG_*
environment variables naming the data (also as chat JSONL), the policies,
the objective and its parameters and where to write the new policy, and
writes a result file naming it; see docs/trainer.md.`,
		Example: `  spag rewards --db spag.db --out train.json
  spag model init --preset tiny --seed 1 --corpus train.json --out tiny.ckpt
  spag train --objective sft --data train.json --init tiny.ckpt --steps 200 --out tiny-sft.ckpt --metrics sft.jsonl
  spag train --objective spag --data train.json --init tiny-sft.ckpt --epochs 1 --out tiny-spag.ckpt --stop-after 2
  spag train --objective spag --data train.json --resume tiny-spag.ckpt --epochs 1 --out tiny-spag.ckpt`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Changed, opts.CommandPath, opts.Given = cmd.Flags().Changed, cmd.CommandPath(), nil
			cmd.Flags().Visit(func(f *pflag.Flag) { opts.Given = append(opts.Given, Flag{f.Name, f.Value.String()}) })
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	cfg, apoParams := &opts.Config, &opts.APO
	fl.StringVar(&opts.Objective, "objective", "", "training objective: "+train.Objectives)
	fl.StringVar(&opts.Data, "data", "", "SPAG training JSON (from 'spag rewards' or 'spag apo rewards'); for apo, the items of 'spag apo items'")
	fl.StringVar(&opts.Init, "init", "", "checkpoint whose weights a new run starts from")
	fl.StringVar(&opts.Resume, "resume", "", "checkpoint of an interrupted run to continue (same settings and data)")
	fl.StringVar(&opts.Ref, "ref", "", "frozen reference checkpoint (default: the --init weights; with --resume, the run's own)")
	fl.StringVar(&opts.Trainer, "trainer", "native", "native (in process) or exec:CMD (an external trainer, see docs/trainer.md)")
	fl.StringVar(&opts.Out, "out", "", "checkpoint to write")
	fl.StringVar(&opts.Metrics, "metrics", "", "append per-step metrics to this JSONL file")
	fl.StringVar(&opts.DB, "db", "spag.db", `SQLite database that records the training and its per-step metrics ("" for none)`)
	fl.IntVar(&opts.Steps, "steps", 0, "optimizer steps")
	fl.Float64Var(&opts.Epochs, "epochs", 0, "passes over the data (instead of --steps)")
	fl.IntVar(&opts.StopAfter, "stop-after", 0, "end this run after step N, saving the checkpoint (0: run to the last step)")
	fl.IntVar(&opts.SaveEvery, "save-every", 0, "also checkpoint every N steps (0: only at the end)")
	fl.IntVar(&opts.LogEvery, "log-every", 10, "print metrics every N steps")
	fl.BoolVar(&opts.Restart, "restart", false, "deprecated, no effect: --init always starts a new run")
	fl.MarkHidden("restart")
	fl.Float64Var(&cfg.LR, "lr", cfg.LR, "peak learning rate")
	fl.Float64Var(&cfg.MinLR, "min-lr", cfg.MinLR, "final learning rate of the cosine schedule")
	fl.Float64Var(&cfg.WarmupFrac, "warmup", cfg.WarmupFrac, "fraction of steps for linear warm-up")
	fl.Float64Var(&cfg.WeightDecay, "weight-decay", cfg.WeightDecay, "decoupled weight decay (matrices only)")
	fl.Float64Var(&cfg.ClipNorm, "clip-norm", cfg.ClipNorm, "global gradient-norm clip (0: off)")
	fl.IntVar(&cfg.BatchSize, "batch-size", cfg.BatchSize, "samples per optimizer step")
	fl.IntVar(&cfg.MicroBatch, "micro-batch", cfg.MicroBatch, "samples per forward/backward pass (gradient accumulation)")
	fl.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the data order")
	fl.Float64Var(&opts.Beta, "beta", 0, "KL coefficient (default 0.1 for sft and zerosum, 0.2 for spag)")
	fl.Float64Var(&cfg.SPAG.Eps, "clip-range", cfg.SPAG.Eps, "spag, zerosum: ratio clip range eps")
	fl.Float64Var(&cfg.SPAG.Alpha, "sft-coeff", cfg.SPAG.Alpha, "spag, zerosum: weight of the imitation term")
	fl.Float64Var(&cfg.VARLambda, "var-lambda", cfg.VARLambda, "var: reward temperature lambda")
	fl.Float64Var(&apoParams.Gamma, "apo-gamma", apoParams.Gamma, "apo: weight of preference items (rm_kl_coeff)")
	fl.Float64Var(&apoParams.Mu, "apo-mu", apoParams.Mu, "apo: weight of adversarial gold-versus-samples items (apo_loss_coeff)")
	fl.StringVar(&cfg.Score, "score", train.ScoreLikelihood, "apo: the reward model's score, likelihood (mean log-likelihood of the answer) or scalar (a scalar head on the last token)")
	fl.StringVar(&opts.HeldOut, "heldout", "", "apo: held-out items (as for --data) for the preference accuracy and ECE reported every epoch")
	fl.IntVar(&apoParams.Samples, "apo-samples", 0, "apo: samples per query m; adversarial items are weighted mu/m (default: the most samples an adversarial item of the data has)")
	return cmd
}

// Run checks the options, then trains, and says how the training ended:
// what it wrote and, when it stopped early, the command that continues
// it.
func Run(ctx context.Context, opts *Options) error {
	switch {
	case !train.IsObjective(opts.Objective):
		return cmdutil.Usagef("train: --objective %q: choose %s", opts.Objective, train.Objectives)
	case opts.Data == "" || opts.Out == "":
		return cmdutil.Usagef("train: --data and --out are required")
	case (opts.Init == "") == (opts.Resume == ""):
		return cmdutil.Usagef("train: give exactly one of --init CKPT (start a new run from its weights) and --resume CKPT (continue an interrupted run)")
	case opts.Restart && opts.Resume != "":
		return cmdutil.Usagef("train: --restart contradicts --resume; --init CKPT starts a new run from a checkpoint's weights")
	case (opts.Steps > 0) == (opts.Epochs > 0):
		return cmdutil.Usagef("train: give exactly one of --steps N and --epochs E (both positive)")
	case opts.Out == "-":
		return cmdutil.Usagef("train: --out -: checkpoints are saved during training and resumed from; name a file")
	case opts.Metrics == "-":
		return cmdutil.Usagef("train: --metrics -: name a file to append the JSON lines to; metrics also go to stderr every --log-every steps and to --db")
	}
	// Before any step: a checkpoint that cannot be saved loses the whole
	// run's work.
	if err := atomicfile.CheckWritable(opts.Out); err != nil {
		return fmt.Errorf("train: --out: %w", err) // exit 1: a failure, not a usage error
	}
	stdout, stderr := opts.IO.Out, opts.IO.ErrOut
	if opts.Restart {
		fmt.Fprintln(stderr, "spag train: --restart is deprecated and has no effect: --init always starts a new run from the checkpoint's weights (--resume continues one)")
	}
	cfg := opts.Config
	cfg.Objective = opts.Objective
	if opts.Changed("beta") {
		cfg.SFTBeta, cfg.SPAG.Beta = opts.Beta, opts.Beta
	}
	if opts.Objective == train.ObjectiveZeroSum {
		cfg.ZeroSum = cmdutil.ZeroSumParams(opts.Changed, cfg.SPAG, opts.Beta)
	}
	if opts.Objective == train.ObjectiveAPO {
		apo := opts.APO
		cfg.APO = &apo
	} else {
		for _, name := range []string{"apo-gamma", "apo-mu", "apo-samples", "score", "heldout"} {
			if opts.Changed(name) {
				return cmdutil.Usagef("train: --%s applies to --objective apo only", name)
			}
		}
	}
	tr, err := trainer.Open(opts.Trainer)
	if err != nil {
		return cmdutil.Usagef("--trainer: %v", err)
	}
	_, native := tr.(trainer.Native)
	if !native && (opts.StopAfter > 0 || opts.SaveEvery > 0 || cfg.Score == train.ScoreScalar || opts.HeldOut != "") {
		return cmdutil.Usagef("train: --stop-after, --save-every, --score scalar and --heldout apply to --trainer native only")
	}
	cfg.Steps = opts.Steps
	job := trainer.Job{Config: cfg, Epochs: opts.Epochs, Data: opts.Data, Out: opts.Out, StopAfter: opts.StopAfter, SaveEvery: opts.SaveEvery,
		Stop: opts.Interrupts.Drain(), Log: stderr, LogEvery: opts.LogEvery, MetricsFile: opts.Metrics, Resume: opts.Resume != "", HeldOut: opts.HeldOut}
	initFlag := "init"
	if opts.Resume != "" {
		initFlag = "resume"
	}
	if job.Init, err = policyFlag(initFlag, opts.Init+opts.Resume); err != nil {
		return err
	}
	if job.Ref, err = policyFlag("ref", opts.Ref); err != nil {
		return err
	}
	if opts.DB != "" {
		store, err := episodes.Open(ctx, opts.DB, episodes.Options{})
		if err != nil {
			return fmt.Errorf("train: --db: %w", err)
		}
		defer store.Close()
		job.Store, job.CodeVersion = store, version.Code()
	}
	release, err := trainer.HoldOutput(ctx, job.Store, opts.Out)
	if err != nil {
		return err
	}
	defer release()
	res, err := tr.Train(ctx, job)
	interrupted := err != nil && errors.Is(err, context.Canceled) && opts.Interrupts.Count() > 0
	switch {
	case interrupted && res.Policy.Checkpoint != "":
		fmt.Fprintf(stderr, "spag train: interrupted; state after step %d saved to %s\n", res.Step, opts.Out)
	case err != nil:
	case native:
		nativeEnding(stdout, stderr, res, opts.Out)
	default:
		fmt.Fprintf(stdout, "trained %s (log: %s)\n", res.Policy.Label(), res.Log)
	}
	if res.Policy.Checkpoint != "" && res.Step < res.Total {
		fmt.Fprintf(stderr, "spag train: continue with: %s\n", continueCommand(opts))
	}
	switch {
	case interrupted, err == nil && opts.Interrupts.Count() > 0:
		return cmdutil.ErrInterrupted
	}
	return err
}

// nativeEnding says what a native training that ended without an error
// wrote: its checkpoint, or, stopped before its first step (an early
// Ctrl-C), that it wrote nothing, which leaves nothing to continue.
func nativeEnding(stdout, stderr io.Writer, res trainer.Result, out string) {
	if res.Policy.Checkpoint == "" {
		fmt.Fprintf(stderr, "spag train: stopped before the first step; nothing was written to %s (run the same command again to start)\n", out)
		return
	}
	fmt.Fprintf(stdout, "wrote %s after step %d of %d\n", out, res.Step, res.Total)
}

// continueCommand is the command line that continues the run opts
// stopped: its flags, with --resume OUT instead of --init and without
// --stop-after.
func continueCommand(opts *Options) string {
	parts := []string{opts.CommandPath}
	for _, f := range opts.Given {
		switch f.Name {
		case "init", "resume", "stop-after", "restart":
			continue
		}
		parts = append(parts, "--"+f.Name, shellWord(f.Value))
	}
	return strings.Join(append(parts, "--resume", shellWord(opts.Out)), " ")
}

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// policyFlag reads --init, --resume or --ref (see trainer.ParsePolicyArg).
func policyFlag(name, v string) (trainer.Policy, error) {
	p, err := trainer.ParsePolicyArg(v)
	if err != nil {
		return p, cmdutil.Usagef("--%s: %v", name, err)
	}
	return p, nil
}
