package pool_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players/pool"
	"github.com/spag-go/spag/taboo"
)

// The scheduling benchmark compares two ways of keeping a model server busy,
// against a simulated server with a fixed number of parallel slots whose
// latency is proportional to the output length:
//
//   - engine: the spag engine (game.Runner) with more games in flight than
//     slots, each call going through a host pool capped at the slot count,
//     so a slot freed by one game is taken at once by another;
//   - batch: the turn-synchronous loop of the reference implementation: a
//     batch of games (as many as slots) advances one turn at a time, each
//     turn waiting for its slowest game, and finished games leave their
//     slot idle until the whole batch ends.
//
// Utilisation is busy slot-time over (slots × wall time).

// simServer is the simulated model server.
type simServer struct {
	slots    chan struct{}
	perToken time.Duration
	busy     atomic.Int64 // nanoseconds of slot time spent generating
}

func newSimServer(slots int, perToken time.Duration) *simServer {
	return &simServer{slots: make(chan struct{}, slots), perToken: perToken}
}

// generate occupies a slot for tokens × perToken; callers beyond the slot
// count queue, as at a real server.
func (s *simServer) generate(ctx context.Context, tokens int) error {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.slots }()
	start := time.Now()
	t := time.NewTimer(time.Duration(tokens) * s.perToken)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.busy.Add(int64(time.Since(start)))
	return nil
}

// simTurn decides, from the turn's seed alone, how long the utterance is
// (8 to 120 tokens, most short, a few long, as model outputs are) and
// whether the defender guesses now (ending the episode), so that both
// schedulers play exactly the same games.
func simTurn(req game.Request) (tokens int, text string) {
	x := game.SplitMix64(req.Seed)
	tokens = 8 + int(x%32)
	if x>>8%8 == 0 {
		tokens = 40 + int(x>>16%81)
	}
	text = "It is something you may know."
	if req.Role == "defender" {
		text = "Is it a thing?"
		if x>>32%4 == 0 {
			text = "I know the word! It is thing!"
		}
	}
	return tokens, text
}

// simPlayer is a game.Player backed by the simulated server through a host
// pool, as the Ollama and OpenAI backends are.
type simPlayer struct {
	srv  *simServer
	pool *pool.Pool
}

func (p *simPlayer) Capacity() int { return p.pool.Capacity() }

func (p *simPlayer) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	tokens, text := simTurn(req)
	err := p.pool.Do(ctx, func(ctx context.Context, host string) error { return p.srv.generate(ctx, tokens) })
	return game.Reply{Text: text, Usage: game.Usage{OutputTokens: tokens}}, err
}

type schedResult struct {
	episodes    int
	wall        time.Duration
	utilisation float64
}

func (r schedResult) perSecond() float64 { return float64(r.episodes) / r.wall.Seconds() }

func setups(n int) []game.Setup {
	out := make([]game.Setup, n)
	for i := range out {
		out[i] = game.Setup{Index: i, Seed: game.SplitMix64(uint64(i) + 1), Subject: "apple"}
	}
	return out
}

