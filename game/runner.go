package game

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Runner plays episodes of one game between fixed players. Set its fields,
// then call [Runner.Play] or [Runner.Run]; do not change them while a run is
// in progress. A Runner is safe for concurrent use.
type Runner struct {
	// Game is the game to play.
	Game Game
	// Players answer for each player index (Players[0] plays Roles()[0]).
	Players []Player
	// Concurrency bounds the number of episodes in flight in Run; 0 means
	// runtime.GOMAXPROCS(0).
	Concurrency int
	// TurnTimeout bounds each player call; 0 means no limit.
	TurnTimeout time.Duration
	// Events, when not nil, receives the run's events.
	Events *Bus
	// Drain, when closed, stops Run from starting new episodes; episodes in
	// flight finish and are handed to the sink. Cancelling the context
	// passed to Run stops them too.
	Drain <-chan struct{}
	// DrainGrace bounds how long the episodes in flight may take to
	// finish once Drain is closed: then their turns are cancelled, they
	// are dropped as incomplete (not handed to the sink), and Run returns
	// [ErrDrained]. It keeps a failing or stalled backend, whose turns
	// retry or wait out their timeout, from holding a drain for minutes.
	// 0 means no bound.
	DrainGrace time.Duration
	// OnTurn, when not nil, is called after each turn has been applied,
	// with the episode's turns so far, from the goroutine playing the
	// episode, so that progress can be recorded before the episode ends.
	// The turns are never modified afterwards and may be kept. OnTurn must
	// be fast and never block.
	OnTurn func(setup Setup, turns []Turn)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Sink receives finished episodes, one call at a time per goroutine; Run may
// call it from several goroutines at once. An error stops the run.
type Sink func(ctx context.Context, ep *Episode) error

// ErrDrained is returned by Run when it stopped early because Drain was
// closed.
var ErrDrained = errors.New("game: run drained before all episodes were played")

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// TurnSeed derives the seed of turn n of an episode, so that each turn of
// each episode gets an independent, reproducible random stream.
func TurnSeed(episodeSeed uint64, turn int) uint64 {
	return SplitMix64(episodeSeed ^ SplitMix64(uint64(turn)+0x9e3779b97f4a7c15))
}

// SplitMix64 is a fast, well-mixed 64-bit hash (Steele et al.), used to
// derive independent seeds.
func SplitMix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// limiter bounds calls per player value, as declared through [Capacity].
type limiter struct {
	slots []chan struct{} // by player index; nil means unbounded
}

func newLimiter(players []Player) *limiter {
	l := &limiter{slots: make([]chan struct{}, len(players))}
	shared := map[any]chan struct{}{}
	for i, p := range players {
		c, ok := p.(Capacity)
		if !ok || c.Capacity() <= 0 {
			continue
		}
		// Players that are the same value share one limit; values that
		// cannot be map keys (functions) get their own.
		if p != nil && reflect.TypeOf(p).Comparable() {
			if ch, ok := shared[p]; ok {
				l.slots[i] = ch
				continue
			}
			shared[p] = make(chan struct{}, c.Capacity())
			l.slots[i] = shared[p]
			continue
		}
		l.slots[i] = make(chan struct{}, c.Capacity())
	}
	return l
}

func (l *limiter) acquire(ctx context.Context, player int) error {
	ch := l.slots[player]
	if ch == nil {
		return nil
	}
	select {
	case ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *limiter) release(player int) {
	if ch := l.slots[player]; ch != nil {
		<-ch
	}
}

func (r *Runner) check() error {
	if r.Game == nil {
		return errors.New("game: runner has no game")
	}
	if len(r.Players) != len(r.Game.Roles()) {
		return fmt.Errorf("game: %s needs %d players, runner has %d", r.Game.Name(), len(r.Game.Roles()), len(r.Players))
	}
	for i, p := range r.Players {
		if p == nil {
			return fmt.Errorf("game: no player for role %s", r.Game.Roles()[i])
		}
	}
	return nil
}

// Play plays one episode to its end. Failures of players are recorded in
// the returned episode's Err, not returned: a failed model call is not a game
// outcome. The error is non-nil only for a misconfigured runner or a
// cancelled ctx (then the episode is incomplete and must not be stored).
func (r *Runner) Play(ctx context.Context, setup Setup) (*Episode, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return r.play(ctx, setup, newLimiter(r.Players))
}

func (r *Runner) play(ctx context.Context, setup Setup, lim *limiter) (*Episode, error) {
	ep := &Episode{Setup: setup, StartedAt: r.now()}
	events := r.Events.Active()
	if events {
		r.Events.Publish(EpisodeStarted{Setup: setup, At: ep.StartedAt})
	}
	state, err := r.Game.NewState(setup)
	if err != nil {
		ep.Err = fmt.Sprintf("new state: %v", err)
		ep.FinishedAt = r.now()
		return ep, nil
	}
	for n := 1; !state.IsTerminal(); n++ {
		if err := ctx.Err(); err != nil {
			return ep, err
		}
		p := state.CurrentPlayer()
		obs := state.Observation(p)
		req := Request{Observation: obs, Episode: setup.Index, Seed: TurnSeed(setup.Seed, n)}
		if events {
			r.Events.Publish(TurnStarted{Episode: setup.Index, Turn: n, Player: p, Role: obs.Role})
			req.OnToken = func(delta string) {
				r.Events.Publish(TokenDelta{Episode: setup.Index, Turn: n, Text: delta})
			}
		}
		reply, err := r.call(ctx, lim, p, req)
		if err != nil {
			if ctx.Err() != nil {
				return ep, ctx.Err()
			}
			ep.Err = (&TurnError{Episode: setup.Index, Turn: n, Role: obs.Role, Err: err}).Error()
			ep.FinishedAt = r.now()
			return ep, nil
		}
		if err := state.Apply(reply.Text); err != nil {
			ep.Err = (&TurnError{Episode: setup.Index, Turn: n, Role: obs.Role, Err: fmt.Errorf("apply: %w", err)}).Error()
			ep.FinishedAt = r.now()
			return ep, nil
		}
		ep.Turns = append(ep.Turns, Turn{
			N: n, Player: p, Role: obs.Role, Text: reply.Text, Thinking: reply.Thinking,
			Usage: reply.Usage, Logprobs: reply.Logprobs,
		})
		if r.OnTurn != nil {
			r.OnTurn(setup, ep.Turns[:len(ep.Turns):len(ep.Turns)])
		}
		if events {
			r.Events.Publish(TurnFinished{Episode: setup.Index, Turn: ep.Turns[len(ep.Turns)-1]})
		}
	}
	ep.Verdict = state.Verdict()
	ep.FinishedAt = r.now()
	return ep, nil
}

func (r *Runner) call(ctx context.Context, lim *limiter, player int, req Request) (Reply, error) {
	if err := lim.acquire(ctx, player); err != nil {
		return Reply{}, err
	}
	defer lim.release(player)
	if r.TurnTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.TurnTimeout)
		defer cancel()
	}
	start := r.now()
	reply, err := r.Players[player].Play(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	if reply.Usage.Latency == 0 {
		reply.Usage.Latency = r.now().Sub(start)
	}
	return reply, nil
}

// graceAfterDrain cancels the run with [ErrDrained] once DrainGrace has
// passed after Drain closed; the returned function stops the watch and
// waits for it.
func (r *Runner) graceAfterDrain(cancel context.CancelCauseFunc) (stop func()) {
	if r.Drain == nil || r.DrainGrace <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-r.Drain:
		case <-done:
			return
		}
		t := time.NewTimer(r.DrainGrace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel(ErrDrained)
		case <-done:
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// Run plays every setup, at most Concurrency episodes at a time, and hands
// each finished or errored episode to sink in completion order. Episodes
// interrupted by cancellation are not handed over (they are incomplete).
// Run returns the first sink error, ctx's error if it was cancelled,
// [ErrDrained] if Drain stopped it early, or nil.
func (r *Runner) Run(ctx context.Context, setups []Setup, sink Sink) error {
	return r.RunSeq(ctx, len(setups), slices.Values(setups), sink)
}

// RunSeq is [Runner.Run] over setups produced one at a time, so that a run of
// a hundred million episodes never holds their setups in memory. total is
// the number of setups the sequence yields, for progress events.
func (r *Runner) RunSeq(ctx context.Context, total int, setups iter.Seq[Setup], sink Sink) error {
	if err := r.check(); err != nil {
		return err
	}
	limit := r.Concurrency
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	lim := newLimiter(r.Players)
	// The run is cancelled as soon as a sink fails, before that goroutine
	// gives its slot back, so that no new episode starts after a failure.
	runCtx, cancelRun := context.WithCancelCause(ctx)
	defer cancelRun(nil)
	g, gctx := errgroup.WithContext(runCtx)
	slots := make(chan struct{}, limit)

	start := r.now()
	var mu sync.Mutex
	progress := Progress{Total: total, Outcomes: map[string]int{}}
	finish := func(ep *Episode) {
		mu.Lock()
		progress.InFlight--
		progress.Done++
		if ep.Errored() {
			progress.Errored++
		} else {
			progress.Outcomes[ep.Verdict.Outcome]++
		}
		// Publishing under the lock keeps the Progress events in the order
		// of their counts: a subscriber never sees a count go back, and one
		// that drops none ends with the final tally. Publish never blocks,
		// so holding the lock costs little.
		if r.Events.Active() {
			snapshot := progress
			snapshot.Elapsed = r.now().Sub(start)
			snapshot.Outcomes = maps.Clone(progress.Outcomes)
			r.Events.Publish(EpisodeFinished{Episode: ep})
			r.Events.Publish(snapshot)
		}
		mu.Unlock()
	}

	defer r.graceAfterDrain(cancelRun)()

	drained := false
launch:
	for s := range setups {
		select {
		case <-r.Drain:
			drained = true
			break launch
		case <-gctx.Done():
			break launch
		case slots <- struct{}{}:
		}
		// A slot may be ready together with Drain or cancellation; those win.
		select {
		case <-r.Drain:
			<-slots
			drained = true
			break launch
		case <-gctx.Done():
			<-slots
			break launch
		default:
		}
		g.Go(func() error {
			defer func() { <-slots }()
			mu.Lock()
			progress.InFlight++
			mu.Unlock()
			ep, err := r.play(gctx, s, lim)
			if err != nil {
				mu.Lock()
				progress.InFlight--
				mu.Unlock()
				return err
			}
			if err := sink(gctx, ep); err != nil {
				err = fmt.Errorf("episode %d: %w", s.Index, err)
				cancelRun(err)
				return err
			}
			finish(ep)
			return nil
		})
	}
	err := g.Wait()
	// After a sink failure the other episodes stop with the cancelled
	// context's error, and one of them may reach the group first; the
	// caller wants the failure that stopped the run, not "context canceled".
	if cause := context.Cause(runCtx); err != nil && cause != nil {
		err = cause
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err == nil && drained {
		err = ErrDrained
	}
	return err
}
