package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/apo/apoloop"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/iterate"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/taboorun"
)

type iterateFlags struct {
	runFlags
	cfg iterate.Config
	// objective, zeroSum and opponents are read into cfg by
	// objectiveFlags.
	objective string
	zeroSum   iterate.ZeroSumRule
	opponents string
	maxTurns  int
	judgeName string
	game      string
	apo       apoIterateFlags
}

func newIterateCmd(sig *interrupts) *cobra.Command {
	var f iterateFlags
	f.cfg.Train = train.DefaultConfig(train.ObjectiveSPAG)
	cmd := &cobra.Command{
		Use:   "iterate --rounds K --games N --steps S|--epochs E --out DIR [--init CKPT] [--opponent SPEC ...]",
		Short: "Run SPAG rounds: self-play, rewards, training against the frozen reference, evaluation, plots",
		Long: `iterate runs SPAG's loop. Each round:
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
130). spag report writes the loop's page.

--game apo runs APO's rounds instead (the flags marked apo:): the generator
answers --samples times each of --queries training queries against the
reward model, which then trains on --preferences plus those
gold-versus-samples items; the generator answers again, against the new
reward model, and imitates each query's best-rated answer; on the held-out
queries the new generator plays the initial reward model, frozen, and is
measured with the definitions task's reverse dictionary, and the new reward
model is measured on --heldout-preferences and on the gold-versus-generated
items of those games. It starts from --generator and --reward-model (with
a scalar head) and resumes like the Taboo loop.`,
		Example: `  spag iterate --rounds 2 --games 1000 --eval-games 1000 --steps 200 --out loop
  spag iterate --db spag.db --resume latest
  spag iterate --game apo --rounds 2 --generator gen.ckpt --reward-model rm.ckpt --preferences prefs.jsonl --queries 1000 --rm-steps 200 --gen-steps 200 --out apo-loop
  spag iterate --rounds 1 --games 500 --eval-games 500 --epochs 1 --sft alpaca.json --opponent builtin --opponent builtin:skill=0.9 --out loop2`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runIterate(cmd, sig, f) },
	}
	fl := cmd.Flags()
	fl.IntVar(&f.cfg.Rounds, "rounds", 2, "rounds to run")
	fl.IntVar(&f.cfg.Games, "games", 1000, "self-play games per round")
	fl.IntVar(&f.cfg.EvalGames, "eval-games", 200, "games per arena pairing (three pairings per opponent)")
	fl.StringVar(&f.cfg.Init, "init", "", "the initial policy, a native checkpoint (default: the shipped model)")
	fl.StringVar(&f.cfg.Ref, "ref", "", "the frozen reference of every round's training (default: --init)")
	fl.StringVar(&f.cfg.SFT, "sft", "", "SPAG training JSON whose imitation samples are mixed into every round's data")
	fl.StringVar(&f.cfg.Out, "out", "", "directory of the loop's data, checkpoints and plots")
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
	fl.Float64Var(&f.cfg.Decay, "decay", rl.DefaultDecay, "SPAG's reward decay")
	fl.Float64Var(&f.cfg.LoserReward, "loser-reward", 0, "reward (negative) of each loser's decisive move, also trained on; 0: SPAG's rule, winners only")
	fl.StringVar(&f.objective, "objective", train.ObjectiveSPAG, "training objective: spag (SPAG's rule and objective) or zerosum (zero-sum rewards, role baselines, KL penalty)")
	fl.StringVar(&f.zeroSum.Credit, "credit", rl.CreditAll, "zerosum: turns that get the advantage, all (every turn of the role) or decisive")
	fl.Float64Var(&f.zeroSum.BaselineDecay, "baseline-decay", rl.DefaultBaselineDecay, "zerosum: decay alpha of the per-role running mean, from round to round")
	fl.StringVar(&f.zeroSum.BaselinePer, "baseline-per", rl.BaselinePerRole, "zerosum: the baseline is the running mean return per role, or per turn (per role and turn of the role, the round's mean)")
	fl.StringVar(&f.opponents, "opponents", "", "self-play's population, NAME=WEIGHT,... of self, past, ref, builtin (default: self-play only)")
	fl.IntVar(&f.maxTurns, "max-turns", 5, "attacker+defender turn pairs before a tie")
	fl.StringVar(&f.judgeName, "judge", "strict", "judge: strict or spag")
	f.register(fl, "seed of the loop: each round's words, games and training order derive from it")
	fl.StringVar(&f.game, "game", "taboo", "the loop's game: taboo (SPAG's rounds) or apo (APO's rounds; the flags marked apo)")
	f.apo.register(fl)
	cmd.Flags().Lookup("resume").Usage = "resume loop ID (spag iterate prints it; \"latest\" for the newest loop in --db)"
	return cmd
}

