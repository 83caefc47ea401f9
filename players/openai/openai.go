// Package openai is the spag player backed by OpenAI-compatible
// chat-completion servers: vLLM, SGLang, the llama.cpp server, LM Studio,
// Ollama's /v1 endpoint.
//
// A [Player] streams each turn from POST {base}/chat/completions
// (server-sent events), or with Mode "completions" from POST
// {base}/completions with the flattened prompt (for base models served
// without a chat template), passes text deltas to the engine, and records token
// counts (stream_options.include_usage), latency and token
// log-probabilities; reasoning text (reasoning_content or reasoning deltas,
// or a leading <think> block) is kept apart from the utterance. Calls go
// through a host pool (players/pool) with the same failure policy as the
// Ollama backend.
//
// The package knows nothing about games' rules or storage.
package openai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players/internal/modelopt"
	"github.com/spag-go/spag/players/internal/modelout"
	"github.com/spag-go/spag/players/pool"
)

// Config configures a [Player]. Only Model is required.
type Config struct {
	// Model is the served model's name, as the server's /models lists it.
	Model string
	// Hosts are base URLs such as http://gpu1:8000/v1 (a URL without a
	// path gets /v1); empty means $OPENAI_BASE_URL, or
	// http://127.0.0.1:8000/v1.
	Hosts []string
	// APIKey is sent as a bearer token; empty means $OPENAI_API_KEY.
	APIKey string
	// Params are request fields sent as they are (temperature, top_p,
	// top_k, stop, presence_penalty, ...). Without "seed", each turn gets
	// the seed the engine derives for it. The request's max_tokens is
	// MaxTokens.
	Params map[string]any
	// Mode is "chat" (the default: /chat/completions with the prompt's
	// messages) or "completions" (/completions with the prompt flattened
	// to text, for base models).
	Mode string
	// Think: "" leaves the server's default; "false" asks the chat template
	// not to think (chat_template_kwargs.enable_thinking, as vLLM and
	// SGLang read it); "low", "medium", "high" set reasoning_effort.
	Think string
	// Logprobs asks for each output token's log-probability, with the
	// TopLogprobs (0..20) most likely alternatives.
	Logprobs    bool
	TopLogprobs int
	// MaxTokens caps the output tokens of a turn, at the server (the
	// request's max_tokens) and here (0 means 256); MaxBytes caps its bytes
	// (0 means 16 KiB). A capped output is kept, truncated.
	MaxTokens, MaxBytes int
	// Stall ends an attempt whose stream has been silent this long after
	// its first event (0 means 60s, negative no limit).
	Stall time.Duration
	// Pool sets balancing, per-host concurrency and retries; Classify and
	// Health are set by [New].
	Pool pool.Config
}

var paramKinds = map[string]string{
	"temperature": "float", "top_p": "float", "min_p": "float", "presence_penalty": "float",
	"frequency_penalty": "float", "repetition_penalty": "float",
	"top_k": "int", "seed": "int", "stop": "strings",
}

var settingKeys = append([]string{"think", "mode"}, modelopt.SharedKeys...)

// Keys lists every key [Config.Set] accepts, sorted.
func Keys() []string { return modelopt.SortedKeys(paramKinds, settingKeys...) }

// Set applies one key=value setting from the command line: a request
// parameter (temperature, top_p, top_k, seed, stop (separated by |),
// presence_penalty, ...) or one of think, mode, logprobs, top_logprobs,
// max_tokens, max_bytes, stall, parallel, retries.
func (c *Config) Set(key, value string) error {
	bad := func(want string) error { return modelopt.Bad(key, value, want) }
	if handled, err := modelopt.SetParam(&c.Params, paramKinds, key, value); handled {
		return err
	}
	if handled, err := (modelopt.Shared{Logprobs: &c.Logprobs, TopLogprobs: &c.TopLogprobs, MaxTokens: &c.MaxTokens,
		MaxBytes: &c.MaxBytes, Stall: &c.Stall, PerHost: &c.Pool.PerHost, Attempts: &c.Pool.Retry.Attempts}).Set(key, value); handled {
		return err
	}
	var err error
	switch key {
	case "think":
		switch value {
		case "", "false", "low", "medium", "high":
			c.Think = value
		default:
			return bad("false, low, medium or high")
		}
	case "mode":
		switch value {
		case "chat", "completions":
			c.Mode = value
		default:
			return bad("chat or completions")
		}
	default:
		return fmt.Errorf("unknown option %q (known: %s)", key, strings.Join(Keys(), ", "))
	}
	return err
}

