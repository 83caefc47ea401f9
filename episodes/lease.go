package episodes

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrRunBusy means another process holds the run's lease; see
// [RunBusyError].
var ErrRunBusy = errors.New("episodes: run is being played by another process")

// RunBusyError names the process that holds a run's lease. It unwraps to
// [ErrRunBusy].
type RunBusyError struct {
	RunID string
	Host  string
	PID   int
	Since time.Time // when the holder acquired the lease
}

func (e *RunBusyError) Error() string {
	return "episodes: run " + e.RunID + " is being played by " + heldBy(e.PID, e.Host, e.Since)
}

// heldBy names a lease's holder and says what to do.
func heldBy(pid int, host string, since time.Time) string {
	return fmt.Sprintf("process %d on %s (since %s); wait for it to end or stop it, then try again", pid, host, since.UTC().Format(time.RFC3339))
}

// Unwrap returns [ErrRunBusy].
func (e *RunBusyError) Unwrap() error { return ErrRunBusy }

// holder identifies a process: host, pid and start time, so that a pid
// reused by a later process is not taken for the holder.
type holder struct {
	host    string
	pid     int
	started int64
}

func self() holder {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return holder{host: host, pid: pid, started: processStart(pid)}
}

// gone reports whether h, a holder on this host, no longer runs: its pid
// is not alive, or belongs to a process started at another time.
func (h holder) gone() bool {
	if !processAlive(h.pid) {
		return true
	}
	return h.started != 0 && processStart(h.pid) != h.started
}

// ErrBusy means another process holds the lease of a loop or of a
// training's output; see [BusyError].
var ErrBusy = errors.New("episodes: held by another process")

// BusyError names the process that holds the lease of a loop or of a
// training's output. It unwraps to [ErrBusy].
type BusyError struct {
	// What is held: "loop ID" or "training output PATH".
	What  string
	Host  string
	PID   int
	Since time.Time // when the holder acquired the lease
}

func (e *BusyError) Error() string {
	return "episodes: " + e.What + " is in use by " + heldBy(e.PID, e.Host, e.Since)
}

// Unwrap returns [ErrBusy].
func (e *BusyError) Unwrap() error { return ErrBusy }

// leaseKey names what a lease holds: a run (table leases) or, of kind
// loop or output, a row of table holds.
type leaseKey struct{ kind, key string }

const (
	leaseRun    = "run"
	leaseLoop   = "loop"
	leaseOutput = "output"
)

func (k leaseKey) String() string {
	if k.kind == leaseOutput {
		return "training output " + k.key
	}
	return k.kind + " " + k.key
}

// where is the FROM/WHERE clause of k's row, with its arguments.
func (k leaseKey) where() (string, []any) {
	if k.kind == leaseRun {
		return `leases WHERE run_id = ?`, []any{k.key}
	}
	return `holds WHERE kind = ? AND key = ?`, []any{k.kind, k.key}
}

// leases tracks the leases a Store holds, to release them at Close.
type leases struct {
	mu   sync.Mutex
	held map[leaseKey]bool
}

// AcquireRun takes the lease of run runID for this process, so that one
// run is played by one process at a time. It returns a function that
// releases the lease (safe to call more than once); [Store.Close] releases
// what is still held.
//
// A lease held by another live process, or by this process already, gives
// a [*RunBusyError] naming it. A lease left by a process that is gone
// from this host (killed, crashed) is taken over. A lease held from
// another host cannot be checked and counts as busy; [Store.BreakRunLease]
// removes it once that process is known to be gone. An unknown run gives
// an error wrapping [ErrNotFound].
func (s *Store) AcquireRun(ctx context.Context, runID string) (release func() error, err error) {
	if err := s.checkRun(ctx, runID); err != nil {
		return nil, fmt.Errorf("episodes: lease: %w", err)
	}
	return s.acquire(ctx, leaseKey{leaseRun, runID}, func(h holder, since time.Time) error {
		return &RunBusyError{RunID: runID, Host: h.host, PID: h.pid, Since: since}
	})
}

// AcquireLoop takes the lease of loop loopID for this process, as
// [Store.AcquireRun] does for a run, so that one loop is run by one
// process at a time: a second resume while the first runs gets a
// [*BusyError] naming the first. The loop need not be recorded yet.
func (s *Store) AcquireLoop(ctx context.Context, loopID string) (release func() error, err error) {
	return s.acquireHold(ctx, leaseKey{leaseLoop, loopID})
}

