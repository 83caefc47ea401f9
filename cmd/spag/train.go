package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/objective"
	"github.com/spag-go/spag/rl/train"
)

// newTrainCmd is `spag train`: train the native model on SPAG training data.
func newTrainCmd(sig *interrupts) *cobra.Command {
	var (
		objectiveName, data, initPath, refPath, out, metricsPath, db string
		steps, saveEvery, logEvery, stopAfter                        int
		epochs                                                       float64
		restart                                                      bool
		cfg                                                          = train.DefaultConfig("")
		beta                                                         float64
		apoParams                                                    = objective.DefaultAPO()
	)
	apoParams.Samples = 0 // from the data unless set
	cmd := &cobra.Command{
		Use:   "train --objective sft|spag|var|apo --data FILE --init CKPT --steps N|--epochs E --out CKPT",
		Short: "Train the native model on SPAG training data (exported by 'spag rewards')",
		Long: `train optimises the checkpoint given by --init with one of the objectives:
  sft   imitation with a KL penalty to the reference (--beta, default 0.1)
  spag  SPAG's offline policy objective (--beta 0.2, --clip-range 0.2, --sft-coeff 0.5);
        samples whose type is "sft" form the imitation term
  var   reward-weighted SFT, weights softmax(ref score + reward/lambda) per query
  apo   APO's reward-model loss on the items of 'spag apo items' (one JSON
        object a line: query, responses, prefs, adversarial): the model's
        mean log-likelihood of a response after "Question: ...\nAnswer:" is
        its score, and every preferred-over-other pair adds
        -log sigmoid(s_j - s_k) (--apo-gamma for preference items,
        --apo-mu/--apo-samples for adversarial ones, m by default the
        largest number of samples of an item); --batch-size counts items
The reference model (--ref, default: the --init weights) stays frozen.
When --init is a checkpoint written by an earlier 'spag train', the run resumes
it (same flags and data required) unless --restart is given. Checkpoints are
written atomically. The first Ctrl-C (or SIGTERM) finishes the step in
flight, saves the checkpoint and exits with code 130; the second stops at
once, still saving the last finished step. --stop-after N ends the run after
step N the same way (exit 0), so that a long run can be done in parts: the
same command with --init set to the saved checkpoint continues it. Metrics go to stderr, to the SQLite database (--db, as a
training record with one row per step; --db "" turns that off) and, with
--metrics, to a JSONL file.`,
		Example: `  spag rewards --db spag.db --out train.json
  spag model init --preset tiny --seed 1 --corpus train.json --out tiny.ckpt
  spag train --objective sft --data train.json --init tiny.ckpt --steps 200 --out tiny-sft.ckpt --metrics sft.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case objectiveName != train.ObjectiveSFT && objectiveName != train.ObjectiveSPAG && objectiveName != train.ObjectiveVAR && objectiveName != train.ObjectiveAPO:
				return usagef("train: --objective %q: choose sft, spag, var or apo", objectiveName)
			case data == "" || initPath == "" || out == "":
				return usagef("train: --data, --init and --out are required")
			case (steps > 0) == (epochs > 0):
				return usagef("train: give exactly one of --steps N and --epochs E (both positive)")
			}
			cfg.Objective = objectiveName
			if cmd.Flags().Changed("beta") {
				cfg.SFTBeta, cfg.SPAG.Beta = beta, beta
			}

			examples, units, err := readTrainingData(data, objectiveName)
			if err != nil {
				return err
			}
			if objectiveName == train.ObjectiveAPO {
				if apoParams.Samples == 0 {
					apoParams.Samples = samplesPerQuery(examples)
				}
				cfg.APO = &apoParams
			} else {
				for _, name := range []string{"apo-gamma", "apo-mu", "apo-samples"} {
					if cmd.Flags().Changed(name) {
						return usagef("train: --%s applies to --objective apo only", name)
					}
				}
			}
			cfg.Steps = steps
			if epochs > 0 {
				cfg.Steps = train.StepsForEpochs(epochs, units, cfg.BatchSize)
			}

			init, err := checkpoint.Load(initPath)
			if err != nil {
				return err
			}
			if restart {
				init.Optimizer, init.Train = nil, nil
			}
			var ref *model.Params
			if refPath != "" {
				rc, err := checkpoint.Load(refPath)
				if err != nil {
					return err
				}
				ref = rc.Params
			} else if init.Train != nil && init.Optimizer != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "spag train: resuming without --ref: the reference is the resumed weights, not the original ones")
			}
			tr, err := train.New(cmd.Context(), cfg, init, ref, examples)
			if err != nil {
				return fmt.Errorf("train: %w", err)
			}
			defer tr.Close()

			console := train.NewConsole(cmd.ErrOrStderr(), logEvery)
			console.Last = tr.Total()
			sinks := []train.MetricsSink{console}
			if metricsPath != "" {
				mf, err := os.OpenFile(metricsPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
				if err != nil {
					return fmt.Errorf("train: --metrics: %w", err)
				}
				defer mf.Close()
				sinks = append(sinks, train.NewJSONL(mf))
			}
			if db != "" {
				store, err := episodes.Open(cmd.Context(), db, episodes.Options{})
				if err != nil {
					return fmt.Errorf("train: --db: %w", err)
				}
				defer store.Close()
				code, _ := codeVersion()
				config, err := json.Marshal(map[string]any{"data": data, "init": initPath, "ref": refPath, "out": out, "train": cfg})
				if err != nil {
					return err
				}
				rec := &episodes.Training{Objective: cfg.Objective, Config: config, CodeVersion: code}
				if err := store.CreateTraining(cmd.Context(), rec); err != nil {
					return err
				}
				sinks = append(sinks, storeMetrics{store: store, training: rec.ID})
				fmt.Fprintf(cmd.ErrOrStderr(), "spag train: metrics recorded as training %s in %s\n", rec.ID, db)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "spag train: %d samples, objective %s, steps %d..%d of %d\n", len(examples), cfg.Objective, tr.Step()+1, tr.Total(), tr.Total())
			save := func(c *checkpoint.Checkpoint) error { return checkpoint.Save(out, c) }
			last := tr.Total()
			if stopAfter > 0 {
				last = stopAfter
			}
			runErr := tr.RunUntil(cmd.Context(), last, sig.Drain(), sinks, saveEvery, save)
			if c, err := tr.Checkpoint(); err == nil && tr.Step() > 0 {
				if err := save(c); err != nil {
					return err
				}
			}
			if runErr != nil {
				if errors.Is(runErr, context.Canceled) && sig.count() > 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "spag train: interrupted; state after step %d saved to %s\n", tr.Step(), out)
					return errInterrupted
				}
				return fmt.Errorf("train (state at step %d saved to %s): %w", tr.Step(), out, runErr)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s after step %d of %d\n", out, tr.Step(), tr.Total())
			if tr.Step() < tr.Total() {
				fmt.Fprintf(cmd.ErrOrStderr(), "spag train: continue with the same flags and --init %s\n", out)
			}
			if sig.count() > 0 {
				return errInterrupted
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&objectiveName, "objective", "", "training objective: sft, spag, var or apo")
	f.StringVar(&data, "data", "", "SPAG training JSON (from 'spag rewards' or 'spag apo rewards'); for apo, the items of 'spag apo items'")
	f.StringVar(&initPath, "init", "", "checkpoint to start from (or resume)")
	f.StringVar(&refPath, "ref", "", "frozen reference checkpoint (default: the --init weights)")
	f.StringVar(&out, "out", "", "checkpoint to write")
	f.StringVar(&metricsPath, "metrics", "", "append per-step metrics to this JSONL file")
	f.StringVar(&db, "db", "spag.db", `SQLite database that records the training and its per-step metrics ("" for none)`)
	f.IntVar(&steps, "steps", 0, "optimizer steps")
	f.Float64Var(&epochs, "epochs", 0, "passes over the data (instead of --steps)")
	f.IntVar(&stopAfter, "stop-after", 0, "end this run after step N, saving the checkpoint (0: run to the last step)")
	f.IntVar(&saveEvery, "save-every", 0, "also checkpoint every N steps (0: only at the end)")
	f.IntVar(&logEvery, "log-every", 10, "print metrics every N steps")
	f.BoolVar(&restart, "restart", false, "start a new run from --init's weights, ignoring its optimizer state")
	f.Float64Var(&cfg.LR, "lr", cfg.LR, "peak learning rate")
	f.Float64Var(&cfg.MinLR, "min-lr", cfg.MinLR, "final learning rate of the cosine schedule")
	f.Float64Var(&cfg.WarmupFrac, "warmup", cfg.WarmupFrac, "fraction of steps for linear warm-up")
	f.Float64Var(&cfg.WeightDecay, "weight-decay", cfg.WeightDecay, "decoupled weight decay (matrices only)")
	f.Float64Var(&cfg.ClipNorm, "clip-norm", cfg.ClipNorm, "global gradient-norm clip (0: off)")
	f.IntVar(&cfg.BatchSize, "batch-size", cfg.BatchSize, "samples per optimizer step")
	f.IntVar(&cfg.MicroBatch, "micro-batch", cfg.MicroBatch, "samples per forward/backward pass (gradient accumulation)")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the data order")
	f.Float64Var(&beta, "beta", 0, "KL coefficient (default 0.1 for sft, 0.2 for spag)")
	f.Float64Var(&cfg.SPAG.Eps, "clip-range", cfg.SPAG.Eps, "spag: ratio clip range eps")
	f.Float64Var(&cfg.SPAG.Alpha, "sft-coeff", cfg.SPAG.Alpha, "spag: weight of the imitation term")
	f.Float64Var(&cfg.VARLambda, "var-lambda", cfg.VARLambda, "var: reward temperature lambda")
	f.Float64Var(&apoParams.Gamma, "apo-gamma", apoParams.Gamma, "apo: weight of preference items (rm_kl_coeff)")
	f.Float64Var(&apoParams.Mu, "apo-mu", apoParams.Mu, "apo: weight of adversarial gold-versus-samples items (apo_loss_coeff)")
	f.IntVar(&apoParams.Samples, "apo-samples", 0, "apo: samples per query m; adversarial items are weighted mu/m (default: the most samples an adversarial item of the data has)")
	return cmd
}

// readTrainingData reads --data for an objective: SPAG training JSON, or
// reward-model items for apo. units is what --epochs counts: samples, or
// items.
func readTrainingData(path, objectiveName string) (examples []train.Example, units int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("train: %w", err)
	}
	defer f.Close()
	if objectiveName == train.ObjectiveAPO {
		return readRMItems(f, path)
	}
	samples, err := rl.ReadSPAGTraining(f, path)
	if err != nil {
		return nil, 0, err
	}
	for _, s := range samples {
		examples = append(examples, train.Example{Query: s.Query, Target: s.Target, Reward: s.Reward, Weight: s.Weight, SFT: s.Type == rl.TypeSFT})
	}
	if len(examples) == 0 {
		return nil, 0, fmt.Errorf("train: %s holds no samples", path)
	}
	return examples, len(examples), nil
}

// samplesPerQuery is APO's m for reward-model data: the most generated
// samples (responses besides the gold one) of an adversarial item, 1 when
// there is none.
func samplesPerQuery(examples []train.Example) int {
	per := map[int]int{}
	m := 1
	for _, e := range examples {
		if e.Adversarial {
			per[e.Item]++
			m = max(m, per[e.Item]-1)
		}
	}
	return m
}

// rmItemLine is one line of reward-model items, as 'spag apo items' writes
// them (the ratings it adds are not needed here).
type rmItemLine struct {
	Query       string    `json:"query"`
	Responses   []string  `json:"responses"`
	Prefs       []float64 `json:"prefs"`
	Adversarial bool      `json:"adversarial"`
}

func readRMItems(r io.Reader, name string) (examples []train.Example, items int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var it rmItemLine
		if err := json.Unmarshal([]byte(line), &it); err != nil {
			return nil, 0, fmt.Errorf("train: %s:%d: %v (want the items of 'spag apo items', one JSON object a line)", name, n, err)
		}
		switch {
		case strings.TrimSpace(it.Query) == "":
			return nil, 0, fmt.Errorf(`train: %s:%d: empty "query"`, name, n)
		case len(it.Responses) < 2 || len(it.Prefs) != len(it.Responses):
			return nil, 0, fmt.Errorf(`train: %s:%d: want at least two "responses" and one "prefs" entry each (got %d and %d)`, name, n, len(it.Responses), len(it.Prefs))
		}
		for k, y := range it.Responses {
			if math.IsNaN(it.Prefs[k]) || math.IsInf(it.Prefs[k], 0) {
				return nil, 0, fmt.Errorf("train: %s:%d: preference %d is not a finite number", name, n, k+1)
			}
			examples = append(examples, train.Example{Query: apo.ScoringText(it.Query), Target: y, Weight: 1,
				Item: items, Pref: it.Prefs[k], Adversarial: it.Adversarial})
		}
		items++
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("train: %s: %w", name, err)
	}
	if items == 0 {
		return nil, 0, fmt.Errorf("train: %s holds no items", name)
	}
	return examples, items, nil
}

// storeMetrics records training metrics in the SQLite store.
type storeMetrics struct {
	store    *episodes.Store
	training string
}

func (s storeMetrics) WriteMetrics(ctx context.Context, m train.Metrics) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.store.WriteTrainingStep(ctx, s.training, m.Step, raw)
}
