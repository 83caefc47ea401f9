package episodes

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
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
	return fmt.Sprintf("episodes: run %s is being played by process %d on %s (since %s); wait for it to end or stop it, then try again",
		e.RunID, e.PID, e.Host, e.Since.UTC().Format(time.RFC3339))
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

// leases tracks the leases a Store holds, to release them at Close.
type leases struct {
	mu   sync.Mutex
	held map[string]bool
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
	me := self()
	tx, err := s.wdb.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one acquirer at a time
	if err != nil {
		return nil, fmt.Errorf("episodes: lease run %s: %w", runID, err)
	}
	defer tx.Rollback()
	var (
		h        holder
		acquired int64
	)
	err = tx.QueryRowContext(ctx, `SELECT host, pid, started, acquired_at FROM leases WHERE run_id = ?`, runID).
		Scan(&h.host, &h.pid, &h.started, &acquired)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("episodes: lease run %s: %w", runID, err)
	case h.host == me.host && h != me && h.gone():
		// Left by a process that died on this host: take it over.
	default:
		return nil, &RunBusyError{RunID: runID, Host: h.host, PID: h.pid, Since: time.Unix(0, acquired)}
	}
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO leases (run_id, host, pid, started, acquired_at) VALUES (?, ?, ?, ?, ?)`,
		runID, me.host, me.pid, me.started, s.opts.Now().UnixNano())
	if err != nil {
		return nil, fmt.Errorf("episodes: lease run %s: %w", runID, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("episodes: lease run %s: %w", runID, err)
	}
	s.leases.mu.Lock()
	if s.leases.held == nil {
		s.leases.held = map[string]bool{}
	}
	s.leases.held[runID] = true
	s.leases.mu.Unlock()
	var once sync.Once
	var rerr error
	return func() error {
		once.Do(func() { rerr = s.releaseRun(runID) })
		return rerr
	}, nil
}

// releaseRun deletes this process's lease of runID. It uses a fresh
// context: a lease must be released even when the run was cancelled.
func (s *Store) releaseRun(runID string) error {
	s.leases.mu.Lock()
	held := s.leases.held[runID]
	delete(s.leases.held, runID)
	s.leases.mu.Unlock()
	if !held {
		return nil
	}
	me := self()
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.BusyTimeout+time.Second)
	defer cancel()
	_, err := s.wdb.ExecContext(ctx, `DELETE FROM leases WHERE run_id = ? AND host = ? AND pid = ? AND started = ?`,
		runID, me.host, me.pid, me.started)
	if err != nil {
		return fmt.Errorf("episodes: release lease of run %s: %w", runID, err)
	}
	return nil
}

// releaseAll releases every lease the store still holds; Close calls it.
func (s *Store) releaseAll() error {
	s.leases.mu.Lock()
	var ids []string
	for id := range s.leases.held {
		ids = append(ids, id)
	}
	s.leases.mu.Unlock()
	var errs []error
	for _, id := range ids {
		errs = append(errs, s.releaseRun(id))
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