// Player answers turns with a model on OpenAI-compatible servers. It is safe
// for concurrent use; it implements [game.Player] and [game.Capacity].
type Player struct {
	cfg  Config
	pool *pool.Pool
	hc   *http.Client
}

var (
	_ game.Player   = (*Player)(nil)
	_ game.Capacity = (*Player)(nil)
)

// New returns a player for cfg without contacting any server.
func New(cfg Config) (*Player, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("openai: no model named")
	}
	if len(cfg.Hosts) == 0 {
		base := os.Getenv("OPENAI_BASE_URL")
		if base == "" {
			base = "http://127.0.0.1:8000/v1"
		}
		cfg.Hosts = []string{base}
	}
	for i, h := range cfg.Hosts {
		h = strings.TrimRight(h, "/")
		if rest, ok := strings.CutPrefix(h, "http://"); ok && !strings.Contains(rest, "/") {
			h += "/v1"
		} else if rest, ok := strings.CutPrefix(h, "https://"); ok && !strings.Contains(rest, "/") {
			h += "/v1"
		}
		cfg.Hosts[i] = h
	}
	if cfg.APIKey == "" {
		cfg.APIKey = os.Getenv("OPENAI_API_KEY")
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 256
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 16 << 10
	}
	if cfg.Stall == 0 {
		cfg.Stall = time.Minute
	}
	if cfg.TopLogprobs < 0 || cfg.TopLogprobs > 20 {
		return nil, fmt.Errorf("openai: top_logprobs %d: want 0..20", cfg.TopLogprobs)
	}
	switch cfg.Mode {
	case "":
		cfg.Mode = "chat"
	case "chat", "completions":
	default:
		return nil, fmt.Errorf("openai: mode %q: want chat or completions", cfg.Mode)
	}
	p := &Player{cfg: cfg}
	pc := cfg.Pool
	pc.Classify = classify
	pc.Health = p.health
	var err error
	if p.pool, err = pool.New(cfg.Hosts, pc); err != nil {
		return nil, fmt.Errorf("openai: %w", err)
	}
	p.hc = &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: p.pool.Capacity()/len(cfg.Hosts) + 2,
		IdleConnTimeout:     90 * time.Second,
	}}
	return p, nil
}

// Capacity is the pool's capacity: hosts times calls per host.
func (p *Player) Capacity() int { return p.pool.Capacity() }

// Pool returns the player's host pool (for its statistics).
func (p *Player) Pool() *pool.Pool { return p.pool }

// Close releases idle connections.
func (p *Player) Close() error {
	p.hc.CloseIdleConnections()
	return nil
}

