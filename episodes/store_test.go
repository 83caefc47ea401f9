package episodes

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
)

// openTest opens a store in a fresh directory and closes it at cleanup.
func openTest(t testing.TB, opts Options) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spag.db")
	s, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// createRun stores a Taboo-like run.
func createRun(t testing.TB, s *Store) *Run {
	t.Helper()
	r := &Run{
		Game: "taboo(max_turns=5)", Judge: "strict@1", Seed: 1 << 63, MaxTurns: 5,
		Players:     map[string]string{"attacker": "ollama:qwen3", "defender": "scripted:guesser"},
		Config:      []byte(`{"temperature":0.7}`),
		CodeVersion: "v0.1.0", Subjects: []string{"apple", "river"}, Total: 2,
	}
	if err := s.CreateRun(context.Background(), r); err != nil {
		t.Fatalf("CreateRun: %v", err)
	}
	return r
}

// sampleEpisode builds a finished episode with every field set: a seed
// with the high bit, times, usage, thinking and log-probabilities.
func sampleEpisode(idx, turns int) game.Episode {
	start := time.Date(2026, 11, 26, 15, 12, 0, 123, time.UTC).Add(time.Duration(idx) * time.Second)
	ep := game.Episode{
		Setup:      game.Setup{Index: idx, Seed: uint64(idx+1) * 0x9E3779B97F4A7C15, Subject: fmt.Sprintf("word%d", idx)},
		StartedAt:  start,
		FinishedAt: start.Add(1500 * time.Millisecond),
		Verdict: game.Verdict{
			Outcome: "defender_wins", DecidedAt: turns, Rule: "defender.correct_guess",
			Evidence: game.Evidence{Turn: turns, Start: 3, End: 9, Text: "word"}, Judge: "strict@1",
		},
	}
	for n := 1; n <= turns; n++ {
		t := game.Turn{
			N: n, Player: (n - 1) % 2, Role: []string{"attacker", "defender"}[(n-1)%2],
			Text:  fmt.Sprintf("utterance %d of episode %d <&> ünïcode %s", n, idx, strings.Repeat("x", 40)),
			Usage: game.Usage{PromptTokens: 100 + n, OutputTokens: 20 + n, Latency: time.Duration(n) * time.Millisecond},
		}
		if n == 1 {
			t.Logprobs = []game.TokenLogprob{{Token: "Hi", Logprob: -0.25, Top: []game.TokenLogprob{{Token: "Hello", Logprob: -1.5}}}}
		}
		if n == 2 {
			t.Thinking = "let me think"
		}
		ep.Turns = append(ep.Turns, t)
	}
	return ep
}

