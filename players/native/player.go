package native

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/mat"
	"github.com/spag-go/spag/rl/tokenizer"
)

// Player plays turns with a [Model] in process. Each Play call becomes a
// sequence; one scheduler goroutine, started when a call arrives and
// ending when none is left, decodes up to [Options.Batch] sequences
// together (a new sequence's prompt is evaluated in the same forward pass
// as the others' next tokens), so throughput grows with the number of
// concurrent games. A sequence's tokens do not depend on which others
// share its batch: each row's arithmetic is the same alone or batched.
//
// A prompt is <s> and the encoded [game.Prompt.Text], as the trainer
// builds queries; one too long for the model's context loses tokens from
// its front (after <s>), keeping at least half the context. The reply is
// the decoded continuation up to end-of-sequence, a stop string or a cap.
//
// Player is safe for concurrent use; it implements [game.Player],
// [game.Capacity] and io.Closer.
type Player struct {
	model   *Model
	opts    Options
	pieces  []string
	closing atomic.Bool

	mu      sync.Mutex
	pending []*seq
	running bool // a scheduler goroutine is live
	// prefilled counts the prompt tokens evaluated (not found in a kept
	// cache), for tests.
	prefilled atomic.Int64
	// The arithmetic of the finished forward passes (see [Player.Work]).
	tokens, pairs, logits, passes atomic.Int64
	free                          []*Cache // caches of finished sequences, oldest first, for reuse
	keep                          int      // the most caches kept in free
	wg                            sync.WaitGroup
}

var (
	_ game.Player   = (*Player)(nil)
	_ game.Capacity = (*Player)(nil)
)

// ErrClosed is returned by Play on a closed [Player].
var ErrClosed = errors.New("native: player closed")

// NewPlayer returns a player for m. Zero MaxTokens, MaxBytes and Batch
// take their defaults; Temperature 0 decodes greedily.
func NewPlayer(m *Model, opts Options) (*Player, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("native player: %w", err)
	}
	if opts.MaxTokens == 0 {
		opts.MaxTokens = DefaultMaxTokens
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Batch == 0 {
		opts.Batch = DefaultBatch
	}
	opts.Stop = append([]string(nil), opts.Stop...)
	return &Player{model: m, opts: opts, pieces: pieceBytes(m.Vocab), keep: cachesKept(m, opts.Batch)}, nil
}

// cachesKept is how many finished sequences' caches a player keeps: a
// game's next turn usually starts with the previous turn's prompt and
// reply, so a kept cache saves evaluating that prefix again. Four per
// batch slot covers the games of a run whose concurrency exceeds the
// batch, within 256 MiB (at least one batch's worth).
func cachesKept(m *Model, batch int) int {
	c := m.Config
	bytes := 2 * c.Layers * c.Context * c.KVHeads * c.HeadDim() * 4
	return max(batch, min(4*batch, (256<<20)/max(1, bytes)))
}

// Work is the arithmetic of the player's forward passes so far, for
// throughput and roofline figures (see [Work.FLOPs]).
func (p *Player) Work() Work {
	return Work{Tokens: p.tokens.Load(), Pairs: p.pairs.Load(), Logits: p.logits.Load(), Passes: p.passes.Load()}
}

// Model is the model the player decodes with.
func (p *Player) Model() *Model { return p.model }

// Options returns the player's options, defaults filled in.
func (p *Player) Options() Options { return p.opts }

// Capacity is the batch size: the runner keeps at most this many turns
// in flight, all of which are decoded together.
func (p *Player) Capacity() int { return p.opts.Batch }

// Close fails the turns in flight with [ErrClosed], waits for the
// scheduler to stop, and makes later Play calls fail. Closing is
// optional: the scheduler stops by itself when no turn is left.
func (p *Player) Close() error {
	p.closing.Store(true)
	p.mu.Lock()
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, s := range pending {
		s.fail(ErrClosed)
	}
	p.wg.Wait()
	return nil
}

// seq is one turn being decoded. The scheduler owns every field but
// cancelled until done is closed; Play then reads the result.
type seq struct {
	prompt    []int
	maxNew    int
	rng       *rand.Rand
	out       *output
	cache     *Cache
	last      [1]int // the latest token, fed at the next step
	started   bool   // the prompt has been evaluated
	generated int
	finished  bool // done is closed; the next pass drops s
	logprobs  []game.TokenLogprob
	unsent    string // streamed text the channel had no room for yet

	stream    bool // the request has an OnToken callback
	deltas    chan string
	done      chan struct{}
	cancelled atomic.Bool

	text string // the result, set before done is closed
	err  error
}

