package tui

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players/pool"
)

// PlayWatched plays a run while the watch screen shows its events, for a
// command that plays in process (spag selfplay --tui). It sets r.Events,
// and r.Drain to a channel closed by the first of the old Drain or the
// user quitting the UI (so quitting lets the games in flight finish and be
// stored, like a first Ctrl-C). w names the run (Command, Title, Total,
// Players); PlayWatched fills in its events, its game's description and
// the hosts of pooled players. play runs the run; its error is returned
// once both the run and the UI are over.
func PlayWatched(ctx context.Context, r *game.Runner, w WatchConfig, opts RunOptions, noColor bool, play func() error) error {
	w.Game, _ = game.Games.Lookup(r.Game.Name())
	w.Hosts = hostLoads(r.Game.Roles(), r.Players)
	bus := &game.Bus{}
	// A large buffer keeps fast runs from dropping events; the view
	// converges anyway since each Progress event is complete.
	sub := bus.Subscribe(8192)
	w.Events = sub.C
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
	_, uiErr := Run(ctx, Config{Start: WatchView, Watch: w, NoColor: noColor}, opts)
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
func hostLoads(roles []string, players []game.Player) func() []HostLoad {
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
	return func() []HostLoad {
		var out []HostLoad
		for _, rp := range pools {
			for _, h := range rp.pool.Stats() {
				out = append(out, HostLoad{Role: rp.role, Host: h.Host, InFlight: h.InFlight,
					Calls: h.Calls, Errors: h.Errors, Down: h.Down})
			}
		}
		return out
	}
}
