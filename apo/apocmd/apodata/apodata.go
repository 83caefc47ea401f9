// Package apodata holds the subcommands of spag apo that turn APO runs
// and the definitions task into training data (items, rewards,
// preferences, gold) and measure them (yardstick, evaluate).
package apodata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/apo/aporun"
	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/trainer"
)

// Commands returns the subcommands, in the order spag apo lists them.
func Commands() []*cobra.Command {
	return []*cobra.Command{newItemsCmd(), newRewardsCmd(), newPreferencesCmd(), newGoldCmd(), newYardstickCmd(), newEvaluateCmd()}
}

func newItemsCmd() *cobra.Command {
	var db, runID, out string
	cmd := &cobra.Command{
		Use:   "items",
		Short: "Turn an APO run into reward-model training items (JSON Lines)",
		Long: `items reads the episodes of an APO run and writes one JSON object a line per
query: the gold response followed by the generator's samples ("responses"),
their preferences (1 for gold, 0 for samples, "prefs"), "adversarial": true,
and the ratings the reward model gave in each episode ("gold_ratings",
"sample_ratings", with the episode indices in "episodes"). This is the
gold-versus-samples data of APO's reward-model objective.

The answers are as the reward model saw them (cut to the run's
--max-response-bytes). Episodes whose ratings cannot be read (the reward
model's rule breaks) keep their sample, with null ratings: they are where
the reward model failed. Errored episodes are left out. The counts are
printed on stderr. Without --run it reads the latest APO run.`,
		Example: `  spag apo items --out items.jsonl
  spag apo items --db runs.db --run r20261126-151200-3fa9 | jq .sample_ratings`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeItems(cmd, db, runID, out)
		},
	}
	cmd.Flags().StringVar(&db, "db", "spag.db", "SQLite database")
	cmd.Flags().StringVar(&runID, "run", "", "APO run ID (default: the latest APO run)")
	cmd.Flags().StringVarP(&out, "out", "o", "-", "output file (- for stdout)")
	return cmd
}

// loadRun reads run runID (the latest APO run when empty) from db.
func loadRun(ctx context.Context, db, runID string) (*aporun.Stored, error) {
	if err := cmdutil.CheckDBExists(db); err != nil {
		return nil, err
	}
	store, err := episodes.Open(ctx, db, episodes.Options{})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	var run *episodes.Run
	if runID != "" {
		run, err = store.Run(ctx, runID)
		if errors.Is(err, episodes.ErrNotFound) {
			return nil, cmdutil.Usagef("--run %s: no such run in %s (%s)", runID, db, cmdutil.ListRunsHint(db))
		}
		if err != nil {
			return nil, err
		}
		if game.NameOf(run.Game) != apo.Description.Name {
			return nil, cmdutil.Usagef("--run %s is a Taboo run; spag rewards --db %s --run %s turns it into training data", runID, db, runID)
		}
	} else {
		run, err = aporun.Latest(ctx, store)
		if errors.Is(err, episodes.ErrNotFound) {
			return nil, cmdutil.Usagef("%s holds no APO run (play one with: spag apo --db %s)", db, db)
		}
		if err != nil {
			return nil, err
		}
	}
	return aporun.Read(ctx, store, run)
}

