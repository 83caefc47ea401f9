package playrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players/pool"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/tui"
)

// ResumeRun opens the stored run id of the game gameName in session for
// --resume. Its errors say what to do: a missing database or run is a
// usage error, and a run of another game names the command that resumes
// it (from reg).
func ResumeRun(ctx context.Context, reg *Registry, session *selfplay.Session, id, gameName string) (*episodes.Run, error) {
	run, err := session.Resume(ctx, id, gameName)
	var mismatch *selfplay.GameMismatchError
	switch {
	case errors.Is(err, selfplay.ErrNoDatabase):
		return nil, cmdutil.Usagef("--resume %s: cannot open --db %s: %v", id, session.Path, err)
	case errors.Is(err, episodes.ErrNotFound):
		return nil, cmdutil.Usagef("--resume %s: no such run in %s (%s)", id, session.Path, cmdutil.ListRunsHint(session.Path))
	case errors.As(err, &mismatch):
		return nil, cmdutil.Usagef("--resume %s: %v; resume it with: spag %s --db %s --resume %s", id, err, reg.CommandOf(mismatch.Game), session.Path, mismatch.RunID)
	case err != nil:
		return nil, err
	}
	return run, nil
}

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
			return Watched(ctx, opts.IO, opts.CommandPath, r, run.ID, pending.Len(), run.Players, play)
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

// NoColor reports whether the user asked for no colour (https://no-color.org).
func NoColor() bool { return os.Getenv("NO_COLOR") != "" }

// TUILog opens where logs go while the terminal UI owns the screen (see
// tui.OpenLog). Without a log file the UI still runs: it says why on
// errOut and discards the logs.
func TUILog(errOut io.Writer) (io.Writer, func()) {
	f, err := tui.OpenLog(os.Getenv, os.Getpid())
	if err != nil {
		fmt.Fprintf(errOut, "spag: no log file while the terminal UI runs: %v\n", err)
		return nil, func() {}
	}
	return f, func() { f.Close() }
}

// Watched plays a run while the watch screen shows its events. It sets
// r.Events, and r.Drain to a channel closed by the first of the old Drain
// or the user quitting the UI (so quitting lets the games in flight finish
// and be stored, like a first Ctrl-C). play runs the run; its error is
// returned once both the run and the UI are over. command is the command
// line the screen names.
func Watched(ctx context.Context, streams *cmdutil.IOStreams, command string, r *game.Runner, title string, total int, players map[string]string, play func() error) error {
	described, _ := game.Games.Lookup(r.Game.Name())
	bus := &game.Bus{}
	// A large buffer keeps fast runs from dropping events; the view
	// converges anyway since each Progress event is complete.
	sub := bus.Subscribe(8192)
	r.Events = bus
	quit := make(chan struct{})
	drain := make(chan struct{})
	outer := r.Drain
	r.Drain = drain
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		select {
		case <-outer:
		case <-quit:
		case <-stop:
			return
		}
		close(drain)
	}()
	errc := make(chan error, 1)
	go func() {
		defer wg.Done()
		errc <- play()
		sub.Close() // the UI shows the run as finished
	}()
	logw, closeLog := TUILog(streams.ErrOut)
	defer closeLog()
	_, uiErr := tui.Run(ctx, tui.Config{
		Start: tui.WatchView,
		Watch: tui.WatchConfig{Events: sub.C, Command: command, Title: title, Total: total, Players: players, Game: described,
			Hosts: hostLoads(r.Game.Roles(), r.Players)},
		NoColor: NoColor(),
	}, tui.RunOptions{In: streams.In, Out: streams.Out, Log: logw})
	close(quit)
	runErr := <-errc
	close(stop)
	wg.Wait()
	if runErr == nil && uiErr != nil && !errors.Is(uiErr, context.Canceled) {
		return fmt.Errorf("watch: %w", uiErr)
	}
	return runErr
}

// pooled is implemented by backends that spread their calls over a pool of
// model servers.
type pooled interface {
	Pool() *pool.Pool
}

// hostLoads reports the hosts of the pooled players for the watch view, or
// nil when no player has hosts.
func hostLoads(roles []string, players []game.Player) func() []tui.HostLoad {
	type rolePool struct {
		role string
		pool *pool.Pool
	}
	var pools []rolePool
	for i, p := range players {
		pp, ok := p.(pooled)
		if !ok || i >= len(roles) {
			continue
		}
		// Roles played by one player share its pool: list it once.
		shared := false
		for k := range pools {
			if pools[k].pool == pp.Pool() {
				pools[k].role += "+" + roles[i]
				shared = true
			}
		}
		if !shared {
			pools = append(pools, rolePool{roles[i], pp.Pool()})
		}
	}
	if len(pools) == 0 {
		return nil
	}
	return func() []tui.HostLoad {
		var out []tui.HostLoad
		for _, rp := range pools {
			for _, h := range rp.pool.Stats() {
				out = append(out, tui.HostLoad{Role: rp.role, Host: h.Host, InFlight: h.InFlight,
					Calls: h.Calls, Errors: h.Errors, Down: h.Down})
			}
		}
		return out
	}
}
