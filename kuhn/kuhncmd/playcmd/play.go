// Package playcmd is `spag kuhn play` and `spag kuhn arena`: Kuhn Poker hands
// played and stored, and reported in chips per hand.
package playcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/kuhnrun"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/selfplay"
)

// PlayOptions are every input of `spag kuhn play`.
type PlayOptions struct {
	IO          *cmdutil.IOStreams
	Interrupts  cmdutil.Interrupts
	DB          string
	Resume      string
	First       string
	Second      string
	Games       int
	Seed        uint64
	Concurrency int
	TurnTimeout time.Duration
	JSON        bool
	Options     []string
}

// NewCmdPlay returns `spag kuhn play`; runF does the work (nil:
// [PlayRun]).
func NewCmdPlay(f *cmdutil.Factory, runF func(context.Context, *PlayOptions) error) *cobra.Command {
	opts := &PlayOptions{IO: f.IOStreams, Interrupts: f.Interrupts}
	cmd := &cobra.Command{
		Use:   "play [--first SPEC] [--second SPEC] [--games N]",
		Short: "Play hands of Kuhn Poker between two players and store them",
		Long: `play plays hands of Kuhn Poker concurrently, judges each and stores every
answer in the SQLite database (--db): spag runs, stats and replay read the
run like any other. The deals cycle through all six in a seeded order.
It prints the first player's chips per hand with a 95% interval (the game
value is -1/18 = -0.0556 at every equilibrium) and the hands lost by an
answer that was no legal move.`,
		Example: `  spag kuhn play --games 600
  spag kuhn play --first kuhn:always-bet --second builtin --games 6000 --json
  spag kuhn play --first native:sft.ckpt --second kuhn:equilibrium,alpha=0.2 --games 12 --db kuhn.db`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRunFlags(cmd, opts.Resume, opts.Concurrency, opts.TurnTimeout); err != nil {
				return err
			}
			if opts.Resume == "" && opts.Games < 1 {
				return cmdutil.Usagef("--games must be at least 1 (got %d)", opts.Games)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return PlayRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.First, "first", "builtin", "the first player's spec: "+players.Help())
	fl.StringVar(&opts.Second, "second", "builtin", "the second player's spec (same forms as --first)")
	fl.IntVar(&opts.Games, "games", 600, "number of hands")
	registerRunFlags(fl, &opts.DB, &opts.Resume, &opts.Seed, &opts.Concurrency, &opts.TurnTimeout, &opts.JSON, &opts.Options)
	return cmd
}

// registerRunFlags adds the flags every playing command of the game has.
func registerRunFlags(fl interface {
	StringVar(*string, string, string, string)
	Uint64Var(*uint64, string, uint64, string)
	IntVar(*int, string, int, string)
	DurationVar(*time.Duration, string, time.Duration, string)
	BoolVar(*bool, string, bool, string)
	StringArrayVar(*[]string, string, []string, string)
}, db, resume *string, seed *uint64, concurrency *int, turnTimeout *time.Duration, jsonOut *bool, options *[]string) {
	fl.StringVar(db, "db", "spag.db", "SQLite database to store the runs in")
	fl.StringVar(resume, "resume", "", "resume run ID: play only its missing or errored hands")
	fl.Uint64Var(seed, "seed", 1, "seed for the deals' order and every player's randomness")
	fl.IntVar(concurrency, "concurrency", 0, "hands in flight at once (default: the model players' parallel slots together, at least 8)")
	fl.DurationVar(turnTimeout, "turn-timeout", 2*time.Minute, "limit for one player turn (0: none)")
	fl.BoolVar(jsonOut, "json", false, "print the summary as one JSON document")
	fl.StringArrayVar(options, "option", nil, "setting key=value for every player whose backend takes the key, repeatable")
}

// checkRunFlags refuses shared settings that cannot work.
func checkRunFlags(cmd *cobra.Command, resume string, concurrency int, turnTimeout time.Duration) error {
	if cmd.Flags().Changed("concurrency") && concurrency < 1 {
		return cmdutil.Usagef("--concurrency must be at least 1 (got %d)", concurrency)
	}
	if turnTimeout < 0 {
		return cmdutil.Usagef("--turn-timeout must be 0 (no limit) or positive (got %s)", turnTimeout)
	}
	if resume != "" {
		allowed := []string{"db", "resume", "concurrency", "json", "turn-timeout"}
		var bad []string
		for _, name := range []string{"first", "second", "a", "b", "games", "seed", "option"} {
			if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed && !slices.Contains(allowed, name) {
				bad = append(bad, "--"+name)
			}
		}
		if len(bad) > 0 {
			return cmdutil.Usagef("--resume replays the stored configuration of the run; drop %v", bad)
		}
	}
	return nil
}

// PlayRun plays (or resumes) a run and prints its chips.
func PlayRun(ctx context.Context, opts *PlayOptions) error {
	session := &selfplay.Session{Path: opts.DB}
	defer session.Close()
	var cfg kuhnrun.Config
	var run *episodes.Run
	if opts.Resume != "" {
		var err error
		if run, err = resume(ctx, session, opts.Resume, &cfg); err != nil {
			return err
		}
	} else {
		cfg = kuhnrun.Config{First: opts.First, Second: opts.Second, Games: opts.Games, Seed: opts.Seed, Options: opts.Options}
		if err := cfg.Prepare(); err != nil {
			return cmdutil.CLIError(err)
		}
	}
	chips, err := playRun(ctx, session, &cfg, run, nil, opts.IO.ErrOut, runSettings{concurrency: opts.Concurrency, turnTimeout: opts.TurnTimeout, drain: opts.Interrupts.Drain()},
		func(id string) string { return fmt.Sprintf("spag kuhn play --db %s --resume %s", opts.DB, id) })
	if err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(chips)
	}
	return writeChips(opts.IO.Out, chips, cfg.First, cfg.Second)
}

