package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/arena"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/taboorun"
)

type arenaFlags struct {
	runFlags
	a, b      string
	games     int
	words     string
	maxTurns  int
	judge     string
	style     string
	templates string
}

func newArenaCmd(sig *interrupts) *cobra.Command {
	var f arenaFlags
	cmd := &cobra.Command{
		Use:   "arena --a SPEC --b SPEC [--games N] [--words FILE|builtin:heldout]",
		Short: "Measure player A against player B in both Taboo roles, with intervals",
		Long: `arena plays three runs on the same words with the same seeds: A as
attacker against B as defender, B as attacker against A as defender, and B
against itself as the baseline. It reports, for each role, A's win rate
with its 95% Wilson interval, the baseline's, and the difference with
Newcombe's 95% interval ("*" marks a difference whose interval excludes 0:
a measured change). The words are the built-in list's held-out words by
default (builtin:heldout, about 10% of the list, never used by
builtin:train). The three runs are recorded before the first game and
stored like any run (spag replay and stats work on them); the first Ctrl-C stops after the games in flight and
prints the command that resumes the arena: spag arena --db DB --resume
RUN1,RUN2,RUN3.`,
		Example: `  spag arena --a native --b builtin --games 200
  spag arena --a native:sft.ckpt --b native --games 1000 --json
  spag arena --a builtin:skill=0.9 --b builtin:skill=0.5 --words mywords.txt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runArena(cmd, sig, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.a, "a", "", "the player measured (a spec as for selfplay --attacker)")
	fl.StringVar(&f.b, "b", "", "the player it is measured against, and the baseline")
	fl.IntVar(&f.games, "games", 100, "games per pairing (three pairings)")
	fl.StringVar(&f.words, "words", taboo.WordsHeldOut, "word list: builtin:heldout, builtin, builtin:train, or a file with one word per line")
	fl.IntVar(&f.maxTurns, "max-turns", 5, "attacker+defender turn pairs before a tie")
	fl.StringVar(&f.judge, "judge", "strict", "judge: strict or spag")
	fl.StringVar(&f.style, "style", "", "prompt style for model players: chat, transcript or compact (default: compact when a player is native)")
	fl.StringVar(&f.templates, "templates", "", "directory of prompt templates replacing the built-in ones")
	f.register(fl, "seed for the words and every player's randomness (the same for the three pairings)")
	cmd.Flags().Lookup("resume").Usage = "resume an arena: its three run IDs, comma-separated, as the interrupted arena printed them"
	return cmd
}

func runArena(cmd *cobra.Command, sig *interrupts, f arenaFlags) error {
	ctx := cmd.Context()
	if err := f.check(cmd); err != nil {
		return err
	}
	session := &selfplay.Session{Path: f.db}
	defer session.Close()
	var base taboorun.Config
	runs := map[string]string{}
	if f.resume != "" {
		ids := strings.Split(f.resume, ",")
		pairings := arena.Pairings("", "")
		if len(ids) != len(pairings) {
			return usagef("--resume %q: want the arena's %d run IDs, comma-separated", f.resume, len(pairings))
		}
		for i, id := range ids {
			var cfg taboorun.Config
			run, err := playrun.ResumeRun(ctx, &playrun.Games, session, id, taboo.Name)
			if err != nil {
				return err
			}
			if err := selfplay.StoredConfig(run, &cfg); err != nil {
				return err
			}
			runs[pairings[i].Label] = id
			if i == 0 {
				base = cfg
				f.a, f.b = cfg.Attacker, cfg.Defender
			}
		}
	} else {
		switch {
		case f.a == "" || f.b == "":
			return usagef("arena: --a and --b are required (player specs, for example --a native --b builtin)")
		case f.games < 1:
			return usagef("--games must be at least 1 (got %d)", f.games)
		case f.maxTurns < 1:
			return usagef("--max-turns must be at least 1 (got %d)", f.maxTurns)
		}
		// The pairings set the players; these choose the default style.
		base = taboorun.Config{MaxTurns: f.maxTurns, Judge: f.judge, Style: f.style, Templates: f.templates,
			Attacker: f.a, Defender: f.b, Seed: f.seed, Words: f.words, Games: f.games, Options: f.options}
	}
	words, err := taboo.Words(base.Words)
	if err != nil {
		return usageError{Err: fmt.Errorf("--words: %w", err)}
	}
	if f.resume == "" {
		if err := base.Prepare(words); err != nil {
			return cliError(err)
		}
	}
	if len(words) < 2 {
		return usagef("--words %s: an arena needs at least 2 words to play, this list has %d", base.Words, len(words))
	}
	planner := func(p arena.Pairing, run *episodes.Run) (*selfplay.Plan, error) {
		cfg := base
		cfg.Attacker, cfg.Defender = p.Players[0], p.Players[1]
		if err := cfg.ShareOptions([]string{f.a, f.b}); err != nil {
			return nil, cliError(err)
		}
		plan, err := cfg.Plan(ctx, words, run)
		return plan, cliError(err)
	}
	stderr := cmd.ErrOrStderr()
	opts := selfplay.Options{Concurrency: f.concurrency, TurnTimeout: f.turnTimeout, Drain: sig.Drain(),
		Progress: stderr, Terminal: isTerminal(stderr)}
	res, err := arena.Play(ctx, session, arena.Config{A: f.a, B: f.b, Plan: planner, Runs: runs, Options: opts,
		OnRun: func(p arena.Pairing, run *episodes.Run) error {
			fmt.Fprintf(stderr, "arena %s (%s as attacker, %s as defender): run %s\n", p.Label, p.Players[0], p.Players[1], run.ID)
			return nil
		}})
	ids := (&arena.Result{A: f.a, B: f.b, Runs: runs}).RunIDs()
	resume := fmt.Sprintf("spag arena --db %s --resume %s", f.db, strings.Join(ids, ","))
	switch {
	case err != nil:
		if len(ids) == 3 {
			return fmt.Errorf("%w (resume with: %s)", err, resume)
		}
		return err
	case res.Interrupted:
		fmt.Fprintf(stderr, "interrupted: the finished games are stored in runs %s (spag runs --db %s shows them stopped; stats and replay measure one run, not the arena); resume the arena with:\n  %s\n",
			strings.Join(ids, ", "), f.db, resume)
		return errInterrupted
	}
	out := cmd.OutOrStdout()
	if f.jsonOut {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "A %s against B %s, %s\n", res.A, res.B, res.Game)
		if err := eval.WriteText(out, res.RoundResults(0, res.B), 0); err != nil {
			return err
		}
	}
	if res.Errored > 0 {
		return fmt.Errorf("arena: %d episodes errored and are left out of the rates; play them with:\n  %s", res.Errored, resume)
	}
	return nil
}
