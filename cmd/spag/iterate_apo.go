package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spag-go/spag/apo/apoloop"
	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
	"github.com/spag-go/spag/selfplay"
)

// apoIterateFlags are the flags of spag iterate --game apo.
type apoIterateFlags struct {
	cfg apoloop.Config
}

// tabooOnlyFlags and apoOnlyFlags are the iterate flags of one game, which
// the other refuses.
var (
	tabooOnlyFlags = []string{"games", "eval-games", "init", "ref", "sft", "words", "eval-words", "opponent", "steps", "epochs",
		"lr", "batch-size", "beta", "clip-range", "sft-coeff", "decay", "loser-reward", "max-turns", "judge", "trainer",
		"objective", "credit", "baseline-decay", "opponents"}
	apoOnlyFlags = []string{"generator", "reward-model", "prompts", "eval-prompts", "preferences", "heldout-preferences",
		"queries", "samples", "eval-queries", "rm-steps", "gen-steps", "rm-lr", "gen-lr", "rm-batch-size", "gen-batch-size", "apo-mu"}
)

func (a *apoIterateFlags) register(fl *pflag.FlagSet) {
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
}

// checkGameFlags refuses the flags of the other game.
func checkGameFlags(cmd *cobra.Command, game string) error {
	other, name := apoOnlyFlags, "taboo"
	if game == apoloop.Game {
		other, name = tabooOnlyFlags, apoloop.Game
	}
	var given []string
	for _, f := range other {
		if cmd.Flags().Changed(f) {
			given = append(given, "--"+f)
		}
	}
	if len(given) > 0 {
		return usagef("iterate --game %s: %s belong to the other game's loop", name, strings.Join(given, ", "))
	}
	return nil
}

// loopGame is the game of loop id ("" or "latest": the newest) in db, for
// --resume: "" for a Taboo loop recorded before loops recorded their game.
func loopGame(ctx context.Context, session *selfplay.Session, db, id string) (*episodes.Loop, string, error) {
	if _, err := os.Stat(db); err != nil {
		return nil, "", usagef("--resume %s: cannot open --db %s: %v", id, db, err)
	}
	store, err := session.Store(ctx)
	if err != nil {
		return nil, "", err
	}
	var rec *episodes.Loop
	if id == "latest" {
		rec, err = store.LatestLoop(ctx)
	} else {
		rec, err = store.Loop(ctx, id)
	}
	if errors.Is(err, episodes.ErrNotFound) {
		return nil, "", usagef("--resume %s: no such loop in %s", id, db)
	}
	if err != nil {
		return nil, "", err
	}
	return rec, loop.GameOf(rec.Config), nil
}

// runAPOIterate runs (or, with rec, resumes) an APO loop.
func runAPOIterate(cmd *cobra.Command, sig *interrupts, f iterateFlags, session *selfplay.Session, rec *episodes.Loop) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	code, _ := codeVersion()
	env := &apoloop.Env{Session: session, Trainer: trainer.Native{}, Log: stderr, CodeVersion: code, Stop: sig.Drain(),
		Options: selfplay.Options{Concurrency: f.concurrency, TurnTimeout: f.turnTimeout, Drain: sig.Drain(),
			Progress: stderr, Terminal: isTerminal(stderr)}}
	var loop *apoloop.Loop
	var err error
	if rec != nil {
		if loop, err = apoloop.Resume(ctx, env, rec); err != nil {
			return err
		}
	} else {
		cfg := f.apo.cfg
		cfg.Rounds, cfg.Out, cfg.Seed, cfg.Options = f.cfg.Rounds, f.cfg.Out, f.seed, f.options
		switch {
		case cfg.Out == "":
			return usagef("iterate: --out DIR is required (the loop's data, checkpoints and plots go there)")
		case cfg.Generator == "" || cfg.RewardModel == "" || cfg.Preferences == "":
			return usagef("iterate --game apo: give --generator CKPT, --reward-model CKPT and --preferences FILE")
		}
		if err := cfg.Check(); err != nil {
			return loopUsage(err)
		}
		if err := cfg.Prepare(); err != nil {
			return cliError(err)
		}
		if loop, err = apoloop.Start(ctx, env, cfg); err != nil {
			return err
		}
	}
	defer loop.Close()
	fmt.Fprintf(stderr, "loop %s (APO): %d rounds into %s (database %s)\n", loop.ID, loop.Config.Rounds, loop.Config.Out, f.db)
	if err := loopEnded(stderr, sig, f.db, loop.ID, loop.Run(ctx)); err != nil {
		return err
	}
	results, err := loop.Results(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "loop %s done; plots in %s\n", loop.ID, loop.Config.Out)
	if f.jsonOut {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"loop": loop.ID, "game": apoloop.Game, "results": results})
	}
	if err := writeRoundResults(cmd.OutOrStdout(), results); err != nil {
		return err
	}
	states, err := loop.States(ctx)
	if err != nil {
		return err
	}
	return apoloop.WriteCalibration(cmd.OutOrStdout(), states)
}