func newGame(tb testing.TB) game.Game {
	g, err := taboo.New(taboo.Params{MaxTurns: 5})
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// runEngine plays the setups with the spag engine: 2×slots games in flight,
// calls capped at slots by the player's pool.
func runEngine(tb testing.TB, slots int, perToken time.Duration, eps int) schedResult {
	srv := newSimServer(slots, perToken)
	p, err := pool.New([]string{"sim"}, pool.Config{PerHost: slots})
	if err != nil {
		tb.Fatal(err)
	}
	player := &simPlayer{srv: srv, pool: p}
	r := &game.Runner{Game: newGame(tb), Players: []game.Player{player, player}, Concurrency: 2 * slots}
	var n atomic.Int64 // the sink runs on several goroutines
	start := time.Now()
	err = r.Run(context.Background(), setups(eps), func(ctx context.Context, ep *game.Episode) error {
		if ep.Errored() {
			return fmt.Errorf("episode %d: %s", ep.Index, ep.Err)
		}
		n.Add(1)
		return nil
	})
	wall := time.Since(start)
	if err != nil {
		tb.Fatal(err)
	}
	return schedResult{episodes: int(n.Load()), wall: wall, utilisation: float64(srv.busy.Load()) / (float64(slots) * float64(wall))}
}

// runBatch plays the setups turn-synchronously in batches of slots games.
func runBatch(tb testing.TB, slots int, perToken time.Duration, eps int) schedResult {
	srv := newSimServer(slots, perToken)
	g := newGame(tb)
	all := setups(eps)
	n := 0
	start := time.Now()
	for lo := 0; lo < len(all); lo += slots {
		batch := all[lo:min(lo+slots, len(all))]
		states := make([]game.State, len(batch))
		for i, s := range batch {
			st, err := g.NewState(s)
			if err != nil {
				tb.Fatal(err)
			}
			states[i] = st
		}
		for turn := 1; ; turn++ {
			var wg sync.WaitGroup
			active := 0
			for i, st := range states {
				if st.IsTerminal() {
					continue
				}
				active++
				obs := st.Observation(st.CurrentPlayer())
				req := game.Request{Observation: obs, Episode: batch[i].Index, Seed: game.TurnSeed(batch[i].Seed, turn)}
				wg.Go(func() {
					tokens, text := simTurn(req)
					if err := srv.generate(context.Background(), tokens); err != nil {
						tb.Error(err)
					}
					if err := st.Apply(text); err != nil {
						tb.Error(err)
					}
				})
			}
			if active == 0 {
				break
			}
			wg.Wait() // the turn ends with its slowest game
		}
		n += len(batch)
	}
	wall := time.Since(start)
	return schedResult{episodes: n, wall: wall, utilisation: float64(srv.busy.Load()) / (float64(slots) * float64(wall))}
}

// BenchmarkScheduling reports, for each scheduler, episodes/s and slot
// utilisation over the same 256 episodes against an 8-slot simulated server
// at 100µs per token.
//
//	go test -run '^$' -bench Scheduling -benchtime 3x ./players/pool
func BenchmarkScheduling(b *testing.B) {
	const slots, eps, perToken = 8, 256, 100 * time.Microsecond
	for _, s := range []struct {
		name string
		run  func(testing.TB, int, time.Duration, int) schedResult
	}{{"engine", runEngine}, {"batch", runBatch}} {
		b.Run(s.name, func(b *testing.B) {
			var total schedResult
			for b.Loop() {
				r := s.run(b, slots, perToken, eps)
				total.episodes += r.episodes
				total.wall += r.wall
				total.utilisation += r.utilisation
			}
			b.ReportMetric(float64(total.episodes)/total.wall.Seconds(), "episodes/s")
			b.ReportMetric(100*total.utilisation/float64(b.N), "%util")
		})
	}
}

// TestSchedulingBeatsBatchLoop runs a small version of the benchmark and
// checks the engine's advantage with margins wide enough for a busy CI
// machine (the benchmark's numbers are in docs/backends.md).
func TestSchedulingBeatsBatchLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	const slots, eps, perToken = 8, 96, 100 * time.Microsecond
	e := runEngine(t, slots, perToken, eps)
	bl := runBatch(t, slots, perToken, eps)
	t.Logf("engine %.0f episodes/s, %.0f%% util; batch %.0f episodes/s, %.0f%% util; ratio %.2f",
		e.perSecond(), 100*e.utilisation, bl.perSecond(), 100*bl.utilisation, e.perSecond()/bl.perSecond())
	if e.episodes != eps || bl.episodes != eps {
		t.Fatalf("played %d and %d episodes, want %d", e.episodes, bl.episodes, eps)
	}
	if e.utilisation < 0.75 || e.perSecond() < 1.2*bl.perSecond() {
		t.Errorf("engine: %.0f%% utilisation, %.2f× the batch loop; want >= 75%% and >= 1.2×",
			100*e.utilisation, e.perSecond()/bl.perSecond())
	}
}
