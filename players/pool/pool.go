// Package pool spreads model calls over a set of model servers (hosts) and
// applies the failure policy shared by the spag model backends
// (players/ollama, players/openai):
//
//   - least-in-flight balancing with a per-host concurrency cap;
//   - a host that fails several times in a row is marked down and kept out
//     of rotation for a backoff period that doubles on each further failure;
//     when the period ends, a health check (if configured) decides whether it
//     comes back;
//   - transient errors (refused or reset connections, timeouts, 5xx, busy)
//     are retried with exponential backoff and full jitter, a bounded number
//     of times, preferring another host for the next attempt;
//   - fatal errors (a missing model, a bad request) are returned at once.
//
// The package knows nothing about HTTP APIs or games: a backend supplies the
// call and the classification of its errors.
package pool

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Class says how the pool treats an error returned by a call.
type Class int

const (
	// Fatal errors are returned at once and say nothing about the host's
	// health (a missing model, an invalid request).
	Fatal Class = iota
	// Transient errors count against the host and are retried, preferably on
	// another host (connection refused or reset, timeouts, 5xx, busy).
	Transient
)

// Classifier decides the class of a call's error. It is never called with
// nil or with an error caused by the caller's context ending.
type Classifier func(err error) Class

// Retry bounds the retrying of transient errors.
type Retry struct {
	// Attempts is the total number of tries of one call, first included;
	// 0 means 6.
	Attempts int
	// Base is the backoff before the second try; it doubles for each further
	// try, up to Max. 0 means 200ms.
	Base time.Duration
	// Max caps one backoff; 0 means 5s.
	Max time.Duration
}

// Config configures a [Pool]. The zero value of every field has a sensible
// default.
type Config struct {
	// PerHost caps the calls in flight on one host; 0 means 4.
	PerHost int
	// Retry bounds retries of transient errors.
	Retry Retry
	// DownAfter is the number of consecutive transient failures after which a
	// host is marked down; 0 means 3.
	DownAfter int
	// DownFor is how long a host first stays down; each failure while it is
	// on probation doubles it, up to DownMax. 0 means 1s; DownMax 0 means 30s.
	DownFor, DownMax time.Duration
	// Health, when not nil, checks a host whose down period ended before any
	// call is sent to it; a failure keeps it down for a doubled period.
	Health func(ctx context.Context, host string) error
	// Classify classifies call errors; nil treats every error as transient.
	Classify Classifier
	// Now is the clock, Sleep waits and After delivers once d has passed
	// (all injectable for tests); nil means the real ones.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	After func(d time.Duration) <-chan time.Time
	// Rand returns a number in [0, 1) for jitter; nil means math/rand/v2.
	Rand func() float64
}

// Pool balances calls over hosts. It is safe for concurrent use.
type Pool struct {
	cfg   Config
	hosts []*host

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever a slot frees or a host's state changes
}

type host struct {
	url       string
	inFlight  int
	failures  int       // consecutive transient failures
	downUntil time.Time // zero when up
	downFor   time.Duration
	probing   bool // a health check or probation call is in progress
	calls     int
	errs      int
}

// HostStats is a snapshot of one host's state.
type HostStats struct {
	Host     string
	InFlight int
	// Down is true from the moment the host is marked down until a call or
	// health check on it succeeds.
	Down bool
	// Calls counts attempts sent to the host, Errors the transient failures.
	Calls, Errors int
}

