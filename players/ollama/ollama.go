// Package ollama is the spag player backed by Ollama servers, through
// Ollama's official Go client (github.com/ollama/ollama/api).
//
// A [Player] streams each turn from /api/chat (or /api/generate), passes
// the text deltas to the engine as they arrive, and records token counts,
// latency and token log-probabilities; a reasoning model's thinking is kept
// apart from its utterance. Calls are spread over a pool of hosts
// (players/pool) with its failure policy: transient failures are retried
// with backoff on another host, fatal ones (a missing model) fail fast, and
// [Player.Preflight] checks every host before a run starts.
//
// The package knows nothing about games' rules or storage.
package ollama

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/envconfig"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players/internal/modelout"
	"github.com/spag-go/spag/players/pool"
)

// Player answers turns with an Ollama model. It is safe for concurrent use;
// it implements [game.Player] and [game.Capacity].
type Player struct {
	cfg     Config
	pool    *pool.Pool
	clients map[string]*api.Client
	hc      []*http.Client
	think   *api.ThinkValue
}

var (
	_ game.Player   = (*Player)(nil)
	_ game.Capacity = (*Player)(nil)
)

// New returns a player for cfg. It does not contact any server; call
// [Player.Preflight] for that.
func New(cfg Config) (*Player, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("ollama: no model named")
	}
	if len(cfg.Hosts) == 0 {
		cfg.Hosts = []string{envconfig.Host().String()}
	}
	switch cfg.Mode {
	case "":
		cfg.Mode = Chat
	case Chat, Generate:
	default:
		return nil, fmt.Errorf("ollama: mode %q: want chat or generate", cfg.Mode)
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = DefaultMaxTokens
		// An explicit num_predict above the default cap raises the cap.
		if n, ok := cfg.Options["num_predict"].(int); ok && n > cfg.MaxTokens {
			cfg.MaxTokens = n
		}
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Stall == 0 {
		cfg.Stall = time.Minute
	}
	if cfg.TopLogprobs < 0 || cfg.TopLogprobs > 20 {
		return nil, fmt.Errorf("ollama: top_logprobs %d: want 0..20", cfg.TopLogprobs)
	}
	p := &Player{cfg: cfg, clients: map[string]*api.Client{}}
	switch cfg.Think {
	case "":
	case "true", "false":
		p.think = &api.ThinkValue{Value: cfg.Think == "true"}
	case "low", "medium", "high":
		p.think = &api.ThinkValue{Value: cfg.Think}
	default:
		return nil, fmt.Errorf("ollama: think %q: want true, false, low, medium or high", cfg.Think)
	}
	pc := cfg.Pool
	pc.Classify = classify
	pc.Health = p.health
	var err error
	if p.pool, err = pool.New(cfg.Hosts, pc); err != nil {
		return nil, fmt.Errorf("ollama: %w", err)
	}
	perHost := p.pool.Capacity() / len(cfg.Hosts)
	for _, h := range p.pool.Hosts() {
		u, err := url.Parse(h)
		if err != nil {
			return nil, fmt.Errorf("ollama: host %q: %w", h, err)
		}
		// One transport per host, keeping as many idle connections as calls
		// may be in flight, so that a busy pool never reconnects.
		hc := &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: perHost + 2,
			IdleConnTimeout:     90 * time.Second,
		}}
		p.hc = append(p.hc, hc)
		p.clients[h] = api.NewClient(u, hc)
	}
	return p, nil
}

// Model is the model's name.
func (p *Player) Model() string { return p.cfg.Model }

// Hosts are the servers of the pool.
func (p *Player) Hosts() []string { return p.pool.Hosts() }

// Pool returns the player's host pool (for its statistics).
func (p *Player) Pool() *pool.Pool { return p.pool }

// Capacity is the pool's capacity: hosts times calls per host.
func (p *Player) Capacity() int { return p.pool.Capacity() }

