package game

import (
	"sync"
	"sync/atomic"
	"time"
)

// Event is something that happened during a run. The concrete types are
// [EpisodeStarted], [TurnStarted], [TokenDelta], [TurnFinished],
// [EpisodeFinished] and [Progress].
type Event interface{ isEvent() }

// EpisodeStarted is published when an episode begins.
type EpisodeStarted struct {
	Setup Setup
	At    time.Time
}

// TurnStarted is published before a player is asked for an utterance.
type TurnStarted struct {
	Episode int
	Turn    int
	Player  int
	Role    string
}

// TokenDelta carries streamed text of the turn in progress, for players
// that stream.
type TokenDelta struct {
	Episode int
	Turn    int
	Text    string
}

// TurnFinished is published once an utterance has been applied to the state.
type TurnFinished struct {
	Episode int
	Turn    Turn
}

// EpisodeFinished is published after the sink accepted the episode. The
// episode must not be modified by subscribers.
type EpisodeFinished struct {
	Episode *Episode
}

// Progress summarises the run after each finished episode.
type Progress struct {
	// Total is the number of episodes the run was asked to play.
	Total    int
	Done     int
	Errored  int
	InFlight int
	// Outcomes counts finished episodes by verdict outcome; it is a fresh
	// map in every event.
	Outcomes map[string]int
	Elapsed  time.Duration
}

func (EpisodeStarted) isEvent()  {}
func (TurnStarted) isEvent()     {}
func (TokenDelta) isEvent()      {}
func (TurnFinished) isEvent()    {}
func (EpisodeFinished) isEvent() {}
func (Progress) isEvent()        {}

// Bus fans events out to subscribers without ever slowing the publisher: a
// subscriber whose buffer is full misses the event, and its Dropped count
// grows. Since every [Progress] event carries complete counts, a view that
// misses some events still converges. A Bus is safe for concurrent use; the
// zero value is ready to use.
type Bus struct {
	mu     sync.RWMutex
	subs   []*Subscription
	active atomic.Int32
}

// Subscription is one subscriber's stream of events.
type Subscription struct {
	// C delivers events in publication order (for events from one episode).
	// It is closed by Close.
	C       <-chan Event
	c       chan Event
	bus     *Bus
	dropped atomic.Uint64
	once    sync.Once
}

// Subscribe returns a subscription buffering up to buffer events (at least 1).
func (b *Bus) Subscribe(buffer int) *Subscription {
	if buffer < 1 {
		buffer = 1
	}
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, bus: b}
	b.mu.Lock()
	b.subs = append(b.subs, s)
	b.active.Store(int32(len(b.subs)))
	b.mu.Unlock()
	return s
}

// Active reports whether anybody is subscribed, so that publishers can skip
// building events nobody reads.
func (b *Bus) Active() bool { return b != nil && b.active.Load() > 0 }

// Publish delivers e to every subscriber that has room for it.
func (b *Bus) Publish(e Event) {
	if !b.Active() {
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, s := range b.subs {
		select {
		case s.c <- e:
		default:
			s.dropped.Add(1)
		}
	}
}

// Dropped is the number of events this subscriber missed because its buffer
// was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close unsubscribes and closes C. It is safe to call more than once.
func (s *Subscription) Close() {
	s.once.Do(func() {
		b := s.bus
		b.mu.Lock()
		for i, x := range b.subs {
			if x == s {
				b.subs = append(b.subs[:i:i], b.subs[i+1:]...)
				break
			}
		}
		b.active.Store(int32(len(b.subs)))
		// Closing under the write lock means no Publish is sending on c.
		close(s.c)
		b.mu.Unlock()
	})
}