// AcquireOutput takes the lease of a training's output file path (made
// absolute) for this process, as [Store.AcquireRun] does for a run, so
// that two trainings cannot write one checkpoint at once: the second gets
// a [*BusyError] naming the first.
func (s *Store) AcquireOutput(ctx context.Context, path string) (release func() error, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("episodes: lease training output %s: %w", path, err)
	}
	return s.acquireHold(ctx, leaseKey{leaseOutput, abs})
}

func (s *Store) acquireHold(ctx context.Context, k leaseKey) (func() error, error) {
	return s.acquire(ctx, k, func(h holder, since time.Time) error {
		return &BusyError{What: k.String(), Host: h.host, PID: h.pid, Since: since}
	})
}

// acquire takes the lease k for this process; busy makes the error that
// names a live holder.
func (s *Store) acquire(ctx context.Context, k leaseKey, busy func(h holder, since time.Time) error) (func() error, error) {
	me := self()
	tx, err := s.wdb.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one acquirer at a time
	if err != nil {
		return nil, fmt.Errorf("episodes: lease %s: %w", k, err)
	}
	defer tx.Rollback()
	var (
		h        holder
		acquired int64
	)
	where, args := k.where()
	err = tx.QueryRowContext(ctx, `SELECT host, pid, started, acquired_at FROM `+where, args...).
		Scan(&h.host, &h.pid, &h.started, &acquired)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("episodes: lease %s: %w", k, err)
	case h.host == me.host && h != me && h.gone():
		// Left by a process that died on this host: take it over.
	default:
		return nil, busy(h, time.Unix(0, acquired))
	}
	now := s.opts.Now().UnixNano()
	if k.kind == leaseRun {
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO leases (run_id, host, pid, started, acquired_at) VALUES (?, ?, ?, ?, ?)`,
			k.key, me.host, me.pid, me.started, now)
	} else {
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO holds (kind, key, host, pid, started, acquired_at) VALUES (?, ?, ?, ?, ?, ?)`,
			k.kind, k.key, me.host, me.pid, me.started, now)
	}
	if err != nil {
		return nil, fmt.Errorf("episodes: lease %s: %w", k, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("episodes: lease %s: %w", k, err)
	}
	s.leases.mu.Lock()
	if s.leases.held == nil {
		s.leases.held = map[leaseKey]bool{}
	}
	s.leases.held[k] = true
	s.leases.mu.Unlock()
	var once sync.Once
	var rerr error
	return func() error {
		once.Do(func() { rerr = s.release(k) })
		return rerr
	}, nil
}

// release deletes this process's lease k. It uses a fresh context: a
// lease must be released even when the work was cancelled.
func (s *Store) release(k leaseKey) error {
	s.leases.mu.Lock()
	held := s.leases.held[k]
	delete(s.leases.held, k)
	s.leases.mu.Unlock()
	if !held {
		return nil
	}
	me := self()
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.BusyTimeout+time.Second)
	defer cancel()
	where, args := k.where()
	_, err := s.wdb.ExecContext(ctx, `DELETE FROM `+where+` AND host = ? AND pid = ? AND started = ?`,
		append(args, me.host, me.pid, me.started)...)
	if err != nil {
		return fmt.Errorf("episodes: release lease of %s: %w", k, err)
	}
	return nil
}

// releaseAll releases every lease the store still holds; Close calls it.
func (s *Store) releaseAll() error {
	s.leases.mu.Lock()
	var keys []leaseKey
	for k := range s.leases.held {
		keys = append(keys, k)
	}
	s.leases.mu.Unlock()
	var errs []error
	for _, k := range keys {
		errs = append(errs, s.release(k))
	}
	return errors.Join(errs...)
}

// BreakRunLease removes the lease of run runID, whoever holds it: for a
// holder on another host that is known to be gone. Breaking the lease of
// a live process lets two processes play the run at once.
func (s *Store) BreakRunLease(ctx context.Context, runID string) error {
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM leases WHERE run_id = ?`, runID); err != nil {
		return fmt.Errorf("episodes: break lease of run %s: %w", runID, err)
	}
	return nil
}
