package episodes

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Run is the record of one invocation: what was played and with which
// configuration, so that any number in a report can be traced to it.
type Run struct {
	// ID is unique in the store, "r20261126-151200-3fa9" for example: the
	// UTC creation time and 16 random bits. CreateRun fills it when empty.
	ID string
	// CreatedAt is filled by CreateRun when zero.
	CreatedAt time.Time
	// Game is the game's String(), enough to rebuild it.
	Game string
	// Judge is the judge as name@version.
	Judge    string
	Seed     uint64
	MaxTurns int
	// Players maps each role to the player spec that played it.
	Players map[string]string
	// Config is the run's full configuration, stored as given; it must be
	// JSON (or empty).
	Config      json.RawMessage
	CodeVersion string
	// Subjects lists the subject of every episode of the run in index
	// order, so an interrupted run can be resumed with the same episodes.
	Subjects []string
	// Shard is "i/n" when the run is one shard of a larger one.
	Shard string
	// Total is the number of episodes the run is meant to play.
	Total int
}

// maxRunIDTries bounds the retries when a generated run ID collides, which
// needs two runs created in the same second drawing the same 16 bits.
const maxRunIDTries = 8

// CreateRun stores a new run. It fills r.ID when empty (an ID given by the
// caller, for example when merging shards, must not exist yet) and
// r.CreatedAt when zero.
func (s *Store) CreateRun(ctx context.Context, r *Run) error {
	if err := s.createRun(ctx, s.wdb, r); err != nil {
		return err
	}
	s.runsMu.Lock()
	s.knownRuns[r.ID] = true
	s.runsMu.Unlock()
	return nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// createRun inserts r through db, the write connection or a transaction
// on it. The caller records the ID as known once it is committed.
func (s *Store) createRun(ctx context.Context, db execer, r *Run) error {
	if len(r.Config) > 0 && !json.Valid(r.Config) {
		return fmt.Errorf("episodes: create run: config is not valid JSON")
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.opts.Now()
	}
	players := r.Players
	if players == nil {
		players = map[string]string{}
	}
	playersJSON, err := json.Marshal(players)
	if err != nil {
		return fmt.Errorf("episodes: create run: players: %w", err)
	}
	subjects := r.Subjects
	if subjects == nil {
		subjects = []string{}
	}
	subjectsJSON, err := json.Marshal(subjects)
	if err != nil {
		return fmt.Errorf("episodes: create run: subjects: %w", err)
	}
	var config sql.NullString
	if len(r.Config) > 0 {
		config = sql.NullString{String: string(r.Config), Valid: true}
	}

	generated := r.ID == ""
	for try := 0; ; try++ {
		if generated {
			r.ID, err = newRunID(r.CreatedAt)
			if err != nil {
				return fmt.Errorf("episodes: create run: %w", err)
			}
		}
		_, err = db.ExecContext(ctx, `INSERT INTO runs
			(id, created_at, game, judge, seed, max_turns, players, config, code_version, subjects, shard, total)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.CreatedAt.UnixNano(), r.Game, r.Judge, int64(r.Seed), r.MaxTurns,
			string(playersJSON), config, r.CodeVersion, string(subjectsJSON), r.Shard, r.Total)
		if err == nil {
			break
		}
		var se sqlite3.Error
		if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey {
			if generated && try < maxRunIDTries {
				continue
			}
			return fmt.Errorf("episodes: create run: run %s already exists", r.ID)
		}
		if generated {
			r.ID = ""
		}
		return fmt.Errorf("episodes: create run: %w", err)
	}
	return nil
}

// newRunID makes an ID from the creation time (so IDs sort by time) and
// crypto/rand (so concurrent processes do not collide).
func newRunID(t time.Time) (string, error) {
	var b [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("run id: %w", err)
	}
	return "r" + t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:]), nil
}

const runColumns = `id, created_at, game, judge, seed, max_turns, players, config, code_version, subjects, shard, total`

// runInfoColumns are runColumns with an empty list for subjects, which
// readers do not need and a large run holds millions of.
const runInfoColumns = `id, created_at, game, judge, seed, max_turns, players, config, code_version, '[]', shard, total`

type scanner interface {
	Scan(dest ...any) error
}

func scanRun(sc scanner) (Run, error) {
	var (
		r                 Run
		created, seed     int64
		players, subjects string
		config            sql.NullString
	)
	err := sc.Scan(&r.ID, &created, &r.Game, &r.Judge, &seed, &r.MaxTurns, &players, &config,
		&r.CodeVersion, &subjects, &r.Shard, &r.Total)
	if err != nil {
		return Run{}, err
	}
	r.CreatedAt = time.Unix(0, created).UTC()
	r.Seed = uint64(seed)
	if config.Valid {
		r.Config = json.RawMessage(config.String)
	}
	if err := json.Unmarshal([]byte(players), &r.Players); err != nil {
		return Run{}, fmt.Errorf("run %s: players: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(subjects), &r.Subjects); err != nil {
		return Run{}, fmt.Errorf("run %s: subjects: %w", r.ID, err)
	}
	return r, nil
}

// Run returns the run with the given ID, or an error wrapping [ErrNotFound].
func (s *Store) Run(ctx context.Context, id string) (*Run, error) {
	return s.run(ctx, runColumns, id)
}

// RunInfo is [Store.Run] without the run's Subjects (nil), for readers
// such as stats and replay: its memory does not grow with the run.
func (s *Store) RunInfo(ctx context.Context, id string) (*Run, error) {
	r, err := s.run(ctx, runInfoColumns, id)
	if r != nil {
		r.Subjects = nil
	}
	return r, err
}

func (s *Store) run(ctx context.Context, columns, id string) (*Run, error) {
	row := s.rdb.QueryRowContext(ctx, `SELECT `+columns+` FROM runs WHERE id = ?`+s.andVisible(), id)
	r, err := scanRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("episodes: run %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("episodes: run %s: %w", id, err)
	}
	return &r, nil
}

// Runs returns every run, oldest first.
func (s *Store) Runs(ctx context.Context) ([]Run, error) {
	return s.runs(ctx, runColumns)
}

// RunInfos is [Store.Runs] without the runs' Subjects (nil).
func (s *Store) RunInfos(ctx context.Context) ([]Run, error) {
	runs, err := s.runs(ctx, runInfoColumns)
	for i := range runs {
		runs[i].Subjects = nil
	}
	return runs, err
}

func (s *Store) runs(ctx context.Context, columns string) ([]Run, error) {
	return queryRuns(ctx, s.rdb, columns, s.whereVisible())
}

// queryRuns lists the runs through q that where (a WHERE clause, or "")
// keeps: the read pool, or a write transaction that must see the runs
// under its lock (a merge's plan).
func queryRuns(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, columns, where string) ([]Run, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+columns+` FROM main.runs`+where+` ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("episodes: list runs: %w", err)
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("episodes: list runs: %w", err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("episodes: list runs: %w", err)
	}
	return runs, nil
}

// LatestRun returns the most recently created run, or an error wrapping
// [ErrNotFound] when the store has none.
func (s *Store) LatestRun(ctx context.Context) (*Run, error) {
	return s.latestRun(ctx, runColumns)
}

// LatestRunInfo is [Store.LatestRun] without the run's Subjects (nil).
func (s *Store) LatestRunInfo(ctx context.Context) (*Run, error) {
	r, err := s.latestRun(ctx, runInfoColumns)
	if r != nil {
		r.Subjects = nil
	}
	return r, err
}

// LatestPlayedRunInfo is [Store.LatestRunInfo] among the runs that hold
// an episode, or the newest run when none does. A summary wants the run
// that was played last: an interrupted arena creates its later pairings'
// runs before it plays them, and the newest of those is still empty.
func (s *Store) LatestPlayedRunInfo(ctx context.Context) (*Run, error) {
	r, err := s.latestRunOrdered(ctx, runInfoColumns,
		`EXISTS (SELECT 1 FROM episodes WHERE episodes.run_id = runs.id) DESC, `)
	if r != nil {
		r.Subjects = nil
	}
	return r, err
}

func (s *Store) latestRun(ctx context.Context, columns string) (*Run, error) {
	return s.latestRunOrdered(ctx, columns, "")
}

// latestRunOrdered returns the first visible run by first, then newest
// creation; first is a prefix of the ORDER BY list ("" or ending in ", ").
func (s *Store) latestRunOrdered(ctx context.Context, columns, first string) (*Run, error) {
	row := s.rdb.QueryRowContext(ctx, `SELECT `+columns+` FROM runs`+s.whereVisible()+` ORDER BY `+first+`created_at DESC, id DESC LIMIT 1`)
	r, err := scanRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("episodes: latest run: store has no runs: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("episodes: latest run: %w", err)
	}
	return &r, nil
}

// checkRun returns an error wrapping [ErrNotFound] unless the run exists.
// Known IDs are cached: runs are never deleted, so a hit stays true.
func (s *Store) checkRun(ctx context.Context, id string) error {
	s.runsMu.Lock()
	known := s.knownRuns[id]
	s.runsMu.Unlock()
	if known {
		return nil
	}
	var one int
	err := s.rdb.QueryRowContext(ctx, `SELECT 1 FROM runs WHERE id = ?`+s.andVisible(), id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("episodes: run %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("episodes: run %q: %w", id, err)
	}
	s.runsMu.Lock()
	s.knownRuns[id] = true
	s.runsMu.Unlock()
	return nil
}

// stagingVersion is the schema version that has runs.staging.
const stagingVersion = 7

// hasStaging reports whether the database has staged runs to leave out:
// a database opened read-only at an older version is read as it is.
func (s *Store) hasStaging() bool {
	return s.mode == modeReadWrite || s.schema >= stagingVersion
}

// whereVisible and andVisible are the condition on runs that leaves out
// staged runs (an import in progress, or one that died).
func (s *Store) whereVisible() string {
	if !s.hasStaging() {
		return ""
	}
	return ` WHERE staging = 0`
}

func (s *Store) andVisible() string {
	if !s.hasStaging() {
		return ""
	}
	return ` AND staging = 0`
}

// where is f's condition on episodes e, leaving out the episodes of
// staged runs.
func (s *Store) where(f Filter) (string, []any) {
	w, args := f.where()
	if !s.hasStaging() {
		return w, args
	}
	const visible = `e.run_id NOT IN (SELECT id FROM runs WHERE staging = 1)`
	if w == "" {
		return " WHERE " + visible, args
	}
	return w + " AND " + visible, args
}