func runIterate(cmd *cobra.Command, sig *interrupts, f iterateFlags) error {
	ctx := cmd.Context()
	if err := f.check(cmd); err != nil {
		return err
	}
	if f.tui {
		return usagef("iterate: --tui is not supported yet; watch the loop's runs with spag watch --db %s", f.db)
	}
	session := &selfplay.Session{Path: f.db}
	defer session.Close()
	game := f.game
	var rec *episodes.Loop
	if f.resume != "" {
		var err error
		if rec, game, err = loopGame(ctx, session, f.db, f.resume); err != nil {
			return err
		}
	} else if game != "taboo" && game != apoloop.Game {
		return usagef("--game %q: want taboo or %s", game, apoloop.Game)
	}
	if err := checkGameFlags(cmd, game); err != nil {
		return err
	}
	if game == apoloop.Game {
		return runAPOIterate(cmd, sig, f, session, rec)
	}
	// A resumed loop trains as it was started to (the stored trainer),
	// unless --trainer names another.
	if rec != nil && !cmd.Flags().Changed("trainer") {
		var stored struct {
			Trainer string `json:"trainer"`
		}
		if json.Unmarshal(rec.Config, &stored) == nil && stored.Trainer != "" {
			f.cfg.Trainer = stored.Trainer
		}
	}
	t, err := trainer.Open(f.cfg.Trainer)
	if err != nil {
		return usagef("--trainer: %v", err)
	}
	stderr := cmd.ErrOrStderr()
	code, _ := codeVersion()
	// base is the game settings of every run of the loop: the flags' for
	// a new loop, the stored ones for a resumed loop.
	base := taboorun.Config{MaxTurns: f.maxTurns, Judge: f.judgeName, Style: taboo.StyleCompact, Options: f.options}
	env := &iterate.Env{Env: loop.Env{Session: session, Trainer: t, Log: stderr, CodeVersion: code, Stop: sig.Drain(),
		Options: selfplay.Options{Concurrency: f.concurrency, TurnTimeout: f.turnTimeout, Drain: sig.Drain(),
			Progress: stderr, Terminal: isTerminal(stderr)}}}
	var loop *iterate.Loop
	env.Plan = func(attacker, defender, words string, games int, seed uint64, run *episodes.Run) (*selfplay.Plan, error) {
		cfg := base
		cfg.Attacker, cfg.Defender, cfg.Words, cfg.Games, cfg.Seed = attacker, defender, words, games, seed
		if run != nil {
			if err := selfplay.StoredConfig(run, &cfg); err != nil {
				return nil, err
			}
		} else if err := cfg.ShareOptions(append([]string{attacker, defender, loop.Config.InitSpec}, loop.Config.Opponents...)); err != nil {
			// --option goes to the runs whose players take it: the
			// built-in opponent's baseline run takes no temperature.
			return nil, cliError(err)
		}
		list, err := taboo.Words(cfg.Words)
		if err != nil {
			return nil, err
		}
		plan, err := cfg.Plan(ctx, list, run)
		return plan, cliError(err)
	}

	if f.resume != "" {
		id := f.resume
		if id == "latest" {
			id = ""
		}
		if _, err := os.Stat(f.db); err != nil {
			return usagef("--resume %s: cannot open --db %s: %v", f.resume, f.db, err)
		}
		loop, err = iterate.Resume(ctx, env, id)
		if errors.Is(err, episodes.ErrNotFound) {
			return usagef("--resume %s: no such loop in %s", f.resume, f.db)
		}
		if err != nil {
			return err
		}
		// Loops recorded before the settings were stored play with the
		// defaults, as they did then.
		if len(loop.Config.Play) > 0 {
			if err := json.Unmarshal(loop.Config.Play, &base); err != nil {
				return fmt.Errorf("loop %s: its stored play settings: %w", loop.ID, err)
			}
		}
		if env.Judge, err = judge.ByName(base.Judge); err != nil {
			return fmt.Errorf("loop %s: its stored judge: %w", loop.ID, err)
		}
	} else {
		// Everything the loop will need is checked before anything is
		// created or recorded: a bad value found rounds later would be
		// stored with the loop, where no resume could mend it.
		if f.cfg.Out == "" {
			return usagef("iterate: --out DIR is required (the loop's data, checkpoints and plots go there)")
		}
		if f.maxTurns < 1 {
			return usagef("--max-turns must be at least 1 (got %d)", f.maxTurns)
		}
		f.cfg.Seed = f.seed
		if err := f.objectiveFlags(cmd); err != nil {
			return err
		}
		if err := f.cfg.Check(); err != nil {
			return loopUsage(err)
		}
		for _, w := range []struct {
			flag   string
			source *string
		}{{"words", &f.cfg.TrainWords}, {"eval-words", &f.cfg.EvalWords}} {
			if *w.source, err = taboo.WordSource(*w.source); err != nil {
				return usagef("--%s: %v", w.flag, err)
			}
		}
		if err := f.cfg.CheckWords(taboo.Words); err != nil {
			return cliError(err)
		}
		for _, spec := range f.cfg.Opponents {
			if _, err := players.ResolveFlag("opponent", spec); err != nil {
				return usageError{Err: err}
			}
		}
		if env.Judge, err = judge.ByName(base.Judge); err != nil {
			return usagef("--judge: %v", err)
		}
		// The policy, the reference and --init play natively.
		if err := base.CheckOptions(append([]string{"native"}, f.cfg.Opponents...)); err != nil {
			return cliError(err)
		}
		if err := f.cfg.Prepare(); err != nil {
			return cliError(err)
		}
		if f.cfg.Play, err = json.Marshal(base); err != nil {
			return err
		}
		if loop, err = iterate.Start(ctx, env, f.cfg); err != nil {
			return err
		}
	}
	defer loop.Close()
	base.CodeVersion = code
	fmt.Fprintf(stderr, "loop %s: %d rounds into %s (database %s)\n", loop.ID, loop.Config.Rounds, loop.Config.Out, f.db)
	if err := loopEnded(stderr, sig, f.db, loop.ID, loop.Run(ctx), iterate.ErrNothingToTrain); err != nil {
		return err
	}
	results, _, err := loop.History(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "loop %s done; plots in %s; page: spag report --db %s --loop %s\n", loop.ID, loop.Config.Out, f.db, loop.ID)
	if f.jsonOut {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"loop": loop.ID, "results": results})
	}
	return writeRoundResults(cmd.OutOrStdout(), results)
}