// Close releases idle connections.
func (p *Player) Close() error {
	for _, hc := range p.hc {
		hc.CloseIdleConnections()
	}
	return nil
}

// ModelNotFoundError says that a host does not have the model.
type ModelNotFoundError struct {
	Model, Host string
}

func (e *ModelNotFoundError) Error() string {
	return fmt.Sprintf("model %q not found on %s (pull it with: ollama pull %s)", e.Model, e.Host, e.Model)
}

// Preflight checks, before a run, that every host answers and has the
// model (and, when thinking is asked for, that the model can think). Its
// errors are fatal: the run must not start.
func (p *Player) Preflight(ctx context.Context) error {
	for _, h := range p.pool.Hosts() {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		resp, err := p.clients[h].Show(cctx, &api.ShowRequest{Model: p.cfg.Model})
		cancel()
		var se api.StatusError
		switch {
		case errors.As(err, &se) && se.StatusCode == http.StatusNotFound:
			return &ModelNotFoundError{Model: p.cfg.Model, Host: h}
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			return fmt.Errorf("ollama server %s does not answer (is it running? start it with: ollama serve): %w", h, err)
		}
		if p.think != nil && p.cfg.Think != "false" && !hasCapability(resp, "thinking") {
			return fmt.Errorf("model %q on %s cannot think; drop think=%s or pick a thinking model", p.cfg.Model, h, p.cfg.Think)
		}
	}
	return nil
}

func hasCapability(r *api.ShowResponse, c string) bool {
	for _, x := range r.Capabilities {
		if string(x) == c {
			return true
		}
	}
	return false
}

func (p *Player) health(ctx context.Context, host string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return p.clients[host].Heartbeat(ctx)
}

var (
	// errStalled ends an attempt whose stream went silent.
	errStalled = errors.New("stream stalled")
	// errCutStream is a stream that ended without its final chunk.
	errCutStream = errors.New("stream ended before the answer was complete")
)

// classify applies the failure policy to Ollama's errors: HTTP statuses by
// code, everything else (refused or reset connections, timeouts, a stream
// that broke or stalled, a runner that crashed) as transient.
func classify(err error) pool.Class {
	var se api.StatusError
	if errors.As(err, &se) {
		if pool.TransientStatus(se.StatusCode) {
			return pool.Transient
		}
		return pool.Fatal
	}
	var ae api.AuthorizationError
	if errors.As(err, &ae) {
		return pool.Fatal
	}
	return pool.Transient
}