// HTTPError is a non-200 answer of a server.
type HTTPError struct {
	Status  int
	Message string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

func classify(err error) pool.Class {
	var ce *ContentTypeError
	if errors.As(err, &ce) {
		return pool.Fatal
	}
	var he *HTTPError
	if errors.As(err, &he) {
		if pool.TransientStatus(he.Status) {
			return pool.Transient
		}
		return pool.Fatal
	}
	return pool.Transient
}

var (
	errStalled   = errors.New("stream stalled")
	errCutStream = errors.New("stream ended before the answer was complete")
	// errNoEvents is errCutStream before any event at all.
	errNoEvents = fmt.Errorf("%w (it held no event)", errCutStream)
)

// ContentTypeError reports a successful answer that is not an event stream
// nor JSON: a web page from a proxy or a login portal, or a server that is
// not OpenAI-compatible at that URL. Asking again gives the same page, so
// it fails the turn at once instead of being retried until the turn's
// timeout.
type ContentTypeError struct {
	Host, ContentType string
}

func (e *ContentTypeError) Error() string {
	return fmt.Sprintf("%s answered with %s instead of an event stream (text/event-stream); is it an OpenAI-compatible API? (its URL usually ends in /v1)", e.Host, e.ContentType)
}

// ModelNotFoundError says that a server does not serve the model.
type ModelNotFoundError struct {
	Model, Host string
	// Served lists the models the server does serve.
	Served []string
}

func (e *ModelNotFoundError) Error() string {
	return fmt.Sprintf("model %q not found on %s (it serves: %s)", e.Model, e.Host, strings.Join(e.Served, ", "))
}

// Preflight checks, before a run, that every host answers GET /models and
// lists the model.
func (p *Player) Preflight(ctx context.Context) error {
	for _, h := range p.pool.Hosts() {
		ids, err := p.models(ctx, h)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("OpenAI-compatible server %s does not answer GET /models: %w", h, err)
		}
		found := false
		for _, id := range ids {
			found = found || id == p.cfg.Model
		}
		if !found {
			return &ModelNotFoundError{Model: p.cfg.Model, Host: h, Served: ids}
		}
	}
	return nil
}

func (p *Player) models(ctx context.Context, host string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, host+"/models", nil)
	if err != nil {
		return nil, err
	}
	p.authorize(req)
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, readHTTPError(resp)
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&list); err != nil {
		return nil, fmt.Errorf("read /models: %w", err)
	}
	ids := make([]string, len(list.Data))
	for i, m := range list.Data {
		ids[i] = m.ID
	}
	return ids, nil
}

func (p *Player) health(ctx context.Context, host string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := p.models(ctx, host)
	return err
}

func (p *Player) authorize(req *http.Request) {
	if p.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+p.cfg.APIKey)
	}
}

func readHTTPError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := errorMessage(body)
	if msg == "" {
		msg = strings.TrimSpace(string(body))
	}
	return &HTTPError{Status: resp.StatusCode, Message: msg}
}

// errorMessage returns the message of an OpenAI-style error body,
// {"error": {"message": ...}} or {"error": "..."}; empty when body has
// none.
func errorMessage(body []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
		var obj struct {
			Message string `json:"message"`
		}
		var s string
		switch {
		case json.Unmarshal(e.Error, &obj) == nil && obj.Message != "":
			return obj.Message
		case json.Unmarshal(e.Error, &s) == nil:
			return s
		}
	}
	return ""
}

// NotStreamError reports a reply that is one JSON document rather than the
// server-sent event stream asked for: a server or proxy that ignores
// "stream": true, or one that answers an error with status 200.
type NotStreamError struct {
	// Message is the body's error message; empty when it has none.
	Message string
}

func (e *NotStreamError) Error() string {
	if e.Message != "" {
		return "server answered with a JSON error instead of an event stream: " + e.Message
	}
	return `server answered with a JSON document instead of an event stream (does it support "stream": true?)`
}

