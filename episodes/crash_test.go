package episodes

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
)

// Environment of the child process of TestCrashKeepsCommitted.
const (
	crashPathEnv = "SPAG_EPISODES_CRASH_DB"
	crashRunEnv  = "SPAG_EPISODES_CRASH_RUN"
)

const crashTurns = 6

// TestCrashKeepsCommitted kills a writing process with SIGKILL and checks
// that every episode it reported through OnCommit survived, that none is
// half written, and that the file is intact.
func TestCrashKeepsCommitted(t *testing.T) {
	if path := os.Getenv(crashPathEnv); path != "" {
		crashChild(path, os.Getenv(crashRunEnv))
		return
	}
	ctx := context.Background()
	s, path := openTest(t, Options{})
	run := createRun(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	cmd, out := startChild(t, "TestCrashKeepsCommitted", crashPathEnv+"="+path, crashRunEnv+"="+run.ID)
	// Kill the child if it does not report in time, so the test ends.
	watchdog := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer watchdog.Stop()

	reported := map[int]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(reported) < 400 {
		idx, ok := strings.CutPrefix(sc.Text(), "committed ")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(idx)
		if err != nil {
			t.Fatalf("child printed %q", sc.Text())
		}
		reported[n] = true
	}
	// SIGKILL while the child is still writing: no chance to clean up.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	go func() {
		for sc.Scan() { // drain so Wait does not block on the pipe
		}
	}()
	cmd.Wait()
	if len(reported) < 400 {
		t.Fatalf("child reported only %d commits", len(reported))
	}

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("integrity check after kill: %v", err)
	}
	var ok string
	if err := s.rdb.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("PRAGMA integrity_check = %q, %v", ok, err)
	}
	recs, err := s.Episodes(ctx, Filter{RunID: run.ID, Turns: true})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[int]bool{}
	for _, r := range recs {
		stored[r.Index] = true
		if len(r.Turns) != crashTurns {
			t.Errorf("episode %d stored with %d of %d turns", r.Index, len(r.Turns), crashTurns)
		}
	}
	for idx := range reported {
		if !stored[idx] {
			t.Errorf("episode %d was reported committed but is missing", idx)
		}
	}
	t.Logf("%d episodes reported before the kill, %d stored", len(reported), len(stored))

	// The store stays usable: the run can be resumed.
	done, err := s.DoneIndices(ctx, run.ID)
	if err != nil || len(done) != len(stored) {
		t.Fatalf("DoneIndices: %d, %v; want %d", len(done), err, len(stored))
	}
	if err := s.Write(ctx, run.ID, sampleEpisode(len(recs)+1000, 2)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// startChild runs this test binary's test name in a child process with
// env added, for the child's half of a two-process test; it returns the
// child and its standard output.
func startChild(t *testing.T, name string, env ...string) (*exec.Cmd, io.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

// crashChild writes episodes until it is killed, printing each committed
// index; it gives up after a minute so a broken parent cannot leave it
// running.
func crashChild(path, runID string) {
	ctx := context.Background()
	s, err := Open(ctx, path, Options{
		BatchSize: 8, FlushInterval: time.Millisecond,
		OnCommit: func(eps []game.Episode) {
			var b strings.Builder
			for _, ep := range eps {
				fmt.Fprintf(&b, "committed %d\n", ep.Index)
			}
			os.Stdout.WriteString(b.String()) // unbuffered: the parent sees it now
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	deadline := time.Now().Add(time.Minute)
	for i := 0; time.Now().Before(deadline); i++ {
		if err := s.Write(ctx, runID, sampleEpisode(i, crashTurns)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	os.Exit(3)
}
