package episodes

import (
	"context"
	"fmt"
	"time"
)

// RunState says where a run stands.
type RunState string

const (
	// RunComplete: every planned episode is stored.
	RunComplete RunState = "complete"
	// RunPlaying: a live process holds the run's lease and is playing it.
	RunPlaying RunState = "playing"
	// RunStopped: episodes are missing and no live process plays it; it
	// was interrupted or killed and can be resumed.
	RunStopped RunState = "stopped"
)

// RunSummary is a run with how far it got, as `spag runs` lists it.
type RunSummary struct {
	Run
	// Done is the number of episodes stored.
	Done  int
	State RunState
	// Holder names the process playing the run when State is
	// [RunPlaying] (a lease from another host counts as playing, since it
	// cannot be checked from here).
	Holder *RunBusyError
}

// RunSummaries returns every run (without Subjects) with its count of
// stored episodes and its state, newest first: the order in which people
// look for the run they just played.
func (s *Store) RunSummaries(ctx context.Context) ([]RunSummary, error) {
	runs, err := s.RunInfos(ctx)
	if err != nil {
		return nil, err
	}
	done := map[string]int{}
	rows, err := s.rdb.QueryContext(ctx, `SELECT run_id, COUNT(*) FROM episodes GROUP BY run_id`)
	if err != nil {
		return nil, fmt.Errorf("episodes: count episodes per run: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("episodes: count episodes per run: %w", err)
		}
		done[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("episodes: count episodes per run: %w", err)
	}
	holders, err := s.liveHolders(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]RunSummary, 0, len(runs))
	for i := len(runs) - 1; i >= 0; i-- {
		r := RunSummary{Run: runs[i], Done: done[runs[i].ID]}
		switch h := holders[r.ID]; {
		case h != nil:
			r.State, r.Holder = RunPlaying, h
		case r.Done >= r.Total:
			r.State = RunComplete
		default:
			r.State = RunStopped
		}
		out = append(out, r)
	}
	return out, nil
}

// liveHolders returns the run leases held by processes that still run (or
// run on another host, where that cannot be checked), by run ID.
func (s *Store) liveHolders(ctx context.Context) (map[string]*RunBusyError, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT run_id, host, pid, started, acquired_at FROM leases`)
	if err != nil {
		return nil, fmt.Errorf("episodes: read leases: %w", err)
	}
	defer rows.Close()
	me := self()
	live := map[string]*RunBusyError{}
	for rows.Next() {
		var (
			id       string
			h        holder
			acquired int64
		)
		if err := rows.Scan(&id, &h.host, &h.pid, &h.started, &acquired); err != nil {
			return nil, fmt.Errorf("episodes: read leases: %w", err)
		}
		if h.host == me.host && h.gone() {
			continue
		}
		live[id] = &RunBusyError{RunID: id, Host: h.host, PID: h.pid, Since: time.Unix(0, acquired)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("episodes: read leases: %w", err)
	}
	return live, nil
}
