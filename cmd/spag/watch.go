package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/iterate"
	"github.com/spag-go/spag/tui"
)

func newWatchCmd() *cobra.Command {
	var db, runID, loopID string
	var every time.Duration
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
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if !isTerminal(cmd.OutOrStdout()) {
				return usagef("watch needs a terminal; use spag stats --db %s for a text summary", db)
			}
			if every <= 0 {
				return usagef("--every must be positive (got %s)", every)
			}
			if runID != "" && loopID != "" {
				return usagef("--run and --loop exclude each other")
			}
			store, err := openReader(ctx, db)
			if err != nil {
				return err
			}
			defer store.Close()
			following, err := loopToFollow(ctx, store, loopID, runID)
			if err != nil {
				return err
			}
			cfg := tui.Config{
				Replay:  tui.ReplayConfig{Source: store, Filter: episodes.Filter{RunID: runID, NewestRunFirst: true}, Rejudge: rejudger(store), Outcomes: knownOutcomes()},
				NoColor: noColor(),
			}
			if following != "" {
				cfg.Start = tui.LoopView
				cfg.Loop = tui.LoopConfig{Read: loopStatus(store, following), Runs: store, PollEvery: every}
			} else {
				if runID != "" {
					_, err = store.Run(ctx, runID)
				} else {
					_, err = store.LatestRun(ctx)
				}
				if errors.Is(err, episodes.ErrNotFound) {
					return usagef("--db %s has no run %q (%s)", db, runID, cmdutil.ListRunsHint(db))
				}
				if err != nil {
					return err
				}
				cfg.Start = tui.WatchView
				cfg.Watch = tui.WatchConfig{Source: store, RunID: runID, PollEvery: every}
			}
			logw, closeLog := tuiLog(cmd)
			defer closeLog()
			_, err = tui.Run(ctx, cfg, tui.RunOptions{In: cmd.InOrStdin(), Out: cmd.OutOrStdout(), Log: logw})
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&db, "db", "spag.db", "SQLite database the run is written to")
	fl.StringVar(&runID, "run", "", "run ID to follow (default: the latest run)")
	fl.StringVar(&loopID, "loop", "", `loop ID to follow, "latest" for the newest loop (default: the newest loop when nothing is newer)`)
	fl.DurationVar(&every, "every", time.Second, "how often to read the database")
	return cmd
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
			return "", usagef("--loop %s: no such loop in %s (spag iterate runs one)", loopID, store.Path())
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

// noColor reports whether the user asked for no colour (https://no-color.org).
func noColor() bool { return os.Getenv("NO_COLOR") != "" }

// tuiLog opens where logs go while the terminal UI owns the screen (see
// tui.OpenLog). Without a log file the UI still runs: it says why on
// stderr and discards the logs.
func tuiLog(cmd *cobra.Command) (io.Writer, func()) {
	f, err := tui.OpenLog(os.Getenv, os.Getpid())
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "spag: no log file while the terminal UI runs: %v\n", err)
		return nil, func() {}
	}
	return f, func() { f.Close() }
}
