package selfplaycmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/tui"
)

// Play checks the plan's players, records the run (or takes up the
// resumed one), plays what it is missing and reports how it ended (see
// [Finish]). describe says who plays, for the line that starts the run.
func Play(ctx context.Context, opts *Options, session *selfplay.Session, run *episodes.Run, plan *selfplay.Plan, describe string) error {
	if run != nil {
		if err := selfplay.CheckResumable(run, plan); err != nil {
			return err
		}
	}
	if err := selfplay.Preflight(ctx, plan); err != nil {
		return err
	}
	run, pending, err := session.Begin(ctx, plan, run)
	if err != nil {
		return err
	}
	stderr := opts.IO.ErrOut
	fmt.Fprintf(stderr, "run %s: %d episodes to play (%s) into %s\n", run.ID, pending.Len(), describe, opts.DB)
	po := selfplay.Options{Concurrency: opts.Concurrency, TurnTimeout: opts.TurnTimeout, Drain: opts.Interrupts.Drain()}
	if opts.TUI {
		po.Watch = func(ctx context.Context, r *game.Runner, play func() error) error {
			logw, closeLog := playrun.TUILog(opts.IO.ErrOut)
			defer closeLog()
			return tui.PlayWatched(ctx, r, tui.WatchConfig{Command: opts.CommandPath, Title: run.ID, Total: pending.Len(), Players: run.Players},
				tui.RunOptions{In: opts.IO.In, Out: opts.IO.Out, Log: logw}, playrun.NoColor(), play)
		}
	} else {
		po.Progress, po.Terminal = stderr, cmdutil.IsTerminal(stderr)
	}
	res, err := session.Play(ctx, run, plan, pending, po)
	resume := fmt.Sprintf("spag %s --db %s --resume %s", opts.registry().CommandOf(opts.Game), opts.DB, run.ID)
	if err != nil {
		return fmt.Errorf("run %s: %w (resume with: %s)", run.ID, err, resume)
	}
	store, err := session.Store(ctx)
	if err != nil {
		return err
	}
	return Finish(ctx, opts.IO, opts.Summary, store, res, resume, opts.JSON)
}

// Summary writes the summary of a stored run, as text or as JSON (spag
// stats --run ID prints the same).
type Summary func(ctx context.Context, w io.Writer, store *episodes.Store, runID string, asJSON bool) error

// Finish is the one place that decides how a play command ends: exit 130
// with the resume command for an interrupted run; otherwise the run's
// summary (when summary is not nil), then exit 1 with the count, the first
// reason and the resume command when episodes errored, or 0.
func Finish(ctx context.Context, io *cmdutil.IOStreams, summary Summary, store *episodes.Store, res selfplay.Result, resume string, asJSON bool) error {
	if res.Interrupted {
		fmt.Fprintf(io.ErrOut, "interrupted: finished episodes are stored; resume with:\n  %s\n", resume)
		return cmdutil.ErrInterrupted
	}
	if summary != nil {
		if err := summary(ctx, io.Out, store, res.Run.ID, asJSON); err != nil {
			return err
		}
	}
	if res.Errored > 0 {
		return fmt.Errorf("run %s: %d of %d episodes errored (first: %s); fix the cause, then play them with:\n  %s",
			res.Run.ID, res.Errored, res.Planned, res.FirstError, resume)
	}
	return nil
}
