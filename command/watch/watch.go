// Package watch is `spag watch`: the terminal UI following a run or a
// loop that another spag process writes to a database.
package watch

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/iterate"
	"github.com/spag-go/spag/tui"
)

// Options are every input of `spag watch`.
type Options struct {
	IO         *cmdutil.IOStreams
	OpenReader func(ctx context.Context, path string) (*episodes.Store, error)

	DB     string
	RunID  string
	LoopID string
	Every  time.Duration
}

// NewCmdWatch returns the command; runF does the work (nil: [Run]).
func NewCmdWatch(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, OpenReader: f.OpenReader}
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Follow a self-play run or a loop in the terminal UI, from its database",
		Long: `watch follows a run that another spag process is writing to --db: progress,
throughput, outcomes and win rates with intervals, and the games as they are
stored. Enter focuses a game (transcript, verdict, evidence); tab switches to
the replay browser of the same database. q quits; ? lists the keys.

With --loop it follows a loop of rounds (spag iterate): the round and the
stage it is at, each round's win rates per role against each opponent with
95% intervals, and below them the run the stage plays (self-play or arena)
as watch shows a run. Without --run or --loop, watch follows the newest
loop when it is the newest thing in the database (the newest run is one of
its runs, or it has none yet), and the newest run otherwise.

watch only reads the database. To watch a run of this process as it plays,
use spag selfplay --tui.`,
		Example: `  spag watch --db runs.db
  spag watch --db runs.db --run r20261126-151200-3fa9
  spag watch --db loop.db --loop latest`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !opts.IO.IsStdoutTTY() {
				return cmdutil.Usagef("watch needs a terminal; use spag stats --db %s for a text summary", opts.DB)
			}
			if opts.Every <= 0 {
				return cmdutil.Usagef("--every must be positive (got %s)", opts.Every)
			}
			if opts.RunID != "" && opts.LoopID != "" {
				return cmdutil.Usagef("--run and --loop exclude each other")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DB, "db", "spag.db", "SQLite database the run is written to")
	fl.StringVar(&opts.RunID, "run", "", "run ID to follow (default: the latest run)")
	fl.StringVar(&opts.LoopID, "loop", "", `loop ID to follow, "latest" for the newest loop (default: the newest loop when nothing is newer)`)
	fl.DurationVar(&opts.Every, "every", time.Second, "how often to read the database")
	return cmd
}

// Run opens the terminal UI on what opts follow.
func Run(ctx context.Context, opts *Options) error {
	cfg, store, err := Config(ctx, opts)
	if err != nil {
		return err
	}
	defer store.Close()
	logw, closeLog := cmdutil.TUILog(opts.IO.ErrOut)
	defer closeLog()
	_, err = tui.Run(ctx, cfg, tui.RunOptions{In: opts.IO.In, Out: opts.IO.Out, Log: logw})
	return err
}

// Config opens opts.DB and returns the terminal UI's configuration that
// follows what opts ask for, with the store it reads (the caller closes
// it). What does not exist is a usage error.
func Config(ctx context.Context, opts *Options) (tui.Config, *episodes.Store, error) {
	store, err := opts.OpenReader(ctx, opts.DB)
	if err != nil {
		return tui.Config{}, nil, err
	}
	cfg, err := config(ctx, store, opts)
	if err != nil {
		store.Close()
		return tui.Config{}, nil, err
	}
	return cfg, store, nil
}

func config(ctx context.Context, store *episodes.Store, opts *Options) (tui.Config, error) {
	following, err := loopToFollow(ctx, store, opts.LoopID, opts.RunID)
	if err != nil {
		return tui.Config{}, err
	}
	cfg := tui.Config{
		Replay: tui.ReplayConfig{Source: store, Filter: episodes.Filter{RunID: opts.RunID, NewestRunFirst: true},
			Rejudge: tui.SecondOpinions(store), Outcomes: cmdutil.KnownOutcomes()},
		NoColor: cmdutil.NoColor(),
	}
	if following != "" {
		cfg.Start = tui.LoopView
		cfg.Loop = tui.LoopConfig{Read: loopStatus(store, following), Runs: store, PollEvery: opts.Every}
		return cfg, nil
	}
	if opts.RunID != "" {
		_, err = store.Run(ctx, opts.RunID)
	} else {
		_, err = store.LatestRun(ctx)
	}
	if errors.Is(err, episodes.ErrNotFound) {
		return tui.Config{}, cmdutil.Usagef("--db %s has no run %q (%s)", opts.DB, opts.RunID, cmdutil.ListRunsHint(opts.DB))
	}
	if err != nil {
		return tui.Config{}, err
	}
	cfg.Start = tui.WatchView
	cfg.Watch = tui.WatchConfig{Source: store, RunID: opts.RunID, PollEvery: opts.Every}
	return cfg, nil
}

// loopToFollow returns the ID of the loop watch follows, or "" to follow a
// run: the --loop asked for, or without --run and --loop the newest loop
// when it is the newest thing in the store.
func loopToFollow(ctx context.Context, store *episodes.Store, loopID, runID string) (string, error) {
	switch {
	case loopID != "":
		id := loopID
		if id == "latest" {
			id = ""
		}
		s, err := iterate.ReadStatus(ctx, store, id)
		if errors.Is(err, episodes.ErrNotFound) {
			return "", cmdutil.Usagef("--loop %s: no such loop in %s (spag iterate runs one)", loopID, store.Path())
		}
		if err != nil {
			return "", err
		}
		return s.ID, nil
	case runID != "":
		return "", nil
	}
	s, newest, err := iterate.NewestStatus(ctx, store)
	if err != nil || !newest {
		return "", err
	}
	return s.ID, nil
}

// loopStatus reads loop id's status for the loop view.
func loopStatus(store *episodes.Store, id string) func(context.Context) (tui.LoopStatus, error) {
	return func(ctx context.Context) (tui.LoopStatus, error) {
		s, err := iterate.ReadStatus(ctx, store, id)
		if err != nil {
			return tui.LoopStatus{}, err
		}
		return tui.LoopStatus{ID: s.ID, Round: s.Round, Rounds: s.Rounds, Stage: s.Stage, Stages: iterate.Stages(),
			Run: s.Run, Done: s.Done(), Results: s.Results}, nil
	}
}