// resume loads a stored Kuhn Poker run and its configuration; a run of
// another game is refused with the command that resumes it.
func resume(ctx context.Context, session *selfplay.Session, id string, cfg *kuhnrun.Config) (*episodes.Run, error) {
	run, err := playrun.ResumeRun(ctx, &playrun.Games, session, id, kuhn.Name)
	if err != nil {
		return nil, err
	}
	if err := selfplay.StoredConfig(run, cfg); err != nil {
		return nil, err
	}
	return run, nil
}

type runSettings struct {
	concurrency int
	turnTimeout time.Duration
	// drain is closed at the user's first Ctrl-C: the hands in flight
	// finish and are stored, then the command prints how to resume.
	drain <-chan struct{}
}

// playRun plays a run of cfg (new when run is nil) and reads its chips;
// plan is the run's plan when the caller made it (nil: made here), and
// resume the command that resumes the run of an ID.
func playRun(ctx context.Context, session *selfplay.Session, cfg *kuhnrun.Config, run *episodes.Run, plan *selfplay.Plan, stderr io.Writer, s runSettings, resume func(id string) string) (kuhnrun.Chips, error) {
	if plan == nil {
		var err error
		if plan, err = cfg.Plan(ctx, run); err != nil {
			return kuhnrun.Chips{}, cmdutil.CLIError(err)
		}
	}
	if run != nil {
		if err := selfplay.CheckResumable(run, plan); err != nil {
			return kuhnrun.Chips{}, err
		}
	}
	if err := selfplay.Preflight(ctx, plan); err != nil {
		return kuhnrun.Chips{}, err
	}
	run, pending, err := session.Begin(ctx, plan, run)
	if err != nil {
		return kuhnrun.Chips{}, err
	}
	fmt.Fprintf(stderr, "run %s: %d hands to play (first %s, second %s) into %s\n", run.ID, pending.Len(), cfg.First, cfg.Second, session.Path)
	res, err := session.Play(ctx, run, plan, pending, selfplay.Options{Concurrency: s.concurrency, TurnTimeout: s.turnTimeout, Drain: s.drain,
		Progress: stderr, Terminal: cmdutil.IsTerminal(stderr)})
	again := resume(run.ID)
	switch {
	case err != nil:
		return kuhnrun.Chips{}, fmt.Errorf("run %s: %w (resume with: %s)", run.ID, err, again)
	case res.Interrupted:
		fmt.Fprintf(stderr, "interrupted: finished hands are stored; resume with:\n  %s\n", again)
		return kuhnrun.Chips{}, cmdutil.ErrInterrupted
	case res.Errored > 0:
		return kuhnrun.Chips{}, fmt.Errorf("run %s: %d of %d hands errored (first: %s); fix the cause, then play them with: %s",
			run.ID, res.Errored, res.Planned, res.FirstError, again)
	}
	store, err := session.Store(ctx)
	if err != nil {
		return kuhnrun.Chips{}, err
	}
	return kuhnrun.ReadChips(ctx, store, run)
}

func writeChips(w io.Writer, c kuhnrun.Chips, first, second string) error {
	_, err := fmt.Fprintf(w, "run %s: %d hands, first player %s: %+.4f chips per hand (95%% interval %+.4f to %+.4f; game value %+.4f), second player %s: %+.4f; forfeits: first %d, second %d\n",
		c.Run, c.Hands, first, c.First, c.Interval[0], c.Interval[1], kuhnrun.GameValue, second, -c.First, c.Forfeits[kuhn.First], c.Forfeits[kuhn.Second])
	return err
}
