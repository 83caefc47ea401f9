package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// clock is a manual clock for tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var errDown = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
var errFatal = errors.New("model not found")

func classify(err error) Class {
	if errors.Is(err, errFatal) {
		return Fatal
	}
	return Transient
}

// testPool returns a pool whose sleeps advance a manual clock instead of
// waiting, and whose jitter is always the full backoff.
func testPool(t *testing.T, hosts []string, cfg Config) (*Pool, *clock, *[]time.Duration) {
	t.Helper()
	clk := &clock{now: time.Unix(1000, 0)}
	var mu sync.Mutex
	var sleeps []time.Duration
	cfg.Now = clk.Now
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		sleeps = append(sleeps, d)
		mu.Unlock()
		clk.Add(d)
		return ctx.Err()
	}
	cfg.After = func(d time.Duration) <-chan time.Time {
		clk.Add(d)
		c := make(chan time.Time, 1)
		c <- clk.Now()
		return c
	}
	cfg.Rand = func() float64 { return 1 }
	if cfg.Classify == nil {
		cfg.Classify = classify
	}
	p, err := New(hosts, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p, clk, &sleeps
}

func TestDoRetriesAndFailover(t *testing.T) {
	tests := []struct {
		name string
		// fail says whether the call on host h at attempt n (from 1) fails.
		fail        func(host string, n int) error
		hosts       []string
		wantErr     string
		wantHosts   string
		wantSleeps  int
		wantFatal   bool
		wantTransit bool
	}{
		{name: "success first try", hosts: []string{"a"}, fail: func(string, int) error { return nil },
			wantHosts: "a"},
		{name: "transient moves to the other host", hosts: []string{"a", "b"},
			fail: func(h string, n int) error {
				if h == "a" {
					return errDown
				}
				return nil
			}, wantHosts: "a,b", wantSleeps: 1},
		{name: "fatal is not retried", hosts: []string{"a", "b"},
			fail:      func(string, int) error { return errFatal },
			wantHosts: "a", wantErr: "a: model not found", wantFatal: true},
		{name: "retries are bounded", hosts: []string{"a"},
			fail:      func(string, int) error { return errDown },
			wantHosts: "a,a,a,a", wantErr: "gave up after 4 attempts", wantSleeps: 3, wantTransit: true},
		{name: "recovers on the same host", hosts: []string{"a"},
			fail: func(h string, n int) error {
				if n < 3 {
					return io.ErrUnexpectedEOF
				}
				return nil
			}, wantHosts: "a,a,a", wantSleeps: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, sleeps := testPool(t, tt.hosts, Config{Retry: Retry{Attempts: 4}, DownAfter: 10})
			var got []string
			n := 0
			err := p.Do(context.Background(), func(ctx context.Context, host string) error {
				n++
				got = append(got, host)
				return tt.fail(host, n)
			})
			if g := strings.Join(got, ","); g != tt.wantHosts {
				t.Errorf("hosts tried = %s, want %s", g, tt.wantHosts)
			}
			if len(*sleeps) != tt.wantSleeps {
				t.Errorf("slept %d times (%v), want %d", len(*sleeps), *sleeps, tt.wantSleeps)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Do = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Do = %v, want %q", err, tt.wantErr)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Transient != tt.wantTransit {
				t.Errorf("error %#v: want *Error with Transient=%v", err, tt.wantTransit)
			}
			if tt.wantFatal && !errors.Is(err, errFatal) {
				t.Errorf("fatal error does not unwrap to the cause: %v", err)
			}
		})
	}
}

func TestBackoffIsExponentialAndCapped(t *testing.T) {
	p, _, sleeps := testPool(t, []string{"a"}, Config{
		Retry: Retry{Attempts: 6, Base: 100 * time.Millisecond, Max: 500 * time.Millisecond}, DownAfter: 100})
	_ = p.Do(context.Background(), func(context.Context, string) error { return errDown })
	want := []time.Duration{100, 200, 400, 500, 500}
	if len(*sleeps) != len(want) {
		t.Fatalf("sleeps = %v", *sleeps)
	}
	for i, w := range want {
		if (*sleeps)[i] != w*time.Millisecond {
			t.Errorf("backoff %d = %v, want %v", i+1, (*sleeps)[i], w*time.Millisecond)
		}
	}
}

