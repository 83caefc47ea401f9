package episodes

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Loop is a loop of rounds (spag iterate): its configuration, recorded
// once, and its rounds' progress.
type Loop struct {
	// ID is filled by CreateLoop, "l20261126-151200-3fa9" for example.
	ID          string
	CreatedAt   time.Time
	Config      json.RawMessage
	CodeVersion string
}

// Round is one round of a loop: the stage it is at (the next one to run)
// and what its finished stages made, as the loop's own JSON.
type Round struct {
	Round     int
	Stage     string
	State     json.RawMessage
	UpdatedAt time.Time
}

// CreateLoop records a new loop and fills l.ID and l.CreatedAt.
func (s *Store) CreateLoop(ctx context.Context, l *Loop) error {
	if !json.Valid(l.Config) {
		return errors.New("episodes: create loop: config is not valid JSON")
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = s.opts.Now()
	}
	id, err := s.insertWithID(l.CreatedAt, "l", func(id string) error {
		_, err := s.wdb.ExecContext(ctx, `INSERT INTO loops (id, created_at, config, code_version) VALUES (?, ?, ?, ?)`,
			id, l.CreatedAt.UnixNano(), string(l.Config), l.CodeVersion)
		return err
	})
	if err != nil {
		return fmt.Errorf("episodes: create loop: %w", err)
	}
	l.ID = id
	return nil
}

// Loop returns the loop with the given ID, or an error wrapping
// [ErrNotFound].
func (s *Store) Loop(ctx context.Context, id string) (*Loop, error) {
	var l Loop
	var created int64
	var config string
	err := s.rdb.QueryRowContext(ctx, `SELECT id, created_at, config, code_version FROM loops WHERE id = ?`, id).
		Scan(&l.ID, &created, &config, &l.CodeVersion)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("episodes: loop %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("episodes: loop %s: %w", id, err)
	}
	l.CreatedAt = time.Unix(0, created).UTC()
	l.Config = json.RawMessage(config)
	return &l, nil
}

// LatestLoop returns the most recently created loop, or an error wrapping
// [ErrNotFound] when there is none.
func (s *Store) LatestLoop(ctx context.Context) (*Loop, error) {
	var id string
	err := s.rdb.QueryRowContext(ctx, `SELECT id FROM loops ORDER BY created_at DESC, id DESC LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("episodes: no loop: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("episodes: latest loop: %w", err)
	}
	return s.Loop(ctx, id)
}

// SaveRound records a round's stage and state, replacing what was stored
// for that round. It goes straight to the database (not through the
// episode writer), so that once it returns a crash cannot lose it.
func (s *Store) SaveRound(ctx context.Context, loopID string, r Round) error {
	if !json.Valid(r.State) {
		return fmt.Errorf("episodes: loop %s round %d: state is not valid JSON", loopID, r.Round)
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT OR REPLACE INTO loop_rounds (loop_id, round, stage, state, updated_at) VALUES (?, ?, ?, ?, ?)`,
		loopID, r.Round, r.Stage, string(r.State), s.opts.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("episodes: loop %s round %d: %w", loopID, r.Round, err)
	}
	return nil
}

// Rounds returns a loop's recorded rounds in order.
func (s *Store) Rounds(ctx context.Context, loopID string) ([]Round, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT round, stage, state, updated_at FROM loop_rounds WHERE loop_id = ? ORDER BY round`, loopID)
	if err != nil {
		return nil, fmt.Errorf("episodes: rounds of loop %s: %w", loopID, err)
	}
	defer rows.Close()
	var out []Round
	for rows.Next() {
		var r Round
		var state string
		var updated int64
		if err := rows.Scan(&r.Round, &r.Stage, &state, &updated); err != nil {
			return nil, fmt.Errorf("episodes: rounds of loop %s: %w", loopID, err)
		}
		r.State, r.UpdatedAt = json.RawMessage(state), time.Unix(0, updated).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("episodes: rounds of loop %s: %w", loopID, err)
	}
	return out, nil
}

// DecidedAt counts a run's judged, decided episodes (or the whole store's,
// for runID "") by the utterance that decided them, for a histogram.
func (s *Store) DecidedAt(ctx context.Context, runID string) (map[int]int, error) {
	f := Filter{RunID: runID}
	where, args := s.where(f)
	rows, err := s.rdb.QueryContext(ctx, `SELECT e.decided_at, count(*) FROM episodes e`+where+andOrWhere(where)+
		`e.err = '' AND e.decided_at > 0 GROUP BY e.decided_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("episodes: decided_at of run %q: %w", runID, err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var at, n int
		if err := rows.Scan(&at, &n); err != nil {
			return nil, fmt.Errorf("episodes: decided_at of run %q: %w", runID, err)
		}
		out[at] = n
	}
	return out, rows.Err()
}
