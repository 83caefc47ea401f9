package episodes

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Training is the record of one `spag train` invocation.
type Training struct {
	// ID is filled by CreateTraining, "t20261126-151200-3fa9" for example.
	ID        string
	CreatedAt time.Time
	Objective string
	// Config is the full configuration as JSON (data file, checkpoints,
	// hyper-parameters).
	Config      json.RawMessage
	CodeVersion string
}

// CreateTraining records a training run and fills t.ID and t.CreatedAt.
func (s *Store) CreateTraining(ctx context.Context, t *Training) error {
	if len(t.Config) == 0 {
		t.Config = json.RawMessage("{}")
	}
	if !json.Valid(t.Config) {
		return errors.New("episodes: create training: config is not valid JSON")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.opts.Now()
	}
	id, err := s.insertWithID(t.CreatedAt, "t", func(id string) error {
		_, err := s.wdb.ExecContext(ctx, `INSERT INTO trainings (id, created_at, objective, config, code_version)
			VALUES (?, ?, ?, ?, ?)`, id, t.CreatedAt.UnixNano(), t.Objective, string(t.Config), t.CodeVersion)
		return err
	})
	if err != nil {
		return fmt.Errorf("episodes: create training: %w", err)
	}
	t.ID = id
	return nil
}

// insertWithID runs insert with a new ID made from the time and the prefix
// letter ("t20261126-151200-3fa9"), drawing another ID when one collides.
func (s *Store) insertWithID(created time.Time, prefix string, insert func(id string) error) (string, error) {
	for try := 0; ; try++ {
		id, err := newRunID(created)
		if err != nil {
			return "", err
		}
		id = prefix + id[1:]
		err = insert(id)
		if err == nil {
			return id, nil
		}
		if try >= maxRunIDTries {
			return "", err
		}
	}
}

// WriteTrainingStep stores the metrics of one optimizer step (a JSON
// object); writing the same step again replaces it, as a resumed training
// repeats no step but may rewrite the last one.
func (s *Store) WriteTrainingStep(ctx context.Context, trainingID string, step int, metrics json.RawMessage) error {
	if !json.Valid(metrics) {
		return fmt.Errorf("episodes: training %s step %d: metrics are not valid JSON", trainingID, step)
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT OR REPLACE INTO training_steps (training_id, step, metrics, created_at)
		VALUES (?, ?, ?, ?)`, trainingID, step, string(metrics), s.opts.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("episodes: training %s step %d: %w", trainingID, step, err)
	}
	return nil
}

// TrainingSteps returns the stored metrics of a training, in step order.
func (s *Store) TrainingSteps(ctx context.Context, trainingID string) ([]json.RawMessage, error) {
	var exists int
	err := s.rdb.QueryRowContext(ctx, `SELECT 1 FROM trainings WHERE id = ?`, trainingID).Scan(&exists)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("episodes: training %s: %w", trainingID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("episodes: training %s: %w", trainingID, err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT metrics FROM training_steps WHERE training_id = ? ORDER BY step`, trainingID)
	if err != nil {
		return nil, fmt.Errorf("episodes: training %s: %w", trainingID, err)
	}
	defer rows.Close()
	var out []json.RawMessage
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, fmt.Errorf("episodes: training %s: %w", trainingID, err)
		}
		out = append(out, json.RawMessage(m))
	}
	return out, rows.Err()
}
