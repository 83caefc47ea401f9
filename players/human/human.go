// Package human is the [game.Player] behind a person at a keyboard: Play
// hands the observation to a user interface as a [Prompt] and waits for the
// utterance the person types, or for the context to be cancelled.
//
// The package knows nothing about terminals or any particular interface; a
// UI (the tui package's play view) reads [Player.Prompts] and calls
// [Prompt.Answer].
package human

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spag-go/spag/game"
)

// ErrEmpty is returned by [Prompt.Answer] for an utterance with no text: a
// turn must say something.
var ErrEmpty = errors.New("human: empty utterance")

// ErrAnswered is returned by [Prompt.Answer] when the prompt already has an
// answer or its turn was abandoned.
var ErrAnswered = errors.New("human: prompt already answered")

// Player is a person taking turns through a user interface. It serves one
// turn at a time (its [Player.Capacity] is 1). A Player is safe for
// concurrent use.
type Player struct {
	prompts chan *Prompt
	done    chan struct{}
	close   sync.Once
	now     func() time.Time
}

// ErrClosed is returned by [Player.Play] once the player is closed.
var ErrClosed = errors.New("human: player closed")

// New returns a player whose turns are offered on [Player.Prompts]. now is
// the clock used to measure how long the person took; nil means time.Now.
func New(now func() time.Time) *Player {
	if now == nil {
		now = time.Now
	}
	return &Player{prompts: make(chan *Prompt), done: make(chan struct{}), now: now}
}

// Prompts delivers one [Prompt] per turn the person must play. The channel
// is never closed; a UI waits on [Player.Done] too.
func (p *Player) Prompts() <-chan *Prompt { return p.prompts }

// Done is closed by [Player.Close]: no more prompts will come.
func (p *Player) Done() <-chan struct{} { return p.done }

// Close ends the player's part: Done is closed and turns asked from now on
// fail with [ErrClosed]. It is safe to call more than once.
func (p *Player) Close() error {
	p.close.Do(func() { close(p.done) })
	return nil
}

// Capacity reports that a person plays one turn at a time.
func (p *Player) Capacity() int { return 1 }

// Play offers the observation on [Player.Prompts] and returns the answer
// typed for it. It returns ctx's error if ctx ends first, whether or not a
// UI took the prompt.
func (p *Player) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	pr := &Prompt{Observation: req.Observation, Episode: req.Episode, answer: make(chan string, 1)}
	start := p.now()
	select {
	case p.prompts <- pr:
	case <-p.done:
		return game.Reply{}, ErrClosed
	case <-ctx.Done():
		pr.abandon()
		return game.Reply{}, fmt.Errorf("human: wait for the UI to take turn %d: %w", req.Turn, ctx.Err())
	}
	select {
	case text := <-pr.answer:
		return game.Reply{Text: text, Usage: game.Usage{Latency: p.now().Sub(start)}}, nil
	case <-p.done:
		pr.abandon()
		return game.Reply{}, ErrClosed
	case <-ctx.Done():
		pr.abandon()
		return game.Reply{}, fmt.Errorf("human: wait for turn %d: %w", req.Turn, ctx.Err())
	}
}

// Prompt is one turn waiting for the person's utterance. It is safe for
// concurrent use.
type Prompt struct {
	// Observation is what the person may know at this turn: the secret word
	// when playing the attacker, the public transcript so far.
	Observation game.Observation
	// Episode is the index of the episode in its run.
	Episode int

	answer chan string // buffered: Answer never blocks
	once   sync.Once   // one answer or one abandonment, whichever comes first
}

// Answer gives the utterance for this turn. It never blocks. It returns
// [ErrEmpty] for blank text (the prompt stays open) and [ErrAnswered] when
// the turn already has an answer or was abandoned.
func (pr *Prompt) Answer(text string) error {
	if isBlank(text) {
		return ErrEmpty
	}
	err := ErrAnswered
	pr.once.Do(func() {
		pr.answer <- text
		err = nil
	})
	return err
}

// abandon marks the prompt as no longer wanted, so a late Answer reports
// ErrAnswered instead of pretending to have been played.
func (pr *Prompt) abandon() {
	pr.once.Do(func() {})
}

func isBlank(s string) bool {
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	return true
}