// emit passes streamed text to Play without ever blocking the scheduler:
// what does not fit in the channel waits in unsent for the next try or
// the result. A turn nobody streams sends nothing, so that its Play call
// sleeps until the turn ends instead of waking at every token.
func (s *seq) emit(delta string) {
	if !s.stream {
		return
	}
	s.unsent += delta
	if s.unsent == "" {
		return
	}
	select {
	case s.deltas <- s.unsent:
		s.unsent = ""
	default:
	}
}

func (s *seq) fail(err error) {
	s.err = err
	s.finished = true
	close(s.done)
}

// end finishes the turn normally with the text so far.
func (s *seq) end() {
	s.emit(s.out.finish(-1))
	var kept int
	s.text, kept = s.out.result()
	s.logprobs = s.logprobs[:min(kept, len(s.logprobs))]
	s.finished = true
	close(s.done)
}

// Play generates one utterance for req. It waits for a batch slot, then
// returns when the turn ends or ctx is cancelled (checked between
// tokens). req.OnToken is called from this goroutine.
func (p *Player) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	start := time.Now()
	if p.closing.Load() {
		return game.Reply{}, ErrClosed
	}
	pr, err := req.Prompt()
	if err != nil {
		return game.Reply{}, fmt.Errorf("native: %w", err)
	}
	prompt, maxNew := p.fit(append([]int{tokenizer.BOSID}, p.model.Vocab.Encode(pr.Text())...))
	seed := req.Seed
	if p.opts.Seed != nil {
		seed = *p.opts.Seed
	}
	s := &seq{
		prompt: prompt,
		maxNew: maxNew,
		rng:    rand.New(rand.NewPCG(seed, 0x5eed_5ba9)),
		out:    newOutput(p.pieces, p.model.Vocab.AddDummyPrefix(), p.opts.Stop, p.opts.MaxBytes),
		stream: req.OnToken != nil,
		deltas: make(chan string, 16),
		done:   make(chan struct{}),
	}
	p.submit(s)

	stream := func(d string) {
		if req.OnToken != nil && d != "" {
			req.OnToken(d)
		}
	}
wait:
	for {
		select {
		case d := <-s.deltas:
			stream(d)
		case <-s.done:
			break wait
		case <-ctx.Done():
			s.cancelled.Store(true)
			return game.Reply{}, ctx.Err()
		}
	}
	// Everything sent on deltas happened before done was closed.
	for len(s.deltas) > 0 {
		stream(<-s.deltas)
	}
	if s.err != nil {
		return game.Reply{}, s.err
	}
	stream(s.unsent)
	// A callback that cancelled ctx while the rest of a quickly finished
	// turn was streamed gets the cancellation, as it would have a token
	// earlier.
	if err := ctx.Err(); err != nil {
		return game.Reply{}, err
	}
	return game.Reply{
		Text:     s.text,
		Logprobs: s.logprobs,
		Usage:    game.Usage{PromptTokens: len(s.prompt), OutputTokens: s.generated, Latency: time.Since(start)},
	}, nil
}

// fit cuts a prompt to the model's context and returns it with the
// number of tokens that may follow it.
func (p *Player) fit(prompt []int) ([]int, int) {
	ctxLen := p.model.Config.Context
	// Generating n tokens forwards the prompt and n-1 of them.
	keep := min(len(prompt), max(ctxLen/2, ctxLen-p.opts.MaxTokens+1))
	if keep < len(prompt) {
		prompt = append([]int{tokenizer.BOSID}, prompt[len(prompt)-keep+1:]...)
	}
	return prompt, min(p.opts.MaxTokens, ctxLen-len(prompt)+1)
}

// submit queues s for the scheduler, starting one if none runs.
func (p *Player) submit(s *seq) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing.Load() {
		s.fail(ErrClosed)
		return
	}
	p.pending = append(p.pending, s)
	if !p.running {
		p.running = true
		p.wg.Add(1)
		go p.schedule()
	}
}

