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
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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

// HangBound bounds how long a run of spag may go without writing anything,
// or a wait for what a running spag prints or stores, only to catch a
// hang. It is generous on purpose: with other work beside it (load 20 and
// more on 2 cores) a command that takes a second on a quiet machine takes
// minutes (the tiny Ollama model serves 0.1 episodes a second and less),
// which is no bug, and a test that waits on a condition goes on as soon as
// the condition holds.
const HangBound = 15 * time.Minute

// Result is what one run of spag did.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Run runs binary in dir with args and returns what it did. silence only
// catches a hung command: spag is killed once it has written nothing to
// stdout or stderr for that long, however long the whole run takes (a slow
// run on a busy machine goes on printing its progress).
func Run(t *testing.T, binary string, silence time.Duration, dir string, args ...string) Result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	dog := newWatchdog()
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, dog), io.MultiWriter(&errb, dog)
	// A child that spag started and that outlives it (a trainer it ran)
	// must not keep Wait on the pipes forever.
	cmd.WaitDelay = time.Minute
	if err := cmd.Start(); err != nil {
		t.Fatalf("run spag %v: %v", args, err)
	}
	go dog.watch(cmd.Process, silence)
	err := cmd.Wait()
	dog.stop()
	if dog.fired.Load() {
		t.Fatalf("spag %v wrote nothing for %v and was killed as hung; stderr:\n%s", args, silence, errb.String())
	}
	return Result{Code: exitCode(t, args, err), Stdout: out.String(), Stderr: errb.String()}
}

// watchdog kills a process that has written nothing for a while: a hung
// spag is silent, while a slow one keeps printing. As an io.Writer beside
// the real one it notes each write.
type watchdog struct {
	kick  chan struct{}
	done  chan struct{}
	fired atomic.Bool // it killed the process
}

func newWatchdog() *watchdog {
	return &watchdog{kick: make(chan struct{}, 1), done: make(chan struct{})}
}

func (d *watchdog) Write(p []byte) (int, error) {
	select {
	case d.kick <- struct{}{}:
	default: // a kick is already pending
	}
	return len(p), nil
}

// watch kills p after silence without a write, until stop.
func (d *watchdog) watch(p *os.Process, silence time.Duration) {
	timer := time.NewTimer(silence)
	defer timer.Stop()
	for {
		select {
		case <-d.done:
			return
		case <-d.kick:
			timer.Reset(silence)
		case <-timer.C:
			d.fired.Store(true)
			p.Kill()
			return
		}
	}
}

func (d *watchdog) stop() { close(d.done) }

// exitCode is the exit code of a run of spag with args that ended with
// err; the test fails when spag could not run at all.
func exitCode(t *testing.T, args []string, err error) int {
	t.Helper()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run spag %v: %v", args, err)
	}
	return 0
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

// Watched is a running spag whose stderr a test follows line by line, to
// act when it says something (and not after a guessed time).
type Watched struct {
	Cmd *exec.Cmd

	mu    sync.Mutex
	lines []string
	more  chan struct{} // closed (and replaced) when a line comes or stderr ends
	ended bool          // stderr has ended: spag exited
	done  chan struct{} // closed when stderr has ended

	stdout  *SyncBuffer
	dog     *watchdog
	waited  sync.Once
	waitErr error
}

// Watch starts binary in dir with args. Its stderr is read as it comes,
// so that spag never blocks on it, and its stdout is kept; spag is killed
// once it has written nothing for HangBound (see Run).
func Watch(t *testing.T, binary, dir string, args ...string) *Watched {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var stdout SyncBuffer
	dog := newWatchdog()
	cmd.Stdout = io.MultiWriter(&stdout, dog)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go dog.watch(cmd.Process, HangBound)
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 16<<20) // a long line must not stop the reading
	w := &Watched{Cmd: cmd, more: make(chan struct{}), done: make(chan struct{}), dog: dog, stdout: &stdout}
	go func() {
		for sc.Scan() {
			dog.Write(nil)
			w.mu.Lock()
			w.lines = append(w.lines, sc.Text())
			close(w.more)
			w.more = make(chan struct{})
			w.mu.Unlock()
		}
		w.mu.Lock()
		w.ended = true
		close(w.more)
		w.mu.Unlock()
		close(w.done)
	}()
	t.Cleanup(func() {
		// A test that failed before Wait must not leave spag running.
		select {
		case <-w.done:
		default:
			cmd.Process.Kill()
		}
		w.Wait()
	})
	return w
}

// WaitFor returns the first line of stderr that match accepts, waiting
// for it line by line. It fails the test when spag ends first; what names
// the awaited line in that message.
func (w *Watched) WaitFor(t *testing.T, what string, match func(line string) bool) string {
	t.Helper()
	for i := 0; ; {
		w.mu.Lock()
		for ; i < len(w.lines); i++ {
			if match(w.lines[i]) {
				line := w.lines[i]
				w.mu.Unlock()
				return line
			}
		}
		ended, more := w.ended, w.more
		w.mu.Unlock()
		if ended {
			t.Fatalf("spag ended (%v) before %s; stderr:\n%s", w.Wait(), what, w.Stderr())
		}
		<-more
	}
}

// WaitForRows waits until the table of the database at path holds at
// least n rows and returns their count. A database has no notice of a
// change to wait on, so it is read again every 20 ms; it fails the test
// when spag ends first.
func (w *Watched) WaitForRows(t *testing.T, path, table string, n int) int {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if got := CountRows(t, path, table); got >= n {
			return got
		}
		select {
		case <-w.done:
			if got := CountRows(t, path, table); got >= n {
				return got
			}
			t.Fatalf("spag ended (%v) before %s held %d rows of %s; stderr:\n%s", w.Wait(), path, n, table, w.Stderr())
		case <-tick.C:
		}
	}
}

// Stderr is what spag has written to stderr so far.
func (w *Watched) Stderr() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.lines) == 0 {
		return ""
	}
	return strings.Join(w.lines, "\n") + "\n"
}

// Result waits for spag to exit and returns what it did.
func (w *Watched) Result(t *testing.T) Result {
	t.Helper()
	code := exitCode(t, w.Cmd.Args[1:], w.Wait())
	return Result{Code: code, Stdout: w.stdout.String(), Stderr: w.Stderr()}
}

// Wait waits for spag to exit, having read all of its stderr, and
// returns what exec.Cmd.Wait says (the same on every call).
func (w *Watched) Wait() error {
	w.waited.Do(func() {
		<-w.done
		w.waitErr = w.Cmd.Wait()
		w.dog.stop()
	})
	return w.waitErr
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
	r := Run(t, binary, HangBound, dir, append([]string{"stats", "--json"}, args...)...)
	if r.Code != 0 {
		t.Fatalf("stats: exit %d: %s", r.Code, r.Stderr)
	}
	var out StatsOut
	MustJSON(t, r.Stdout, &out)
	return out
}
