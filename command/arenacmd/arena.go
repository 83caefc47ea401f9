// Package arenacmd is `spag arena`: player A against player B in every
// role of a two-player game, on the same subjects with the same seeds, B
// against itself as the baseline, with intervals (see package arena). It
// plays the games that register an arena with playrun.Games (--game
// chooses; Adversarial Taboo without it) and knows none of them.
package arenacmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spag-go/spag/arena"
	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/selfplay"
)

// Options are every input of spag arena.
type Options struct {
	IO         *cmdutil.IOStreams
	Interrupts cmdutil.Interrupts
	Registry   *playrun.Registry

	playrun.Flags
	A, B  string
	Games int
	// Choice is the game played, what reads its own flags of the arena,
	// and the flags the user gave.
	playrun.Choice[playrun.ArenaSettings]
}

// NewCmdArena returns the command, playing the games of reg (nil:
// playrun.Games). It only parses flags into [Options]; runF does the work
// (nil: [Run]).
func NewCmdArena(f *cmdutil.Factory, reg *playrun.Registry, runF func(context.Context, *Options) error) *cobra.Command {
	if reg == nil {
		reg = &playrun.Games
	}
	opts := &Options{IO: f.IOStreams, Interrupts: f.Interrupts, Registry: reg}
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
		Args: cmdutil.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.A, "a", "", "the player measured (a spec as for selfplay --attacker)")
	fl.StringVar(&opts.B, "b", "", "the player it is measured against, and the baseline")
	fl.IntVar(&opts.Games, "games", 100, "games per pairing (three pairings)")
	opts.Register(fl, "seed for the words and every player's randomness (the same for the three pairings)")
	fl.Lookup("resume").Usage = "resume an arena: its three run IDs, comma-separated, as the interrupted arena printed them"
	opts.AddGames(fl, reg.Arenas(), func(g playrun.Game, fs *pflag.FlagSet) playrun.ArenaSettings { return g.Arena(fs) }, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := opts.Choose(); err != nil {
			return err
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return Run(cmd.Context(), opts)
	}
	return cmd
}

// Run plays (or resumes) the arena and prints its result.
func Run(ctx context.Context, opts *Options) error {
	if err := opts.Check(opts.Set, opts.IO); err != nil {
		return err
	}
	session := &selfplay.Session{Path: opts.DB}
	defer session.Close()
	var base playrun.ArenaConfig
	a, b := opts.A, opts.B
	runs := map[string]string{}
	if opts.Resume != "" {
		ids := strings.Split(opts.Resume, ",")
		pairings := arena.Pairings("", "")
		if len(ids) != len(pairings) {
			return cmdutil.Usagef("--resume %q: want the arena's %d run IDs, comma-separated", opts.Resume, len(pairings))
		}
		for i, id := range ids {
			run, err := playrun.ResumeRun(ctx, opts.Registry, session, id, opts.Game)
			if err != nil {
				return err
			}
			cfg, err := opts.Settings.Stored(run)
			if err != nil {
				return err
			}
			runs[pairings[i].Label] = id
			if i == 0 {
				base = cfg
				a, b = cfg.Players()[0], cfg.Players()[1]
			}
		}
	} else {
		switch {
		case a == "" || b == "":
			return cmdutil.Usagef("arena: --a and --b are required (player specs, for example --a native --b builtin)")
		case opts.Games < 1:
			return cmdutil.Usagef("--games must be at least 1 (got %d)", opts.Games)
		}
		var err error
		if base, err = opts.Settings.New(opts.Changed, &opts.Flags, opts.Games, a, b); err != nil {
			return cmdutil.CLIError(err)
		}
	}
	planner := func(p arena.Pairing, run *episodes.Run) (*selfplay.Plan, error) {
		plan, err := base.Plan(ctx, p.Players, []string{a, b}, run)
		return plan, cmdutil.CLIError(err)
	}
	d, _ := game.Games.Lookup(opts.Game)
	stderr := opts.IO.ErrOut
	po := selfplay.Options{Concurrency: opts.Concurrency, TurnTimeout: opts.TurnTimeout, Drain: opts.Interrupts.Drain(),
		Progress: stderr, Terminal: cmdutil.IsTerminal(stderr)}
	res, err := arena.Play(ctx, session, arena.Config{A: a, B: b, Plan: planner, Runs: runs, Options: po,
		OnRun: func(p arena.Pairing, run *episodes.Run) error {
			fmt.Fprintf(stderr, "arena %s (%s): run %s\n", p.Label, seats(d, p.Players), run.ID)
			return nil
		}})
	ids := (&arena.Result{A: a, B: b, Runs: runs}).RunIDs()
	command := "spag arena"
	if opts.Game != opts.DefaultGame() {
		command += " --game " + opts.Game
	}
	resume := fmt.Sprintf("%s --db %s --resume %s", command, opts.DB, strings.Join(ids, ","))
	switch {
	case err != nil:
		if len(ids) == 3 {
			return fmt.Errorf("%w (resume with: %s)", err, resume)
		}
		return err
	case res.Interrupted:
		fmt.Fprintf(stderr, "interrupted: the finished games are stored in runs %s (spag runs --db %s shows them stopped; stats and replay measure one run, not the arena); resume the arena with:\n  %s\n",
			strings.Join(ids, ", "), opts.DB, resume)
		return cmdutil.ErrInterrupted
	}
	out := opts.IO.Out
	if opts.JSON {
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

// seats says who plays each role of a pairing: "builtin as attacker,
// native as defender".
func seats(d *game.Description, players []string) string {
	parts := make([]string, len(players))
	for i, p := range players {
		role := fmt.Sprint(i)
		if d != nil && i < len(d.Roles) {
			role = d.RoleLabel(d.Roles[i])
		}
		parts[i] = p + " as " + role
	}
	return strings.Join(parts, ", ")
}