func TestHostMarkedDownThenHealthChecked(t *testing.T) {
	healthy := atomic.Bool{}
	var checks atomic.Int32
	p, clk, _ := testPool(t, []string{"a", "b"}, Config{
		DownAfter: 2, DownFor: 10 * time.Second, Retry: Retry{Attempts: 1},
		Health: func(ctx context.Context, host string) error {
			checks.Add(1)
			if host == "a" && !healthy.Load() {
				return errDown
			}
			return nil
		},
	})
	callA := func(ctx context.Context, host string) error {
		if host == "a" && !healthy.Load() {
			return errDown
		}
		return nil
	}
	// Both hosts idle: least-in-flight picks a (first). Two failures mark it down.
	for range 2 {
		_ = p.Do(context.Background(), callA)
	}
	if s := p.Stats(); !s[0].Down || s[1].Down {
		t.Fatalf("after 2 failures: %+v, want a down, b up", s)
	}
	// While a is down, every call goes to b without touching a.
	before := p.Stats()[0].Calls
	for range 5 {
		if err := p.Do(context.Background(), callA); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.Stats()[0].Calls; got != before {
		t.Errorf("down host got %d calls", got-before)
	}
	// After the down period, a is health-checked; it fails, so it stays down
	// for twice as long.
	clk.Add(11 * time.Second)
	var hosts []string
	_ = p.Do(context.Background(), func(ctx context.Context, host string) error {
		hosts = append(hosts, host)
		return nil
	})
	if checks.Load() != 1 || strings.Join(hosts, ",") != "b" {
		t.Errorf("checks=%d hosts=%v: want one failed health check of a, call on b", checks.Load(), hosts)
	}
	clk.Add(11 * time.Second) // less than the doubled 20s
	_ = p.Do(context.Background(), callA)
	if checks.Load() != 1 {
		t.Errorf("a was checked again before its doubled down period ended")
	}
	healthy.Store(true)
	clk.Add(10 * time.Second)
	// a is now least loaded and probed: it comes back.
	var got []string
	for range 2 {
		_ = p.Do(context.Background(), func(ctx context.Context, host string) error {
			got = append(got, host)
			return nil
		})
	}
	if s := p.Stats(); s[0].Down || got[0] != "a" {
		t.Errorf("after recovery: stats %+v, hosts %v", s, got)
	}
}

func TestCapAndLeastInFlight(t *testing.T) {
	const perHost, hosts, calls = 3, 2, 40
	p, err := New([]string{"a", "b"}, Config{PerHost: perHost})
	if err != nil {
		t.Fatal(err)
	}
	if p.Capacity() != perHost*hosts {
		t.Errorf("Capacity = %d", p.Capacity())
	}
	var mu sync.Mutex
	inFlight := map[string]int{}
	peak := map[string]int{}
	total, peakTotal := 0, 0
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			err := p.Do(context.Background(), func(ctx context.Context, host string) error {
				mu.Lock()
				inFlight[host]++
				total++
				peak[host] = max(peak[host], inFlight[host])
				peakTotal = max(peakTotal, total)
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
				mu.Lock()
				inFlight[host]--
				total--
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for h, n := range peak {
		if n > perHost {
			t.Errorf("host %s had %d calls in flight, cap %d", h, n, perHost)
		}
	}
	// Least-in-flight keeps both hosts busy: the pool reaches full capacity.
	if peakTotal != perHost*hosts {
		t.Errorf("peak in flight = %d, want %d", peakTotal, perHost*hosts)
	}
	for _, s := range p.Stats() {
		if s.Calls < calls/4 {
			t.Errorf("host %s got only %d of %d calls", s.Host, s.Calls, calls)
		}
	}
}

func TestWaitHonoursContext(t *testing.T) {
	p, err := New([]string{"a"}, Config{PerHost: 1})
	if err != nil {
		t.Fatal(err)
	}
	hold := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_ = p.Do(context.Background(), func(context.Context, string) error {
			close(started)
			<-hold
			return nil
		})
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = p.Do(ctx, func(context.Context, string) error { return nil })
	close(hold)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do while the only slot is busy = %v, want deadline exceeded", err)
	}
}

func TestCancelledCallDoesNotCountAgainstHost(t *testing.T) {
	p, _, _ := testPool(t, []string{"a"}, Config{DownAfter: 1})
	ctx, cancel := context.WithCancel(context.Background())
	err := p.Do(ctx, func(ctx context.Context, host string) error {
		cancel()
		return fmt.Errorf("read: %w", ctx.Err())
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do = %v", err)
	}
	if s := p.Stats()[0]; s.Down || s.Errors != 0 || s.InFlight != 0 {
		t.Errorf("stats after cancelled call: %+v", s)
	}
}

func TestParseHosts(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "http://gpu1:11434,http://gpu2:11434", want: "http://gpu1:11434 http://gpu2:11434"},
		{in: "gpu1, gpu2:8000/", want: "http://gpu1:11434 http://gpu2:8000"},
		{in: "https://api.example.com/v1/", want: "https://api.example.com:11434/v1"},
		{in: "", err: "names no host"},
		{in: "ftp://x", err: "want a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseHosts(tt.in, "11434")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || strings.Join(got, " ") != tt.want {
				t.Fatalf("ParseHosts = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestTransientClassification(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{errDown, true},
		{fmt.Errorf("post: %w", syscall.ECONNRESET), true},
		{io.ErrUnexpectedEOF, true},
		{context.Canceled, false},
		{errors.New("bad request"), false},
	}
	for _, tt := range tests {
		if got := TransientNet(tt.err); got != tt.want {
			t.Errorf("TransientNet(%v) = %v", tt.err, got)
		}
	}
	for code, want := range map[int]bool{200: false, 400: false, 404: false, 429: true, 500: true, 503: true} {
		if TransientStatus(code) != want {
			t.Errorf("TransientStatus(%d) != %v", code, want)
		}
	}
}

func TestNewRejectsBadHostLists(t *testing.T) {
	if _, err := New(nil, Config{}); err == nil {
		t.Error("New(nil) succeeded")
	}
	if _, err := New([]string{"a", "a"}, Config{}); err == nil {
		t.Error("New with a duplicate host succeeded")
	}
}

func TestAllHostsDownGivesUp(t *testing.T) {
	var checks atomic.Int32
	p, _, _ := testPool(t, []string{"a"}, Config{
		DownAfter: 1, Retry: Retry{Attempts: 4},
		Health: func(context.Context, string) error { checks.Add(1); return errDown },
	})
	calls := 0
	err := p.Do(context.Background(), func(context.Context, string) error { calls++; return errDown })
	var pe *Error
	if !errors.As(err, &pe) || !pe.Transient || pe.Attempts != 4 {
		t.Fatalf("Do = %v, want giving up after 4 attempts", err)
	}
	if calls != 1 || checks.Load() != 3 {
		t.Errorf("calls=%d health checks=%d, want 1 call then 3 failed checks", calls, checks.Load())
	}
}

func FuzzParseHosts(f *testing.F) {
	f.Add("http://gpu1:11434,gpu2")
	f.Add(" ,https://x/v1/ ,")
	f.Add("http://[::1]:8000")
	f.Fuzz(func(t *testing.T, list string) {
		hosts, err := ParseHosts(list, "11434")
		if err != nil {
			return
		}
		for _, h := range hosts {
			if !strings.HasPrefix(h, "http://") && !strings.HasPrefix(h, "https://") {
				t.Fatalf("ParseHosts(%q) gave %q", list, h)
			}
			if _, err := New([]string{h}, Config{}); err != nil {
				t.Fatalf("host %q unusable: %v", h, err)
			}
		}
	})
}