// New returns a pool over hosts (base URLs, in the order given).
func New(hosts []string, cfg Config) (*Pool, error) {
	if len(hosts) == 0 {
		return nil, errors.New("pool: no hosts")
	}
	seen := map[string]bool{}
	p := &Pool{cfg: cfg, changed: make(chan struct{})}
	for _, h := range hosts {
		if seen[h] {
			return nil, fmt.Errorf("pool: host %s listed twice", h)
		}
		seen[h] = true
		p.hosts = append(p.hosts, &host{url: h})
	}
	if p.cfg.PerHost <= 0 {
		p.cfg.PerHost = 4
	}
	if p.cfg.Retry.Attempts <= 0 {
		p.cfg.Retry.Attempts = 6
	}
	if p.cfg.Retry.Base <= 0 {
		p.cfg.Retry.Base = 200 * time.Millisecond
	}
	if p.cfg.Retry.Max <= 0 {
		p.cfg.Retry.Max = 5 * time.Second
	}
	if p.cfg.DownAfter <= 0 {
		p.cfg.DownAfter = 3
	}
	if p.cfg.DownFor <= 0 {
		p.cfg.DownFor = time.Second
	}
	if p.cfg.DownMax <= 0 {
		p.cfg.DownMax = 30 * time.Second
	}
	if p.cfg.Now == nil {
		p.cfg.Now = time.Now
	}
	if p.cfg.Sleep == nil {
		p.cfg.Sleep = sleep
	}
	if p.cfg.After == nil {
		p.cfg.After = time.After
	}
	if p.cfg.Rand == nil {
		p.cfg.Rand = rand.Float64
	}
	return p, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Hosts returns the pool's hosts in the order given to [New].
func (p *Pool) Hosts() []string {
	out := make([]string, len(p.hosts))
	for i, h := range p.hosts {
		out[i] = h.url
	}
	return out
}

// Capacity is the number of calls the pool runs at once when every host is
// up: PerHost times the number of hosts.
func (p *Pool) Capacity() int { return p.cfg.PerHost * len(p.hosts) }

// Stats returns a snapshot of every host.
func (p *Pool) Stats() []HostStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]HostStats, len(p.hosts))
	for i, h := range p.hosts {
		out[i] = HostStats{Host: h.url, InFlight: h.inFlight, Down: !h.downUntil.IsZero(), Calls: h.calls, Errors: h.errs}
	}
	return out
}

// Error is the error of a call that the pool gave up on.
type Error struct {
	// Host is the host of the last attempt.
	Host string
	// Attempts is the number of attempts made.
	Attempts int
	// Transient reports whether the last error was transient (the retries
	// were exhausted) rather than fatal.
	Transient bool
	Err       error
}