// schedule decodes until no sequence is active or pending: each pass
// drops finished and cancelled sequences, admits pending ones up to the
// batch size, and advances all of them by one forward pass. The sweep
// comes first so that a finished sequence never keeps a pending one out
// of a full batch when the scheduler decides to stop.
func (p *Player) schedule() {
	defer p.wg.Done()
	// The sequences of a step sample their next tokens in parallel, each
	// loop part with a sampler (scratch space) of its own.
	st := &stepper{p: p}
	for i := range st.samplers {
		st.samplers[i] = sampler{temperature: p.opts.Temperature, topK: p.opts.TopK, topP: p.opts.TopP}
	}
	st.fn = st.advance
	var active []*seq
	chunks := make([]chunk, 0, p.opts.Batch)
	ws := new(workspace)
	for {
		closing := p.closing.Load()
		p.mu.Lock()
		// Finished sequences leave the batch; their caches are kept.
		kept := active[:0]
		for _, s := range active {
			switch {
			case s.finished, s.cancelled.Load():
			case closing:
				s.fail(ErrClosed)
			default:
				kept = append(kept, s)
				continue
			}
			p.release(s)
		}
		clear(active[len(kept):])
		active = kept
		// Then pending ones join, up to the batch size.
		for len(active) < p.opts.Batch && len(p.pending) > 0 && !closing {
			s := p.pending[0]
			p.pending[0] = nil
			p.pending = p.pending[1:]
			if s.cancelled.Load() {
				continue
			}
			p.reuse(s)
			active = append(active, s)
		}
		if len(active) == 0 {
			p.running = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()

		chunks = chunks[:0]
		for _, s := range active {
			if s.cache == nil {
				s.cache = p.model.NewCache()
			}
			if !s.started {
				// The prompt past what a reused cache already holds.
				chunks = append(chunks, chunk{s.cache, s.prompt[s.cache.Len():]})
				p.prefilled.Add(int64(len(s.prompt) - s.cache.Len()))
				s.started = true
			} else {
				chunks = append(chunks, chunk{s.cache, s.last[:]})
			}
		}
		rows, err := p.model.forward(ws, chunks, false)
		if err != nil {
			for _, s := range active {
				s.fail(fmt.Errorf("native: decode: %w", err))
			}
			continue
		}
		p.tokens.Add(ws.work.Tokens)
		p.pairs.Add(ws.work.Pairs)
		p.logits.Add(ws.work.Logits)
		p.passes.Add(ws.work.Passes)
		ws.work = Work{}
		st.active, st.rows = active, rows
		mat.Parallel(len(active), maxParts, st.fn)
	}
}

// stepper advances a step's sequences by their new logits, split across
// goroutines: sampling and the log-probability of the pick read the
// whole vocabulary for every sequence.
type stepper struct {
	p        *Player
	active   []*seq
	rows     [][]float32
	samplers [maxParts]sampler
	fn       func(part, lo, hi int) // advance, made once
}

func (st *stepper) advance(part, lo, hi int) {
	for i := lo; i < hi; i++ {
		st.p.advance(st.active[i], st.rows[i], &st.samplers[part])
	}
}

// release keeps a finished sequence's cache for the next one; p.mu is
// held.
func (p *Player) release(s *seq) {
	if s.cache != nil {
		if len(p.free) == p.keep {
			p.free = slices.Delete(p.free, 0, 1) // the oldest goes
		}
		p.free = append(p.free, s.cache)
	}
	s.cache = nil
}

// reuse gives s the kept cache that shares the longest prefix with its
// prompt, cut to that prefix (leaving at least one prompt token to
// evaluate, whose logits start the reply); p.mu is held. Evaluating the
// rest of the prompt on top gives the same numbers, bit for bit, as a
// fresh evaluation: every row of a forward pass is computed alike
// whatever else is in it.
func (p *Player) reuse(s *seq) {
	best, n := -1, -1
	for i, c := range p.free {
		if l := c.commonPrefix(s.prompt); l > n {
			best, n = i, l
		}
	}
	if best < 0 {
		return
	}
	s.cache = p.free[best]
	p.free = slices.Delete(p.free, best, best+1)
	s.cache.Truncate(min(n, len(s.prompt)-1))
}

// advance samples s's next token from logits and ends the turn at
// end-of-sequence, a stop string or a cap.
func (p *Player) advance(s *seq, logits []float32, smp *sampler) {
	id := smp.next(logits, s.rng)
	s.generated++
	if id == tokenizer.EOSID {
		s.end()
		return
	}
	s.logprobs = append(s.logprobs, game.TokenLogprob{Token: p.pieces[id], Logprob: logSoftmaxAt(logits, id, smp.exp[:])})
	delta, done := s.out.add(id)
	s.emit(delta)
	if done || s.generated >= s.maxNew {
		s.end()
		return
	}
	s.last[0] = id
}
