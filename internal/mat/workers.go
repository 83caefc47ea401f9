package mat

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// part is one worker's share of a split product, or of a [Parallel]
// loop when fn is set.
type part struct {
	im          *impl
	m, n, k     int
	alpha, beta float32
	A, B        operand
	c           []float32
	ldc         int

	fn            func(part, lo, hi int)
	index, lo, hi int

	done *join
}

func (p *part) run() {
	if p.fn != nil {
		p.fn(p.index, p.lo, p.hi)
	} else {
		p.im.serial(p.m, p.n, p.k, p.alpha, p.A, p.B, p.beta, p.c, p.ldc)
	}
	p.done.finish()
}

// Split products and [Parallel] loops hand their parts to long-lived
// worker goroutines, so that a split allocates nothing. A worker that
// finished a part stays awake for spinFor, ready for the next, and only
// then parks: a decoding step is a few dozen products microseconds
// apart, and waking a parked thread costs about as long as one of them
// (tens of microseconds on a virtual machine), which would leave the
// second core idle for most of each product. The caller waits for its
// parts the same way. A part is handed only to a worker that is idle,
// spinning or parked, never queued behind a busy one, so that nested
// splits cannot wait on each other; with no idle worker the caller runs
// the part itself. Workers are started when a split first needs them
// and live as long as the process, as the runtime's own helpers do.
const spinFor = 200 * time.Microsecond

// Worker states.
const (
	busy     int32 = iota
	spinning       // idle and polling for a part
	claimed        // a caller is writing a part into job
	assigned       // job holds a part
	parked         // idle and blocked on wake
)

type worker struct {
	state atomic.Int32
	job   part
	wake  chan part
}

var (
	workersMu sync.Mutex
	pool      atomic.Pointer[[]*worker]
)

// startWorkers makes sure at least n workers run.
func startWorkers(n int) {
	if ws := pool.Load(); ws != nil && len(*ws) >= n {
		return
	}
	workersMu.Lock()
	defer workersMu.Unlock()
	var ws []*worker
	if old := pool.Load(); old != nil {
		ws = append(ws, *old...)
	}
	for len(ws) < n {
		w := &worker{wake: make(chan part, 1)}
		w.state.Store(busy)
		ws = append(ws, w)
		go w.loop()
	}
	pool.Store(&ws)
}

func (w *worker) loop() {
	for {
		w.state.Store(spinning)
		if w.idle() {
			p := w.job
			w.job = part{}
			w.state.Store(busy)
			p.run()
			continue
		}
		p := <-w.wake
		p.run()
	}
}

// idle waits for a part: true when one was assigned to job while
// spinning, false when the worker parked (its part then comes on wake).
func (w *worker) idle() bool {
	var deadline time.Time
	for {
		for range spinChecks {
			if w.state.Load() == assigned {
				return true
			}
		}
		if w.state.Load() == spinning {
			now := time.Now()
			if deadline.IsZero() {
				deadline = now.Add(spinFor)
			} else if now.After(deadline) && w.state.CompareAndSwap(spinning, parked) {
				return false
			}
		}
		runtime.Gosched()
	}
}

// spinChecks is how many times a spinning goroutine looks before it
// yields its processor (about a microsecond): often enough to start
// within a few nanoseconds of a hand-off, rarely enough that yielding,
// which takes the scheduler's lock, costs little.
const spinChecks = 4096

// offer hands p to an idle worker among the first n, and reports
// whether one took it.
func offer(p part, n int) bool {
	ws := pool.Load()
	if ws == nil {
		return false
	}
	list := (*ws)[:min(n, len(*ws))]
	for _, w := range list {
		if w.state.CompareAndSwap(spinning, claimed) {
			w.job = p
			w.state.Store(assigned)
			return true
		}
	}
	for _, w := range list {
		if w.state.CompareAndSwap(parked, busy) {
			w.wake <- p
			return true
		}
	}
	return false
}

// join counts the parts of one split that are still running.
type join struct {
	pending atomic.Int32
	wg      sync.WaitGroup
}

var joins = sync.Pool{New: func() any { return new(join) }}

// hand runs p on one of the first workers workers (started if need be),
// or here when none is idle.
func (j *join) hand(p part, workers int) {
	startWorkers(workers)
	p.done = j
	j.pending.Add(1)
	j.wg.Add(1)
	if !offer(p, workers) {
		p.run()
	}
}

func (j *join) finish() {
	j.pending.Add(-1)
	j.wg.Done()
}

// wait returns when every part handed has finished: it polls for spinFor,
// then blocks.
func (j *join) wait() {
	var deadline time.Time
	for j.pending.Load() > 0 {
		for i := 0; i < spinChecks && j.pending.Load() > 0; i++ {
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(spinFor)
		} else if now.After(deadline) {
			break
		}
		runtime.Gosched()
	}
	j.wg.Wait()
}

// Parallel calls fn(part, lo, hi) on contiguous ranges that cover
// [0, n), at most maxParts of them (and at most GOMAXPROCS), numbered
// from 0, on the workers the products use; the calling goroutine takes
// part 0. It returns when every call has returned. Each part may use
// scratch space of its own, indexed by part. A decoder uses it for the
// per-row work between its products (attention, activations); it
// allocates nothing when fn is a func value made once, not a new closure
// per call.
func Parallel(n, maxParts int, fn func(part, lo, hi int)) {
	k := min(maxParts, n, runtime.GOMAXPROCS(0))
	if k <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	per := (n + k - 1) / k
	j := joins.Get().(*join)
	defer joins.Put(j)
	index := 1
	for lo := per; lo < n; lo += per {
		j.hand(part{fn: fn, index: index, lo: lo, hi: min(lo+per, n)}, k-1)
		index++
	}
	fn(0, 0, min(per, n))
	j.wait()
}