// loopUsage is a loop configuration's Check error as a usage error,
// naming the flag when the error names a setting.
func loopUsage(err error) error {
	if errors.As(err, new(*selfplay.SettingError)) {
		return cliError(err)
	}
	return usagef("iterate: %v", err)
}

// objectiveFlags reads --objective, the zero-sum rule's flags and
// --opponents into the loop's configuration.
func (f *iterateFlags) objectiveFlags(cmd *cobra.Command) error {
	switch f.objective {
	case train.ObjectiveSPAG:
		for _, name := range []string{"credit", "baseline-decay", "baseline-per"} {
			if cmd.Flags().Changed(name) {
				return usagef("--%s applies to --objective zerosum only", name)
			}
		}
	case train.ObjectiveZeroSum:
		for _, name := range []string{"decay", "loser-reward"} {
			if cmd.Flags().Changed(name) {
				return usagef("--%s is a setting of SPAG's rule, not of --objective zerosum", name)
			}
		}
		if err := rl.CheckZeroSum(f.zeroSum.Credit, f.zeroSum.BaselineDecay); err != nil {
			return usagef("--objective zerosum: %v (--credit, --baseline-decay)", err)
		}
		if err := rl.CheckBaselinePer(f.zeroSum.BaselinePer); err != nil {
			return usagef("--baseline-per: %v", err)
		}
		f.cfg.Train.Objective = train.ObjectiveZeroSum
		f.cfg.Train.ZeroSum = zeroSumParams(cmd.Flags(), f.cfg.Train.SPAG, f.cfg.Train.SPAG.Beta)
		rule := f.zeroSum
		f.cfg.ZeroSum = &rule
	default:
		return usagef("--objective %q: a loop trains with spag or zerosum", f.objective)
	}
	if f.opponents != "" {
		m, err := iterate.ParseMixture(f.opponents)
		if err != nil {
			return usagef("--opponents: %v", err)
		}
		f.cfg.Population = m
	}
	return nil
}

// loopEnded turns how loop id's Run ended (runErr) into the command's
// result, for either game's loop: an interruption prints the command that
// resumes it (exit 130), another error carries that command, and an error
// wrapping one of final is returned as it is (resuming would not help).
func loopEnded(stderr io.Writer, sig *interrupts, db, id string, runErr error, final ...error) error {
	resume := fmt.Sprintf("spag iterate --db %s --resume %s", db, id)
	switch {
	case runErr == nil:
		return nil
	case errors.Is(runErr, loop.ErrInterrupted), errors.Is(runErr, context.Canceled) && sig.count() > 0:
		fmt.Fprintf(stderr, "interrupted: what finished is recorded; resume with:\n  %s\n", resume)
		return errInterrupted
	}
	for _, f := range final {
		if errors.Is(runErr, f) {
			return runErr
		}
	}
	return fmt.Errorf("%w (resume with: %s)", runErr, resume)
}

// writeRoundResults prints a loop's evaluation table.
func writeRoundResults(w io.Writer, results []eval.RoundResult) error {
	if len(results) == 0 {
		_, err := fmt.Fprintln(w, "no evaluation results yet")
		return err
	}
	return eval.WriteText(w, results, 0)
}
