package episodes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenReadOnly reads a closed store without writing anything: through
// SQLite's read-only mode, and as immutable (the mode used when the
// directory is not writable), where no -wal or -shm file may appear.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t, Options{})
	run := createRun(t, s)
	for i := range 2 {
		if err := s.Write(ctx, run.ID, sampleEpisode(i, 3)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("closing left a write-ahead log: %v", err)
	}

	// Immutable first: a read-only connection leaves an empty -wal and
	// -shm behind, as SQLite does.
	for _, tc := range []struct {
		name string
		open func() (*Store, error)
	}{
		{"immutable", func() (*Store, error) { return open(ctx, path, Options{}, modeImmutable) }},
		{"read-only", func() (*Store, error) { return OpenReadOnly(ctx, path, Options{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			r, err := tc.open()
			if err != nil {
				t.Fatal(err)
			}
			st, err := r.Stats(ctx, run.ID)
			if err != nil || st.Episodes != 2 {
				t.Errorf("Stats = %+v, %v; want 2 episodes", st, err)
			}
			if err := r.CreateRun(ctx, &Run{Game: "g", Judge: "j"}); err == nil {
				t.Error("a read-only store created a run")
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			after, err := os.Stat(path)
			if err != nil || !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
				t.Errorf("the database file changed: %v → %v (%v)", before.ModTime(), after.ModTime(), err)
			}
			if tc.name == "immutable" {
				for _, ext := range []string{"-wal", "-shm"} {
					if _, err := os.Stat(path + ext); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("immutable open made %s%s", filepath.Base(path), ext)
					}
				}
			}
		})
	}

	t.Run("missing file is not created", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "none.db")
		if _, err := OpenReadOnly(ctx, missing, Options{}); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("OpenReadOnly of a missing file: %v", err)
		}
		if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
			t.Error("OpenReadOnly created the file")
		}
	})
}

// TestOpenReadOnlyOlderSchema reads a database written before the newest
// migration: migrated first where it can be written, read as it is where
// it cannot (immutable).
func TestOpenReadOnlyOlderSchema(t *testing.T) {
	ctx := context.Background()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := len(ms)
	// A database of the previous spag: every migration but the newest,
	// with one run and one episode.
	path := filepath.Join(t.TempDir(), "old.db")
	db := rawDB(t, path)
	for _, m := range ms[:latest-1] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`PRAGMA journal_mode = WAL`,
		fmt.Sprintf(`PRAGMA user_version = %d`, latest-1),
		`INSERT INTO runs VALUES ('r1', 1, 'taboo', 'strict@1', 1, 5, '{}', NULL, 'v', '[]', '', 1)`,
		`INSERT INTO episodes (run_id, idx, subject, seed, outcome, decided_at, rule, evidence_turn, evidence_start,
			evidence_end, evidence_text, judge, err) VALUES ('r1', 0, 'apple', 1, 'tie', 10, 'max_turns', 0, 0, 0, '', 'strict@1', '')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()
	const run = "r1"

	im, err := open(ctx, path, Options{}, modeImmutable)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := im.Stats(ctx, run); err != nil || st.Episodes != 1 {
		t.Errorf("immutable read of an older schema: %+v, %v", st, err)
	}
	im.Close()

	r, err := OpenReadOnly(ctx, path, Options{})
	if err != nil {
		t.Fatalf("OpenReadOnly of an older schema: %v", err)
	}
	defer r.Close()
	if st, err := r.Stats(ctx, run); err != nil || st.Episodes != 1 {
		t.Errorf("read: %+v, %v", st, err)
	}
	var version int
	if err := r.rdb.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil || version != latest {
		t.Errorf("schema %d (%v) after OpenReadOnly in a writable directory, want it migrated to %d", version, err, latest)
	}
}