// sameEpisode fails unless got stores want.
func sameEpisode(t *testing.T, got, want game.Episode) {
	t.Helper()
	if !got.StartedAt.Equal(want.StartedAt) || !got.FinishedAt.Equal(want.FinishedAt) {
		t.Errorf("episode %d times = %v..%v, want %v..%v", want.Index, got.StartedAt, got.FinishedAt, want.StartedAt, want.FinishedAt)
	}
	got.StartedAt, got.FinishedAt, want.StartedAt, want.FinishedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if len(want.Turns) == 0 {
		want.Turns = []game.Turn{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("episode %d:\n got %+v\nwant %+v", want.Index, got, want)
	}
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenMigratesOnce(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t, Options{})
	run := createRun(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	// Reopening must neither fail on existing tables nor lose data.
	for i := range 2 {
		s, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		if _, err := s.Run(ctx, run.ID); err != nil {
			t.Errorf("reopen %d: %v", i, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db := rawDB(t, path)
	var version, appID int
	db.QueryRow("PRAGMA user_version").Scan(&version)
	db.QueryRow("PRAGMA application_id").Scan(&appID)
	if version != len(ms) || appID != applicationID {
		t.Errorf("user_version %d application_id %#x, want %d %#x", version, appID, len(ms), applicationID)
	}
	var mode string
	db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode %q, want wal", mode)
	}
}

func TestOpenConcurrentlyOnNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spag.db")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(context.Background(), path, Options{})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("store %d: %v", i, err)
		}
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "my runs?#%20.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	createRun(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the given path: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string) // makes the file at path
		is      error                           // nil: only the path is checked
		exact   string                          // when set, the whole message; %s is the path
	}{
		{
			name: "newer schema",
			prepare: func(t *testing.T, path string) {
				s, err := Open(context.Background(), path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				if _, err := rawDB(t, path).Exec("PRAGMA user_version = 99"); err != nil {
					t.Fatal(err)
				}
			},
			is:    ErrNewerSchema,
			exact: "episodes: database %s has schema version 99, newer than this spag supports (" + fmt.Sprint(len(ms)) + "); upgrade spag",
		},
		{
			name: "text file",
			prepare: func(t *testing.T, path string) {
				os.WriteFile(path, []byte(strings.Repeat("this is not a database\n", 200)), 0o644)
			},
			is: ErrCorrupt,
		},
		{
			name: "damaged header",
			prepare: func(t *testing.T, path string) {
				s, err := Open(context.Background(), path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				b, _ := os.ReadFile(path)
				copy(b[16:], []byte{0xff, 0xff, 0xff, 0xff, 0xff}) // page size and format bytes
				os.WriteFile(path, b, 0o644)
			},
			is: ErrCorrupt,
		},
		{
			name: "another application's tables",
			prepare: func(t *testing.T, path string) {
				if _, err := rawDB(t, path).Exec("CREATE TABLE notes (body TEXT)"); err != nil {
					t.Fatal(err)
				}
			},
			is: ErrCorrupt,
		},
		{
			name: "another application id",
			prepare: func(t *testing.T, path string) {
				if _, err := rawDB(t, path).Exec("PRAGMA application_id = 42"); err != nil {
					t.Fatal(err)
				}
			},
			is: ErrCorrupt,
		},
		{
			name:    "missing directory",
			prepare: func(t *testing.T, path string) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "spag.db")
			if tt.name == "missing directory" {
				path = filepath.Join(dir, "no", "such", "dir", "spag.db")
			}
			tt.prepare(t, path)
			s, err := Open(context.Background(), path, Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if tt.exact != "" && err.Error() != fmt.Sprintf(tt.exact, path) {
				t.Errorf("error\n %q\nwant\n %q", err, fmt.Sprintf(tt.exact, path))
			}
		})
	}
}

func TestRuns(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 15, 12, 0, 0, time.UTC)
	s, _ := openTest(t, Options{Now: func() time.Time { return now }})

	if _, err := s.LatestRun(ctx); !errors.Is(err, ErrNotFound) {
		t.Errorf("LatestRun on an empty store: %v, want ErrNotFound", err)
	}
	first := createRun(t, s)
	if !regexp.MustCompile(`^r20261126-151200-[0-9a-f]{4}$`).MatchString(first.ID) {
		t.Errorf("run ID %q does not look like r20261126-151200-xxxx", first.ID)
	}
	if !first.CreatedAt.Equal(now) {
		t.Errorf("CreatedAt %v, want %v", first.CreatedAt, now)
	}
	now = now.Add(time.Minute)
	second := createRun(t, s)
	got, err := s.Run(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *first
	want.CreatedAt = first.CreatedAt.UTC()
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("Run:\n got %+v\nwant %+v", *got, want)
	}
	latest, err := s.LatestRun(ctx)
	if err != nil || latest.ID != second.ID {
		t.Errorf("LatestRun = %v, %v; want %s", latest, err, second.ID)
	}
	// A summary's latest run is the newest that holds an episode: an
	// interrupted arena leaves newer, still empty runs behind.
	if played, err := s.LatestPlayedRunInfo(ctx); err != nil || played.ID != second.ID {
		t.Errorf("LatestPlayedRunInfo with no episodes = %v, %v; want the newest run %s", played, err, second.ID)
	}
	if err := s.Write(ctx, first.ID, sampleEpisode(0, 2)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if played, err := s.LatestPlayedRunInfo(ctx); err != nil || played.ID != first.ID || played.Subjects != nil {
		t.Errorf("LatestPlayedRunInfo = %+v, %v; want %s (the one run with an episode), without subjects", played, err, first.ID)
	}
	runs, err := s.Runs(ctx)
	if err != nil || len(runs) != 2 || runs[0].ID != first.ID || runs[1].ID != second.ID {
		t.Errorf("Runs = %v, %v", runs, err)
	}
	if _, err := s.Run(ctx, "r-missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Run(missing): %v, want ErrNotFound", err)
	}

	// Many runs in the same second still get distinct IDs.
	seen := map[string]bool{}
	for range 50 {
		r := &Run{Game: "taboo"}
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		if seen[r.ID] {
			t.Fatalf("duplicate run ID %s", r.ID)
		}
		seen[r.ID] = true
	}
	if err := s.CreateRun(ctx, &Run{ID: first.ID}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("CreateRun with an existing ID: %v", err)
	}
	if err := s.CreateRun(ctx, &Run{Config: []byte("{bad")}); err == nil {
		t.Error("CreateRun accepted a config that is not JSON")
	}
}

func TestCheckFindsDamageInsideTheFile(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t, Options{})
	run := createRun(t, s)
	for i := range 200 {
		if err := s.Write(ctx, run.ID, sampleEpisode(i, 6)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check of a sound file: %v", err)
	}
	if err := s.Close(); err != nil { // checkpoints the WAL into the file
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 40*4096 {
		t.Fatalf("database only %d bytes", len(b))
	}
	for i := 20 * 4096; i < 30*4096; i += 7 { // scribble over pages 21-30, not the header
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("Open reads only the header, yet failed: %v", err)
	}
	defer s.Close()
	err = s.Check(ctx)
	t.Log(err)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
		t.Errorf("Check of a damaged file: %v, want ErrCorrupt naming the path", err)
	}
}