func writeItems(cmd *cobra.Command, db, runID, out string) error {
	sr, err := loadRun(cmd.Context(), db, runID)
	if err != nil {
		return err
	}
	trainingItems, unrated, err := sr.Game.TrainingItems(sr.Rated)
	if err != nil {
		return fmt.Errorf("run %s: %w", sr.Run.ID, err)
	}
	samples := 0
	err = cmdutil.WriteOut(out, cmd.OutOrStdout(), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, it := range trainingItems {
			samples += len(it.Episodes)
			if err := enc.Encode(it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "run %s: %d items (%d samples, %d of them with unreadable ratings, kept with null ratings); left out %d errored episodes\n",
		sr.Run.ID, len(trainingItems), samples, unrated, sr.Errored)
	return nil
}

func newRewardsCmd() *cobra.Command {
	var db, runID, out, format string
	var bestOf bool
	cmd := &cobra.Command{
		Use:   "rewards",
		Short: "Turn an APO run into reward-weighted samples for training the generator",
		Long: `rewards reads the episodes of an APO run and writes one training sample per
generated answer: the generator's prompt as the query, its answer as the
target, and as reward the reward model's rating of the answer minus its
rating of the gold answer in the same episode (so a sample the reward model
preferred to the gold answer has a positive reward; the gold rating acts as
a per-query baseline). Role is "generator", weight 1, and each sample
records the run and the rules (apo@1).

--format spag writes SPAG's training JSON, which spag train reads (--objective
spag or var); --format chat writes chat JSON Lines. Episodes whose ratings
cannot be read and empty answers give no sample; the counts are printed on
stderr. Without --run it reads the latest APO run.

--best-of is rejection sampling, APO's generator step: of the answers to
each query (spag apo --samples k), only the one with the highest reward is
kept, as a supervised item (type "sft") for spag train --objective sft.
Without it the samples suit reward-weighted training (--objective var).`,
		Example: `  spag apo rewards --out gen.json
  spag train --objective var --data gen.json --init model.ckpt --steps 100 --out model2.ckpt
  spag apo rewards --best-of --out best.json
  spag train --objective sft --data best.json --init model.ckpt --steps 100 --out model2.ckpt`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "spag" && format != "chat" {
				return cmdutil.Usagef("--format %q: want spag or chat", format)
			}
			return writeRewards(cmd, db, runID, out, format, bestOf)
		},
	}
	cmd.Flags().StringVar(&db, "db", "spag.db", "SQLite database")
	cmd.Flags().StringVar(&runID, "run", "", "APO run ID (default: the latest APO run)")
	cmd.Flags().StringVarP(&out, "out", "o", "-", "output file (- for stdout)")
	cmd.Flags().StringVar(&format, "format", "spag", "spag (SPAG training JSON) or chat (JSON Lines of messages)")
	cmd.Flags().BoolVar(&bestOf, "best-of", false, "rejection sampling: keep each query's best-rated answer, as a supervised item")
	return cmd
}

func writeRewards(cmd *cobra.Command, db, runID, out, format string, bestOf bool) error {
	sr, err := loadRun(cmd.Context(), db, runID)
	if err != nil {
		return err
	}
	samples, unreadable, empty, err := sr.GeneratorSamples()
	if err != nil {
		return err
	}
	rated := len(samples)
	if bestOf {
		samples = aporun.BestOfEach(samples)
	}
	err = cmdutil.WriteOut(out, cmd.OutOrStdout(), func(w io.Writer) error {
		if format == "chat" {
			return rl.WriteChatJSONL(w, samples)
		}
		return rl.WriteSPAGTraining(w, samples)
	})
	if err != nil {
		return err
	}
	chosen := ""
	if bestOf {
		chosen = fmt.Sprintf(", the best of each query's (%d rated answers)", rated)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "run %s: %d samples%s; left out %d episodes with unreadable ratings, %d empty answers and %d errored episodes\n",
		sr.Run.ID, len(samples), chosen, unreadable, empty, sr.Errored)
	return nil
}

func newPreferencesCmd() *cobra.Command {
	var prompts, out string
	var opt definitions.PreferenceOptions
	cmd := &cobra.Command{
		Use:   "preferences",
		Short: "Write preference items of the definitions task for training a reward model (JSON Lines)",
		Long: `preferences writes the definitions task's preference items, the analogue of
APO's human preference data: for each word, its WordNet gloss preferred over
the gloss of another word. Hard negatives are words under the nearest of the
word's WordNet hypernyms (the head adjective for adjectives) that has other
words under it; easy ones are drawn at random from the words that are no
relatives of it. Negatives come from the same side of the split as the word,
so training items never show a held-out gloss.

Each line is a reward-model item as spag apo items writes them and spag train
--objective apo reads them: "query", "responses" (the gold gloss, then the
other), "prefs" ([1, 0]) and "adversarial": false, with "word", "negative"
and "hard" added. The same --seed gives the same items; the counts are
printed on stderr.`,
		Example: `  spag apo preferences --out prefs.jsonl
  spag apo preferences --prompts definitions:heldout --hard 2 --easy 0 --seed 7 | jq -r .negative`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !definitions.IsSource(prompts) {
				return cmdutil.Usagef("--prompts %q: preference items need the definitions task (%s, %s or %s)", prompts, definitions.Source, definitions.SourceTrain, definitions.SourceHeldOut)
			}
			if opt.Hard < 0 || opt.Easy < 0 || opt.Hard+opt.Easy == 0 {
				return cmdutil.Usagef("--hard %d --easy %d: want counts of zero or more, at least one of them positive", opt.Hard, opt.Easy)
			}
			entries, err := definitions.Entries(prompts)
			if err != nil {
				return err
			}
			prefs, err := definitions.Preferences(entries, opt)
			if err != nil {
				return err
			}
			hard := 0
			err = cmdutil.WriteOut(out, cmd.OutOrStdout(), func(w io.Writer) error {
				enc := json.NewEncoder(w)
				for _, p := range prefs {
					if p.Hard {
						hard++
					}
					if err := enc.Encode(p); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d words, %d preference items (%d with a hard negative, %d with an easy one)\n",
				prompts, len(entries), len(prefs), hard, len(prefs)-hard)
			return nil
		},
	}
	cmd.Flags().StringVar(&prompts, "prompts", definitions.SourceTrain, "words: definitions, definitions:train or definitions:heldout")
	cmd.Flags().IntVar(&opt.Hard, "hard", 1, "hard negatives per word (fewer where the word has fewer relatives)")
	cmd.Flags().IntVar(&opt.Easy, "easy", 1, "easy negatives per word")
	cmd.Flags().Uint64Var(&opt.Seed, "seed", 1, "seed that draws the negatives")
	cmd.Flags().StringVarP(&out, "out", "o", "-", "output file (- for stdout)")
	return cmd
}

func newGoldCmd() *cobra.Command {
	var prompts, out, format string
	cmd := &cobra.Command{
		Use:   "gold",
		Short: "Write the gold answers as imitation data for a generator",
		Long: `gold writes one supervised item per query of --prompts: the generator's
prompt as the query and the gold answer as the target (type "sft", role
generator), as the generator of spag apo sees them. spag train --objective
sft on them teaches a native model the task by imitation, the starting
point of APO's generator; definitions:train keeps the held-out words' glosses
out of it.`,
		Example: `  spag apo gold --prompts definitions:train --out gold.json
  spag train --objective sft --data gold.json --init model.ckpt --epochs 2 --out generator.ckpt`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "spag" && format != "chat" {
				return cmdutil.Usagef("--format %q: want spag or chat", format)
			}
			items, err := apo.Items(prompts)
			if err != nil {
				return cmdutil.UsageError{Err: fmt.Errorf("--prompts: %w", err)}
			}
			g, err := apo.New(apo.Params{Items: items})
			if err != nil {
				return cmdutil.UsageError{Err: fmt.Errorf("--prompts: %w", err)}
			}
			samples, err := aporun.GoldSamples(g)
			if err != nil {
				return err
			}
			err = cmdutil.WriteOut(out, cmd.OutOrStdout(), func(w io.Writer) error {
				if format == "chat" {
					return rl.WriteChatJSONL(w, samples)
				}
				return rl.WriteSPAGTraining(w, samples)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d gold answers\n", prompts, len(samples))
			return nil
		},
	}
	cmd.Flags().StringVar(&prompts, "prompts", definitions.SourceTrain, `queries with gold responses: builtin, definitions, definitions:train, definitions:heldout, or a JSON Lines file`)
	cmd.Flags().StringVarP(&out, "out", "o", "-", "output file (- for stdout)")
	cmd.Flags().StringVar(&format, "format", "spag", "spag (SPAG training JSON) or chat (JSON Lines of messages)")
	return cmd
}

func newYardstickCmd() *cobra.Command {
	var db, runID string
	cmd := &cobra.Command{
		Use:   "yardstick",
		Short: "Measure a definitions run's answers with the fixed reverse dictionary",
		Long: `yardstick reads the generator's answers of an APO run played on the
definitions task (--prompts definitions, definitions:train or
definitions:heldout) and looks each one up in the task's fixed reverse
dictionary (TF-IDF over the WordNet glosses of all its words; it never
trains). It prints how often the asked word came first (top-1) and in the
first five (top-5), with 95% Wilson intervals. Without --run it reads the
latest APO run.`,
		Example: `  spag apo --prompts definitions:heldout --generator native:gen.ckpt --db defs.db
  spag apo yardstick --db defs.db`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sr, err := loadRun(cmd.Context(), db, runID)
			if err != nil {
				return err
			}
			entries, err := definitions.Builtin()
			if err != nil {
				return err
			}
			ix, err := definitions.ReverseDictionary(entries)
			if err != nil {
				return err
			}
			r, err := sr.Yardstick(ix)
			if err != nil {
				return cmdutil.UsageError{Err: err}
			}
			interval := func(k int) string {
				lo, hi := eval.Wilson(k, r.N, eval.Z95)
				return fmt.Sprintf("%.1f%% (%d/%d; 95%% interval %.1f%% - %.1f%%)", 100*float64(k)/float64(max(r.N, 1)), k, r.N, 100*lo, 100*hi)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "run %s: %d answers\ntop-1 %s\ntop-5 %s\n", sr.Run.ID, r.N, interval(r.Top1), interval(r.Top5))
			if sr.Errored > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "left out %d errored episodes\n", sr.Errored)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "spag.db", "SQLite database")
	cmd.Flags().StringVar(&runID, "run", "", "APO run ID (default: the latest APO run)")
	return cmd
}

func newEvaluateCmd() *cobra.Command {
	var rm string
	var items []string
	cmd := &cobra.Command{
		Use:   "evaluate",
		Short: "Measure a native reward model's preference accuracy and calibration on items",
		Long: `evaluate scores reward-model items (spag apo preferences, spag apo items)
with a native reward model, a checkpoint of spag train --objective apo (its
scalar head when it has one, else its likelihood score), and prints for each
--items file the number of ordered preference pairs, the fraction the model
ranks right and the expected calibration error of its Bradley–Terry
probabilities over 10 bins, as training reports them on --heldout items.
Held-out preference pairs and held-out gold-versus-generated items measure
the two sides of APO's reward model.`,
		Example: `  spag apo preferences --prompts definitions:heldout --out heldout-prefs.jsonl
  spag apo --prompts definitions:heldout --generator native:gen.ckpt --db defs.db && spag apo items --db defs.db --out heldout-generated.jsonl
  spag apo evaluate --reward-model rm.ckpt --items heldout-prefs.jsonl --items heldout-generated.jsonl`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if rm == "" || len(items) == 0 {
				return cmdutil.Usagef("give --reward-model CKPT and at least one --items FILE")
			}
			for _, path := range items {
				ev, err := trainer.EvaluateRewardModel(cmd.Context(), rm, path)
				if err != nil {
					return err
				}
				if ev == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: no preference pairs\n", path)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d pairs, accuracy %.4f, ECE %.4f\n", path, ev.Pairs, ev.PrefAccuracy, ev.ECE)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rm, "reward-model", "", "native reward-model checkpoint (spag train --objective apo)")
	cmd.Flags().StringArrayVar(&items, "items", nil, "reward-model items, JSON Lines (repeatable)")
	return cmd
}