// chunk is one streamed chat-completion or completion event.
type chunk struct {
	Choices []struct {
		Delta struct {
			Content          string `json:"content"`
			ReasoningContent string `json:"reasoning_content"`
			Reasoning        string `json:"reasoning"`
		} `json:"delta"`
		// Text is a completion's delta (mode completions).
		Text         string  `json:"text"`
		FinishReason *string `json:"finish_reason"`
		Logprobs     *struct {
			Content []struct {
				Token       string  `json:"token"`
				Logprob     float64 `json:"logprob"`
				TopLogprobs []struct {
					Token   string  `json:"token"`
					Logprob float64 `json:"logprob"`
				} `json:"top_logprobs"`
			} `json:"content"`
			// The completions API's parallel arrays.
			Tokens        []string             `json:"tokens"`
			TokenLogprobs []float64            `json:"token_logprobs"`
			TopLogprobs   []map[string]float64 `json:"top_logprobs"`
		} `json:"logprobs"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// maxEventBytes bounds one server-sent event line: a server that never
// ends a line must not exhaust memory.
const maxEventBytes = 1 << 20

// Play answers one turn. It returns promptly when ctx ends.
func (p *Player) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	start := time.Now()
	prompt, err := req.Observation.Prompt()
	if err != nil {
		return game.Reply{}, fmt.Errorf("openai: %w", err)
	}
	body := map[string]any{}
	for k, v := range p.cfg.Params {
		body[k] = v
	}
	body["model"] = p.cfg.Model
	endpoint := "/chat/completions"
	if p.cfg.Mode == "completions" {
		endpoint = "/completions"
		body["prompt"] = prompt.Text()
	} else {
		body["messages"] = prompt.Messages
	}
	body["stream"] = true
	body["stream_options"] = map[string]any{"include_usage": true}
	if _, ok := body["seed"]; !ok {
		body["seed"] = int(req.Seed & 0x7fffffff)
	}
	body["max_tokens"] = p.cfg.MaxTokens
	switch {
	case p.cfg.Logprobs && p.cfg.Mode == "completions":
		// The completions API takes the number of alternatives here.
		body["logprobs"] = p.cfg.TopLogprobs
	case p.cfg.Logprobs:
		body["logprobs"] = true
		if p.cfg.TopLogprobs > 0 {
			body["top_logprobs"] = p.cfg.TopLogprobs
		}
	}
	switch p.cfg.Think {
	case "false":
		body["chat_template_kwargs"] = map[string]any{"enable_thinking": false}
	case "low", "medium", "high":
		body["reasoning_effort"] = p.cfg.Think
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return game.Reply{}, fmt.Errorf("openai: encode request: %w", err)
	}

	out := modelout.Collector{MaxTokens: p.cfg.MaxTokens, MaxBytes: p.cfg.MaxBytes, OnToken: req.OnToken}
	var promptTokens, outputTokens int
	err = p.pool.Do(ctx, func(ctx context.Context, host string) error {
		out.Reset()
		promptTokens, outputTokens = 0, 0
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		var stall *time.Timer
		tick := func() {
			if p.cfg.Stall <= 0 {
				return
			}
			if stall == nil {
				stall = time.AfterFunc(p.cfg.Stall, func() { cancel(errStalled) })
				return
			}
			stall.Reset(p.cfg.Stall)
		}
		defer func() {
			if stall != nil {
				stall.Stop()
			}
		}()
		err := p.stream(ctx, host+endpoint, payload, tick, func(c *chunk) error {
			if c.Usage != nil {
				promptTokens, outputTokens = c.Usage.PromptTokens, c.Usage.CompletionTokens
			}
			for _, ch := range c.Choices {
				if ch.Logprobs != nil {
					for _, lp := range ch.Logprobs.Content {
						t := game.TokenLogprob{Token: lp.Token, Logprob: lp.Logprob}
						for _, alt := range lp.TopLogprobs {
							t.Top = append(t.Top, game.TokenLogprob{Token: alt.Token, Logprob: alt.Logprob})
						}
						out.AddLogprob(t)
					}
					for i, tok := range ch.Logprobs.Tokens {
						if i < len(ch.Logprobs.TokenLogprobs) {
							out.AddLogprob(completionLogprob(tok, ch.Logprobs.TokenLogprobs[i], ch.Logprobs.TopLogprobs, i))
						}
					}
				}
				thinking := ch.Delta.ReasoningContent + ch.Delta.Reasoning
				if err := out.Add(ch.Delta.Content+ch.Text, thinking); err != nil {
					return err
				}
			}
			return nil
		})
		switch {
		case errors.Is(err, modelout.ErrCapped):
			return nil
		case errors.Is(context.Cause(ctx), errStalled):
			return fmt.Errorf("%w: nothing for %s", errStalled, p.cfg.Stall)
		}
		return err
	})
	if err != nil {
		return game.Reply{}, fmt.Errorf("openai %s: %w", p.cfg.Model, err)
	}
	reply := out.Reply()
	if outputTokens == 0 {
		outputTokens = out.Tokens()
	}
	reply.Usage = game.Usage{PromptTokens: promptTokens, OutputTokens: outputTokens, Latency: time.Since(start)}
	return reply, nil
}

// completionLogprob is token i of a completions-API logprobs object, with
// its alternatives (a map there) from most to least likely.
func completionLogprob(tok string, lp float64, tops []map[string]float64, i int) game.TokenLogprob {
	t := game.TokenLogprob{Token: tok, Logprob: lp}
	if i < len(tops) {
		for alt, alp := range tops[i] {
			t.Top = append(t.Top, game.TokenLogprob{Token: alt, Logprob: alp})
		}
		sort.Slice(t.Top, func(a, b int) bool {
			if t.Top[a].Logprob != t.Top[b].Logprob {
				return t.Top[a].Logprob > t.Top[b].Logprob
			}
			return t.Top[a].Token < t.Top[b].Token
		})
	}
	return t
}

// stream posts one request to url and feeds its events to fn until
// [DONE]. A stream that ends without [DONE] is an error (errCutStream).
func (p *Player) stream(ctx context.Context, url string, payload []byte, tick func(), fn func(*chunk) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	p.authorize(req)
	resp, err := p.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return readHTTPError(resp)
	}
	// Servers label their streams text/event-stream, and JSON replies
	// are told apart by readEvents. A page is refused unread; any other
	// type is read leniently, as some proxies relabel streams, but a body
	// without a single event is then taken for what its type says.
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if mt == "text/html" || mt == "application/xhtml+xml" || mt == "text/xml" || mt == "application/xml" {
		return &ContentTypeError{Host: req.URL.Scheme + "://" + req.URL.Host, ContentType: ct}
	}
	err = readEvents(resp.Body, tick, fn)
	if errors.Is(err, errNoEvents) && ct != "" && mt != "text/event-stream" {
		return &ContentTypeError{Host: req.URL.Scheme + "://" + req.URL.Host, ContentType: ct}
	}
	return err
}

// readEvents parses a server-sent event stream of chat-completion chunks,
// calling tick for every data line and fn for every chunk, until [DONE].
func readEvents(body io.Reader, tick func(), fn func(*chunk) error) error {
	r := bufio.NewReaderSize(body, 64<<10)
	events := false
	for {
		line, err := readLine(r)
		if err != nil {
			if errors.Is(err, io.EOF) {
				if !events {
					return errNoEvents
				}
				return errCutStream
			}
			return err
		}
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			if !events && strings.HasPrefix(strings.TrimSpace(line), "{") {
				return notStream(line, r)
			}
			continue // blank separators, comments, event names
		}
		events = true
		tick()
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			return nil
		}
		var c chunk
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return fmt.Errorf("bad event %.200q: %w", data, err)
		}
		if len(c.Error) > 0 && string(c.Error) != "null" {
			return fmt.Errorf("server error in stream: %s", c.Error)
		}
		if err := fn(&c); err != nil {
			return err
		}
	}
}

// notStream reads the rest of a JSON reply whose first line is first
// (at most 64 KiB of it) and reports it with its error message, if any.
func notStream(first string, r io.Reader) error {
	rest, _ := io.ReadAll(io.LimitReader(r, 64<<10))
	return &NotStreamError{Message: errorMessage(append([]byte(first+"\n"), rest...))}
}

// readLine reads one line of at most maxEventBytes, without its line end.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		part, isPrefix, err := r.ReadLine()
		if err != nil {
			return "", err
		}
		b = append(b, part...)
		if len(b) > maxEventBytes {
			return "", fmt.Errorf("event longer than %d bytes", maxEventBytes)
		}
		if !isPrefix {
			return string(b), nil
		}
	}
}