// Play answers one turn. It returns promptly when ctx ends.
func (p *Player) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	start := time.Now()
	prompt, err := req.Observation.Prompt()
	if err != nil {
		return game.Reply{}, fmt.Errorf("ollama: %w", err)
	}
	opts := make(map[string]any, len(p.cfg.Options)+2)
	for k, v := range p.cfg.Options {
		opts[k] = v
	}
	if _, ok := opts["seed"]; !ok {
		// Ollama's seed is an int fed to a 32-bit sampler seed.
		opts["seed"] = int(req.Seed & 0x7fffffff)
	}
	if _, ok := opts["num_predict"]; !ok {
		opts["num_predict"] = p.cfg.MaxTokens
	}
	var keepAlive *api.Duration
	if p.cfg.KeepAlive != nil {
		keepAlive = &api.Duration{Duration: *p.cfg.KeepAlive}
	}

	out := modelout.Collector{MaxTokens: p.cfg.MaxTokens, MaxBytes: p.cfg.MaxBytes, OnToken: req.OnToken}
	var metrics api.Metrics
	err = p.pool.Do(ctx, func(ctx context.Context, host string) error {
		out.Reset()
		metrics = api.Metrics{}
		ctx, stall := p.watchStall(ctx)
		defer stall.stop()
		client := p.clients[host]
		var err error
		done := false
		if p.cfg.Mode == Generate {
			err = client.Generate(ctx, &api.GenerateRequest{
				Model: p.cfg.Model, Prompt: prompt.Text(), Raw: p.cfg.Raw, Options: opts, KeepAlive: keepAlive,
				Think: p.think, Logprobs: p.cfg.Logprobs, TopLogprobs: p.cfg.TopLogprobs,
			}, func(r api.GenerateResponse) error {
				stall.tick()
				if r.Done {
					metrics, done = r.Metrics, true
				}
				addLogprobs(&out, r.Logprobs)
				return out.Add(r.Response, r.Thinking)
			})
		} else {
			msgs := make([]api.Message, len(prompt.Messages))
			for i, m := range prompt.Messages {
				msgs[i] = api.Message{Role: m.Role, Content: m.Content}
			}
			err = client.Chat(ctx, &api.ChatRequest{
				Model: p.cfg.Model, Messages: msgs, Options: opts, KeepAlive: keepAlive,
				Think: p.think, Logprobs: p.cfg.Logprobs, TopLogprobs: p.cfg.TopLogprobs,
			}, func(r api.ChatResponse) error {
				stall.tick()
				if r.Done {
					metrics, done = r.Metrics, true
				}
				addLogprobs(&out, r.Logprobs)
				return out.Add(r.Message.Content, r.Message.Thinking)
			})
		}
		switch {
		case errors.Is(err, modelout.ErrCapped):
			return nil // keep the truncated output
		case stall.fired():
			return fmt.Errorf("%w: nothing for %s", errStalled, p.cfg.Stall)
		case err == nil && !done:
			// The client ends a stream that was cut (connection reset,
			// server killed) without an error; only the final chunk
			// proves the answer complete.
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			return errCutStream
		}
		return err
	})
	if err != nil {
		var nf api.StatusError
		var pe *pool.Error
		if errors.As(err, &nf) && nf.StatusCode == http.StatusNotFound && errors.As(err, &pe) {
			return game.Reply{}, fmt.Errorf("ollama: %w", &ModelNotFoundError{Model: p.cfg.Model, Host: pe.Host})
		}
		return game.Reply{}, fmt.Errorf("ollama %s: %w", p.cfg.Model, err)
	}
	reply := out.Reply()
	reply.Usage = game.Usage{PromptTokens: metrics.PromptEvalCount, OutputTokens: metrics.EvalCount,
		Latency: time.Since(start)}
	if reply.Usage.OutputTokens == 0 {
		reply.Usage.OutputTokens = out.Tokens()
	}
	return reply, nil
}

func addLogprobs(out *modelout.Collector, lps []api.Logprob) {
	for _, lp := range lps {
		t := game.TokenLogprob{Token: lp.Token, Logprob: lp.Logprob}
		for _, alt := range lp.TopLogprobs {
			t.Top = append(t.Top, game.TokenLogprob{Token: alt.Token, Logprob: alt.Logprob})
		}
		out.AddLogprob(t)
	}
}

// stallWatch cancels an attempt's context when its stream has been silent
// for the configured time after its first chunk.
type stallWatch struct {
	timer  *time.Timer
	d      time.Duration
	cancel context.CancelCauseFunc
	ctx    context.Context
}

func (p *Player) watchStall(ctx context.Context) (context.Context, *stallWatch) {
	ctx, cancel := context.WithCancelCause(ctx)
	return ctx, &stallWatch{d: p.cfg.Stall, ctx: ctx, cancel: cancel}
}

// tick records a chunk: the first arms the timer, later ones reset it.
func (w *stallWatch) tick() {
	if w.d <= 0 {
		return
	}
	if w.timer == nil {
		w.timer = time.AfterFunc(w.d, func() { w.cancel(errStalled) })
		return
	}
	w.timer.Reset(w.d)
}

// fired reports whether the attempt was ended for stalling.
func (w *stallWatch) fired() bool { return errors.Is(context.Cause(w.ctx), errStalled) }

// stop disarms the timer and releases the attempt's context.
func (w *stallWatch) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
	w.cancel(nil)
}
