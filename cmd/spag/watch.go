package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players/pool"
	"github.com/spag-go/spag/tui"
)

// noColor and tuiLog are cmdutil's, for the commands not yet moved to
// command/.
var noColor = cmdutil.NoColor

func tuiLog(cmd *cobra.Command) (io.Writer, func()) { return cmdutil.TUILog(cmd.ErrOrStderr()) }

// runWatched plays a run while the watch screen shows its events. It sets
// r.Events, and r.Drain to a channel closed by the first of the old Drain
// or the user quitting the UI (so quitting lets the games in flight finish
// and be stored, like a first Ctrl-C). play runs the run; its error is
// returned once both the run and the UI are over.
func runWatched(ctx context.Context, cmd *cobra.Command, r *game.Runner, title string, total int, players map[string]string, play func() error) error {
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
	logw, closeLog := tuiLog(cmd)
	defer closeLog()
	_, uiErr := tui.Run(ctx, tui.Config{
		Start: tui.WatchView,
		Watch: tui.WatchConfig{Events: sub.C, Command: cmd.CommandPath(), Title: title, Total: total, Players: players, Game: described,
			Hosts: hostLoads(r.Game.Roles(), r.Players)},
		NoColor: noColor(),
	}, tui.RunOptions{In: cmd.InOrStdin(), Out: cmd.OutOrStdout(), Log: logw})
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