func (e *Error) Error() string {
	if e.Transient {
		return fmt.Sprintf("%s: gave up after %d attempts: %v", e.Host, e.Attempts, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Host, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Do runs call on a host chosen by the pool, retrying transient failures as
// the [Config] says. call receives a context that ends with ctx and the
// host's base URL; it must return promptly when that context ends. Do
// returns nil, ctx's error (wrapped) when ctx ends first, or an [*Error].
func (p *Pool) Do(ctx context.Context, call func(ctx context.Context, host string) error) error {
	var avoid *host
	var last *Error
	for attempt := 1; attempt <= p.cfg.Retry.Attempts; attempt++ {
		if attempt > 1 {
			if err := p.cfg.Sleep(ctx, p.backoff(attempt-1)); err != nil {
				return p.ctxErr(err, last)
			}
		}
		h, err := p.acquireHealthy(ctx, avoid)
		var he *healthError
		if errors.As(err, &he) {
			last = &Error{Host: he.host, Attempts: attempt, Transient: true, Err: err}
			continue
		}
		if err != nil {
			return p.ctxErr(err, last)
		}
		err = call(ctx, h.url)
		switch {
		case err == nil:
			p.release(h, true, false)
			return nil
		case ctx.Err() != nil:
			// The caller gave up: that says nothing about the host.
			p.release(h, false, false)
			return p.ctxErr(ctx.Err(), &Error{Host: h.url, Attempts: attempt, Err: err})
		case p.cfg.Classify != nil && p.cfg.Classify(err) == Fatal:
			p.release(h, false, false)
			return &Error{Host: h.url, Attempts: attempt, Err: err}
		}
		p.release(h, false, true)
		last = &Error{Host: h.url, Attempts: attempt, Transient: true, Err: err}
		avoid = h
	}
	return last
}

func (p *Pool) ctxErr(err error, last *Error) error {
	if last != nil {
		return fmt.Errorf("%w (last failure on %s: %v)", err, last.Host, last.Err)
	}
	return err
}

// backoff is the wait before retry n (from 1): exponential with full jitter,
// so that the calls a failed host dropped do not return in lockstep.
func (p *Pool) backoff(n int) time.Duration {
	d := p.cfg.Retry.Base
	for i := 1; i < n && d < p.cfg.Retry.Max; i++ {
		d *= 2
	}
	d = min(d, p.cfg.Retry.Max)
	return time.Duration(float64(d) * p.cfg.Rand())
}

// healthError is a failed health check that used up an attempt.
type healthError struct {
	host string
	err  error
}

func (e *healthError) Error() string { return fmt.Sprintf("health check: %v", e.err) }
func (e *healthError) Unwrap() error { return e.err }

// acquireHealthy is acquire plus the health check of a host back from its
// down period. A failed check puts the host down again for longer. While
// another host is up, it does not use up an attempt of the call (another
// host is chosen at once); when every host is down it does, as a
// *healthError, so that a call gives up after its attempts even when no
// host ever comes back.
func (p *Pool) acquireHealthy(ctx context.Context, avoid *host) (*host, error) {
	for {
		h, probe, err := p.acquire(ctx, avoid)
		if err != nil || !probe || p.cfg.Health == nil {
			return h, err
		}
		herr := p.cfg.Health(ctx, h.url)
		if herr == nil {
			return h, nil
		}
		if ctx.Err() != nil {
			p.release(h, false, false)
			return nil, ctx.Err()
		}
		p.release(h, false, true)
		if p.allDown() {
			return nil, &healthError{host: h.url, err: herr}
		}
	}
}

func (p *Pool) allDown() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.hosts {
		if h.downUntil.IsZero() {
			return false
		}
	}
	return true
}

// acquire takes a slot on the usable host with the fewest calls in flight,
// waiting while none has room. It prefers a host other than avoid. probe is
// true when the host's down period has just ended and it must be checked
// before use (only one call probes a host at a time).
func (p *Pool) acquire(ctx context.Context, avoid *host) (h *host, probe bool, err error) {
	for {
		p.mu.Lock()
		now := p.cfg.Now()
		var best *host
		var bestProbe bool
		var wake time.Time // earliest end of a down period, to wait for
		for pass := 0; pass < 2 && best == nil; pass++ {
			for _, c := range p.hosts {
				if pass == 0 && c == avoid && len(p.hosts) > 1 {
					continue
				}
				if c.inFlight >= p.cfg.PerHost {
					continue
				}
				probeThis := false
				if !c.downUntil.IsZero() {
					if now.Before(c.downUntil) {
						if wake.IsZero() || c.downUntil.Before(wake) {
							wake = c.downUntil
						}
						continue
					}
					// Down period over: one call at a time checks it.
					if c.probing {
						continue
					}
					probeThis = true
				}
				// A host back from its down period is preferred, so that
				// it is checked (and returns to rotation) promptly.
				if best == nil || (probeThis && !bestProbe) || (probeThis == bestProbe && c.inFlight < best.inFlight) {
					best, bestProbe = c, probeThis
				}
			}
		}
		if best != nil {
			best.inFlight++
			best.calls++
			if bestProbe {
				best.probing = true
			}
			p.mu.Unlock()
			return best, bestProbe, nil
		}
		changed := p.changed
		p.mu.Unlock()

		var wakeC <-chan time.Time
		if !wake.IsZero() {
			wakeC = p.cfg.After(wake.Sub(now))
		}
		select {
		case <-changed:
		case <-wakeC:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

// release gives back h's slot and records the attempt's result: ok for a
// success, failed for a transient failure (neither for a fatal or cancelled
// call).
func (p *Pool) release(h *host, ok, failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	h.inFlight--
	wasProbing := h.probing
	if wasProbing {
		h.probing = false
	}
	switch {
	case ok:
		h.failures = 0
		h.downUntil = time.Time{}
		h.downFor = 0
	case failed:
		h.failures++
		h.errs++
		if wasProbing || h.failures >= p.cfg.DownAfter {
			switch {
			case h.downFor == 0:
				h.downFor = p.cfg.DownFor
			case wasProbing:
				h.downFor = min(2*h.downFor, p.cfg.DownMax)
			}
			h.downUntil = p.cfg.Now().Add(h.downFor)
		}
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// ParseHosts splits a comma-separated list of base URLs, adding scheme
// "http://" where it is missing and dropping trailing slashes. defaultPort,
// when not empty, is added to hosts without a port.
func ParseHosts(list, defaultPort string) ([]string, error) {
	var out []string
	for _, raw := range strings.Split(list, ",") {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "://") {
			s = "http://" + s
		}
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("host %q: want a URL such as http://gpu1:11434", raw)
		}
		if u.Port() == "" && defaultPort != "" {
			u.Host += ":" + defaultPort
		}
		u.Path = strings.TrimRight(u.Path, "/")
		out = append(out, u.String())
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("host list %q names no host", list)
	}
	return out, nil
}
