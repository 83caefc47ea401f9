package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/rl/objective"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
)

// newTrainCmd is `spag train`: train the native model on SPAG training data.
func newTrainCmd(sig *interrupts) *cobra.Command {
	var (
		objectiveName, data, initPath, resumePath, refPath, out, metricsPath, db, trainerSpec, heldOut string
		steps, saveEvery, logEvery, stopAfter                                                          int
		epochs                                                                                         float64
		restart                                                                                        bool
		cfg                                                                                            = train.DefaultConfig("")
		beta                                                                                           float64
		apoParams                                                                                      = objective.DefaultAPO()
	)
	apoParams.Samples = 0 // from the data unless set
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
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case !train.IsObjective(objectiveName):
				return usagef("train: --objective %q: choose %s", objectiveName, train.Objectives)
			case data == "" || out == "":
				return usagef("train: --data and --out are required")
			case (initPath == "") == (resumePath == ""):
				return usagef("train: give exactly one of --init CKPT (start a new run from its weights) and --resume CKPT (continue an interrupted run)")
			case restart && resumePath != "":
				return usagef("train: --restart contradicts --resume; --init CKPT starts a new run from a checkpoint's weights")
			case (steps > 0) == (epochs > 0):
				return usagef("train: give exactly one of --steps N and --epochs E (both positive)")
			case out == "-":
				return usagef("train: --out -: checkpoints are saved during training and resumed from; name a file")
			case metricsPath == "-":
				return usagef("train: --metrics -: name a file to append the JSON lines to; metrics also go to stderr every --log-every steps and to --db")
			}
			// Before any step: a checkpoint that cannot be saved loses the
			// whole run's work.
			if err := atomicfile.CheckWritable(out); err != nil {
				return fmt.Errorf("train: --out: %w", err) // exit 1: a failure, not a usage error
			}
			if restart {
				fmt.Fprintln(cmd.ErrOrStderr(), "spag train: --restart is deprecated and has no effect: --init always starts a new run from the checkpoint's weights (--resume continues one)")
			}
			cfg.Objective = objectiveName
			if cmd.Flags().Changed("beta") {
				cfg.SFTBeta, cfg.SPAG.Beta = beta, beta
			}
			if objectiveName == train.ObjectiveZeroSum {
				cfg.ZeroSum = zeroSumParams(cmd.Flags(), cfg.SPAG, beta)
			}
			if objectiveName == train.ObjectiveAPO {
				cfg.APO = &apoParams
			} else {
				for _, name := range []string{"apo-gamma", "apo-mu", "apo-samples", "score", "heldout"} {
					if cmd.Flags().Changed(name) {
						return usagef("train: --%s applies to --objective apo only", name)
					}
				}
			}
			tr, err := trainer.Open(trainerSpec)
			if err != nil {
				return usagef("--trainer: %v", err)
			}
			if _, native := tr.(trainer.Native); !native && (stopAfter > 0 || saveEvery > 0 || cfg.Score == train.ScoreScalar || heldOut != "") {
				return usagef("train: --stop-after, --save-every, --score scalar and --heldout apply to --trainer native only")
			}
			cfg.Steps = steps
			job := trainer.Job{Config: cfg, Epochs: epochs, Data: data, Out: out, StopAfter: stopAfter, SaveEvery: saveEvery,
				Stop: sig.Drain(), Log: cmd.ErrOrStderr(), LogEvery: logEvery, MetricsFile: metricsPath, Resume: resumePath != "", HeldOut: heldOut}
			initFlag := "init"
			if resumePath != "" {
				initFlag = "resume"
			}
			if job.Init, err = policyFlag(initFlag, initPath+resumePath); err != nil {
				return err
			}
			if job.Ref, err = policyFlag("ref", refPath); err != nil {
				return err
			}
			if db != "" {
				store, err := episodes.Open(cmd.Context(), db, episodes.Options{})
				if err != nil {
					return fmt.Errorf("train: --db: %w", err)
				}
				defer store.Close()
				job.Store = store
				job.CodeVersion, _ = codeVersion()
			}
			release, err := trainer.HoldOutput(cmd.Context(), job.Store, out)
			if err != nil {
				return err
			}
			defer release()
			res, err := tr.Train(cmd.Context(), job)
			interrupted := err != nil && errors.Is(err, context.Canceled) && sig.Count() > 0
			switch _, native := tr.(trainer.Native); {
			case interrupted && res.Policy.Checkpoint != "":
				fmt.Fprintf(cmd.ErrOrStderr(), "spag train: interrupted; state after step %d saved to %s\n", res.Step, out)
			case err != nil:
			case native:
				nativeEnding(cmd.OutOrStdout(), cmd.ErrOrStderr(), res, out)
			default:
				fmt.Fprintf(cmd.OutOrStdout(), "trained %s (log: %s)\n", res.Policy.Label(), res.Log)
			}
			if res.Policy.Checkpoint != "" && res.Step < res.Total {
				fmt.Fprintf(cmd.ErrOrStderr(), "spag train: continue with: %s\n", continueCommand(cmd, out))
			}
			switch {
			case interrupted:
				return errInterrupted
			case err != nil:
				return err
			case sig.Count() > 0:
				return errInterrupted
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&objectiveName, "objective", "", "training objective: "+train.Objectives)
	f.StringVar(&data, "data", "", "SPAG training JSON (from 'spag rewards' or 'spag apo rewards'); for apo, the items of 'spag apo items'")
	f.StringVar(&initPath, "init", "", "checkpoint whose weights a new run starts from")
	f.StringVar(&resumePath, "resume", "", "checkpoint of an interrupted run to continue (same settings and data)")
	f.StringVar(&refPath, "ref", "", "frozen reference checkpoint (default: the --init weights; with --resume, the run's own)")
	f.StringVar(&trainerSpec, "trainer", "native", "native (in process) or exec:CMD (an external trainer, see docs/trainer.md)")
	f.StringVar(&out, "out", "", "checkpoint to write")
	f.StringVar(&metricsPath, "metrics", "", "append per-step metrics to this JSONL file")
	f.StringVar(&db, "db", "spag.db", `SQLite database that records the training and its per-step metrics ("" for none)`)
	f.IntVar(&steps, "steps", 0, "optimizer steps")
	f.Float64Var(&epochs, "epochs", 0, "passes over the data (instead of --steps)")
	f.IntVar(&stopAfter, "stop-after", 0, "end this run after step N, saving the checkpoint (0: run to the last step)")
	f.IntVar(&saveEvery, "save-every", 0, "also checkpoint every N steps (0: only at the end)")
	f.IntVar(&logEvery, "log-every", 10, "print metrics every N steps")
	f.BoolVar(&restart, "restart", false, "deprecated, no effect: --init always starts a new run")
	f.MarkHidden("restart")
	f.Float64Var(&cfg.LR, "lr", cfg.LR, "peak learning rate")
	f.Float64Var(&cfg.MinLR, "min-lr", cfg.MinLR, "final learning rate of the cosine schedule")
	f.Float64Var(&cfg.WarmupFrac, "warmup", cfg.WarmupFrac, "fraction of steps for linear warm-up")
	f.Float64Var(&cfg.WeightDecay, "weight-decay", cfg.WeightDecay, "decoupled weight decay (matrices only)")
	f.Float64Var(&cfg.ClipNorm, "clip-norm", cfg.ClipNorm, "global gradient-norm clip (0: off)")
	f.IntVar(&cfg.BatchSize, "batch-size", cfg.BatchSize, "samples per optimizer step")
	f.IntVar(&cfg.MicroBatch, "micro-batch", cfg.MicroBatch, "samples per forward/backward pass (gradient accumulation)")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the data order")
	f.Float64Var(&beta, "beta", 0, "KL coefficient (default 0.1 for sft and zerosum, 0.2 for spag)")
	f.Float64Var(&cfg.SPAG.Eps, "clip-range", cfg.SPAG.Eps, "spag, zerosum: ratio clip range eps")
	f.Float64Var(&cfg.SPAG.Alpha, "sft-coeff", cfg.SPAG.Alpha, "spag, zerosum: weight of the imitation term")
	f.Float64Var(&cfg.VARLambda, "var-lambda", cfg.VARLambda, "var: reward temperature lambda")
	f.Float64Var(&apoParams.Gamma, "apo-gamma", apoParams.Gamma, "apo: weight of preference items (rm_kl_coeff)")
	f.Float64Var(&apoParams.Mu, "apo-mu", apoParams.Mu, "apo: weight of adversarial gold-versus-samples items (apo_loss_coeff)")
	f.StringVar(&cfg.Score, "score", train.ScoreLikelihood, "apo: the reward model's score, likelihood (mean log-likelihood of the answer) or scalar (a scalar head on the last token)")
	f.StringVar(&heldOut, "heldout", "", "apo: held-out items (as for --data) for the preference accuracy and ECE reported every epoch")
	f.IntVar(&apoParams.Samples, "apo-samples", 0, "apo: samples per query m; adversarial items are weighted mu/m (default: the most samples an adversarial item of the data has)")
	return cmd
}

// zeroSumParams are the zerosum objective's coefficients: its defaults,
// with the --beta, --clip-range and --sft-coeff that were given (read
// into the spag objective's fields, which the flags share).
func zeroSumParams(f *pflag.FlagSet, spag objective.SPAGParams, beta float64) *objective.ZeroSumParams {
	p := objective.DefaultZeroSum()
	if f.Changed("beta") {
		p.Beta = beta
	}
	if f.Changed("clip-range") {
		p.Eps = spag.Eps
	}
	if f.Changed("sft-coeff") {
		p.Alpha = spag.Alpha
	}
	return &p
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

// continueCommand is the command line that continues the run cmd stopped:
// its flags, with --resume OUT instead of --init and without --stop-after.
func continueCommand(cmd *cobra.Command, out string) string {
	parts := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "init", "resume", "stop-after", "restart":
			return
		}
		parts = append(parts, "--"+f.Name, shellWord(f.Value.String()))
	})
	return strings.Join(append(parts, "--resume", shellWord(out)), " ")
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
		return p, usagef("--%s: %v", name, err)
	}
	return p, nil
}
