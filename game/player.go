package game

import "context"

// Player is the contract a backend satisfies: answer one observation with
// one utterance. Play must return promptly when ctx is cancelled. The
// [Runner] adds concurrency limits, timeouts and events around it, so a
// backend need not; Play may be called from many goroutines at once unless
// the player says otherwise through [Capacity].
type Player interface {
	Play(ctx context.Context, req Request) (Reply, error)
}

// Request is one turn asked of a player.
type Request struct {
	Observation
	// Episode is the index of the episode in its run.
	Episode int
	// Seed is derived from the episode's seed and the turn, so that seeded
	// backends are deterministic whatever the scheduling order.
	Seed uint64
	// OnToken, when not nil, receives generated text as it streams; it is
	// called from the goroutine running Play and must not block for long.
	OnToken func(delta string)
}

// Reply is a player's answer to one [Request].
type Reply struct {
	Text     string
	Thinking string
	Usage    Usage
	Logprobs []TokenLogprob
}

// PlayerFunc adapts a plain function to [Player].
type PlayerFunc func(ctx context.Context, req Request) (Reply, error)

// Play calls f(ctx, req).
func (f PlayerFunc) Play(ctx context.Context, req Request) (Reply, error) { return f(ctx, req) }

// Capacity is implemented by players that can serve only a bounded number of
// calls at once (a model server's parallel slots). The runner never has more
// than Capacity() calls of that player in flight; 0 or less means unbounded.
// Players that are the same value share one limit.
type Capacity interface {
	Capacity() int
}

// Preflighter is implemented by players that can check, before a run
// starts, that they will be able to play: a model server is reachable and
// has the model, a checkpoint loads. Commands call Preflight on every player
// before they write anything, so that a run that cannot play leaves nothing
// behind; players without the method are taken as ready.
type Preflighter interface {
	Preflight(ctx context.Context) error
}
