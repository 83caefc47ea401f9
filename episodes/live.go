package episodes

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/spag-go/spag/game"
)

// LiveEpisode is an episode in flight as another process last reported it.
type LiveEpisode struct {
	RunID     string
	Index     int
	Subject   string
	Turns     []game.Turn
	UpdatedAt time.Time
}

type liveKey struct {
	run string
	idx int
}

// liveSet holds the turns of episodes in flight until the writer stores
// them in live_episodes. Only episodes still in flight when the writer gets
// to them are written, so fast episodes (built-in players) cost nothing,
// while slow ones (model servers) show up turn by turn.
type liveSet struct {
	mu        sync.Mutex
	inFlight  map[liveKey]*LiveEpisode
	dirty     map[liveKey]bool // changed since the last write
	persisted map[liveKey]bool // rows that exist in live_episodes
	kick      chan struct{}    // capacity 1: wakes the writer
}

func newLiveSet() *liveSet {
	return &liveSet{inFlight: map[liveKey]*LiveEpisode{}, dirty: map[liveKey]bool{},
		persisted: map[liveKey]bool{}, kick: make(chan struct{}, 1)}
}

// WriteLive records the turns played so far in episode idx of run runID,
// for watchers in other processes; the store keeps turns (which must not
// be modified afterwards) until it writes them. It never blocks on the
// database: the writer stores the latest turns of each episode still in
// flight at most once per flush interval, so episodes that finish sooner
// cost no write. Once the episode is written with [Store.Write], its live
// row goes away in the same transaction.
func (s *Store) WriteLive(runID string, idx int, subject string, turns []game.Turn) {
	l := s.live
	k := liveKey{runID, idx}
	l.mu.Lock()
	e := l.inFlight[k]
	if e == nil {
		e = &LiveEpisode{RunID: runID, Index: idx, Subject: subject}
		l.inFlight[k] = e
	}
	e.Turns = turns
	wake := len(l.dirty) == 0
	l.dirty[k] = true
	l.mu.Unlock()
	if wake {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

// finished forgets the turns of an episode that is being stored and says
// whether a live row may exist for it (then the writer deletes it when it
// stores the episode, after any live write already under way).
func (l *liveSet) finished(runID string, idx int) (hasRow bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := liveKey{runID, idx}
	delete(l.inFlight, k)
	delete(l.dirty, k)
	hasRow = l.persisted[k]
	delete(l.persisted, k)
	return hasRow
}

// take returns copies of the episodes that changed since the last call and
// marks their rows as persisted.
func (l *liveSet) take() []*LiveEpisode {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.dirty) == 0 {
		return nil
	}
	out := make([]*LiveEpisode, 0, len(l.dirty))
	for k := range l.dirty {
		e := *l.inFlight[k]
		out = append(out, &e)
		l.persisted[k] = true
	}
	clear(l.dirty)
	return out
}

// writeLive stores the pending live episodes in one transaction.
func (s *Store) writeLive(ctx context.Context) error {
	eps := s.live.take()
	if len(eps) == 0 {
		return nil
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := s.opts.Now().UnixNano()
	for _, e := range eps {
		turns, err := json.Marshal(e.Turns)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO live_episodes (run_id, idx, subject, turns, updated_at)
			VALUES (?, ?, ?, ?, ?)`, e.RunID, e.Index, e.Subject, string(turns), now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Live lists the episodes of run runID that are in flight: reported with
// WriteLive and not stored yet, ordered by index. Rows left behind by a
// process that was killed are included until their episode is stored
// (check UpdatedAt to tell).
func (s *Store) Live(ctx context.Context, runID string) ([]LiveEpisode, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT l.idx, l.subject, l.turns, l.updated_at FROM live_episodes l
		WHERE l.run_id = ? AND NOT EXISTS (SELECT 1 FROM episodes e WHERE e.run_id = l.run_id AND e.idx = l.idx AND e.err = '')
		ORDER BY l.idx`, runID)
	if err != nil {
		return nil, fmt.Errorf("episodes: live episodes of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []LiveEpisode
	for rows.Next() {
		e := LiveEpisode{RunID: runID}
		var turns string
		var updated int64
		if err := rows.Scan(&e.Index, &e.Subject, &turns, &updated); err != nil {
			return nil, fmt.Errorf("episodes: live episodes of run %s: %w", runID, err)
		}
		if err := json.Unmarshal([]byte(turns), &e.Turns); err != nil {
			return nil, fmt.Errorf("episodes: live episode %d of run %s: %w", e.Index, runID, err)
		}
		e.UpdatedAt = time.Unix(0, updated).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
