// Package spagtest runs the spag binary as a user would, for the
// end-to-end tests of cmd/spag and its split-off test packages: built
// once per test binary, run in a temporary directory, judged by its exit
// code, stdout and stderr, and its database read back with SQLite.
//
// The end-to-end tests are split over several packages so that none of
// them comes near go test's timeout on a busy machine; this package is
// what they share. It imports nothing from the project.
package spagtest

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// Main builds spag into a temporary directory, stores its path in
// *binary, runs the tests and removes the directory: the TestMain of an
// end-to-end package is os.Exit(spagtest.Main(m, &binary)).
func Main(m *testing.M, binary *string) int {
	dir, err := os.MkdirTemp("", "spag-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, "spagtest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	*binary = filepath.Join(dir, "spag")
	build := exec.Command("go", "build", "-o", *binary, "github.com/spag-go/spag/cmd/spag")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "spagtest: build spag:", err)
		return 1
	}
	return m.Run()
}

// Result is what one run of spag did.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Run runs binary in dir with args and returns what it did. limit only
// bounds a hung command: it is generous, and a test that needs longer on a
// loaded machine passes a larger one.
func Run(t *testing.T, binary string, limit time.Duration, dir string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run spag %v: %v", args, err)
	}
	return Result{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

// StartWatched starts binary in dir and returns it with a scanner of its
// stderr, for tests that act on what it says while it runs.
func StartWatched(t *testing.T, ctx context.Context, binary, dir string, args ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(stderr)
}

// MustJSON decodes s into v or fails the test, quoting s.
func MustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
}

// OpenDB opens the database at path read-only (waiting for a writer's
// lock) until the test ends.
func OpenDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// QueryInt returns the one integer q selects, or fails the test.
func QueryInt(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// CountRows counts the rows of table in the database at path: 0 while the
// database or the table does not exist yet.
func CountRows(t *testing.T, path, table string) int {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return 0
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		return 0
	}
	return n
}

// WriteFiles writes each name's text into dir, creating dir.
func WriteFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// SyncBuffer is a bytes.Buffer that a process's output and a test may
// use at the same time.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// StatsOut is the part of `spag stats --json` the end-to-end tests read.
type StatsOut struct {
	Run       string `json:"run"`
	GuessRate *struct {
		Rate float64 `json:"rate"`
	} `json:"guess_rate"`
	RuleBreakRate struct {
		Rate float64 `json:"rate"`
	} `json:"rule_break_rate"`
	Episodes int               `json:"episodes"`
	Errored  int               `json:"errored"`
	Outcomes map[string]int    `json:"outcomes"`
	Players  map[string]string `json:"players"`
	Turns    int               `json:"turns"`
	PerTurn  []struct {
		Role       string         `json:"role"`
		Turn       int            `json:"turn"`
		Utterances int            `json:"utterances"`
		Decided    map[string]int `json:"decided"`
	} `json:"per_turn"`
}

// Stats runs `spag stats --json ARGS` in dir and decodes it, failing the
// test when spag fails.
func Stats(t *testing.T, binary, dir string, args ...string) StatsOut {
	t.Helper()
	r := Run(t, binary, 2*time.Minute, dir, append([]string{"stats", "--json"}, args...)...)
	if r.Code != 0 {
		t.Fatalf("stats: exit %d: %s", r.Code, r.Stderr)
	}
	var out StatsOut
	MustJSON(t, r.Stdout, &out)
	return out
}
