package episodes

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Environment of the child process of TestRunLeaseAcrossProcesses.
const (
	leasePathEnv = "SPAG_EPISODES_LEASE_DB"
	leaseRunEnv  = "SPAG_EPISODES_LEASE_RUN"
)

// TestRunLease checks the lease in one process: a second acquirer is
// refused with the holder's name until the lease is released, Close
// releases it, and a lease left by a process that is gone is taken over.
func TestRunLease(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t, Options{})
	run := createRun(t, s)

	release, err := s.AcquireRun(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.AcquireRun(ctx, run.ID)
	var busy *RunBusyError
	if !errors.As(err, &busy) || !errors.Is(err, ErrRunBusy) || busy.PID != os.Getpid() {
		t.Fatalf("second acquire: %v, want a RunBusyError naming pid %d", err, os.Getpid())
	}
	host, _ := os.Hostname()
	if !strings.Contains(err.Error(), fmt.Sprintf("process %d on %s", os.Getpid(), host)) {
		t.Errorf("error does not name the holder: %v", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Errorf("second release: %v", err)
	}
	if _, err := s.AcquireRun(ctx, run.ID); err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	if _, err := s.AcquireRun(ctx, "r-none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown run: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.AcquireRun(ctx, run.ID); err != nil {
		t.Fatalf("Close did not release the lease: %v", err)
	}

	// A lease of a process that has exited (as after kill -9), and one of a
	// live pid with another start time (the pid reused), are taken over; a
	// lease from another host is not.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		host    string
		pid     int
		started int64
		busy    bool
	}{
		{"holder exited", host, dead.Process.Pid, 0, false},
		{"pid reused", host, os.Getpid(), 1, processStart(os.Getpid()) == 0},
		{"other host", host + "-elsewhere", dead.Process.Pid, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s2.wdb.ExecContext(ctx, `INSERT OR REPLACE INTO leases (run_id, host, pid, started, acquired_at) VALUES (?, ?, ?, ?, ?)`,
				run.ID, tc.host, tc.pid, tc.started, time.Now().UnixNano())
			if err != nil {
				t.Fatal(err)
			}
			release, err := s2.AcquireRun(ctx, run.ID)
			if tc.busy != errors.Is(err, ErrRunBusy) || !tc.busy && err != nil {
				t.Fatalf("acquire: %v, want busy %v", err, tc.busy)
			}
			if release != nil {
				release()
			}
		})
	}
	if err := s2.BreakRunLease(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.AcquireRun(ctx, run.ID); err != nil {
		t.Errorf("acquire after BreakRunLease: %v", err)
	}
}

// TestRunLeaseAcrossProcesses holds a run's lease in a child process: the
// parent is refused with the child's pid, and takes the lease over once
// the child is killed with SIGKILL, which releases nothing.
func TestRunLeaseAcrossProcesses(t *testing.T) {
	if path := os.Getenv(leasePathEnv); path != "" {
		leaseChild(path, os.Getenv(leaseRunEnv))
		return
	}
	ctx := context.Background()
	s, path := openTest(t, Options{})
	run := createRun(t, s)

	cmd, out := startChild(t, "TestRunLeaseAcrossProcesses", leasePathEnv+"="+path, leaseRunEnv+"="+run.ID)
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "leased" {
	}
	_, err := s.AcquireRun(ctx, run.ID)
	var busy *RunBusyError
	if !errors.As(err, &busy) || busy.PID != cmd.Process.Pid {
		cmd.Process.Kill()
		t.Fatalf("acquire while the child holds the lease: %v, want busy by pid %d", err, cmd.Process.Pid)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := s.AcquireRun(ctx, run.ID); err != nil {
		t.Errorf("acquire after the holder was killed: %v", err)
	}
}

// leaseChild takes the lease, says so and waits to be killed.
func leaseChild(path, runID string) {
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := s.AcquireRun(context.Background(), runID); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("leased")
	select {}
}

// TestHoldLeases checks the leases of loops and of training outputs as
// TestRunLease does a run's: a second acquirer (another connection, as
// another process would be) is refused with the holder's name until the
// lease is released; a lease of a process gone from this host is taken
// over; loops and outputs do not share leases.
func TestHoldLeases(t *testing.T) {
	ctx := context.Background()
	first, path := openTest(t, Options{})
	second, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "x.ckpt")
	t.Chdir(dir)
	for _, tt := range []struct {
		name    string
		acquire func(s *Store) (func() error, error)
		what    string
	}{
		{"loop", func(s *Store) (func() error, error) { return s.AcquireLoop(ctx, "L1") }, "loop L1"},
		{"output by relative path", func(s *Store) (func() error, error) { return s.AcquireOutput(ctx, "x.ckpt") }, "training output " + out},
	} {
		t.Run(tt.name, func(t *testing.T) {
			release, err := tt.acquire(first)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tt.acquire(second)
			var busy *BusyError
			host, _ := os.Hostname()
			if !errors.As(err, &busy) || !errors.Is(err, ErrBusy) || busy.PID != os.Getpid() ||
				!strings.Contains(err.Error(), fmt.Sprintf("%s is in use by process %d on %s", tt.what, os.Getpid(), host)) {
				t.Fatalf("second acquire: %v; want a BusyError naming %s and pid %d", err, tt.what, os.Getpid())
			}
			if err := release(); err != nil {
				t.Fatal(err)
			}
			again, err := tt.acquire(second)
			if err != nil {
				t.Fatalf("acquire after release: %v", err)
			}
			// Left by a process that exited, as after kill -9: taken over.
			dead := exec.Command("true")
			if err := dead.Run(); err != nil {
				t.Fatal(err)
			}
			if _, err := second.wdb.ExecContext(ctx, `UPDATE holds SET pid = ?, started = 0`, dead.Process.Pid); err != nil {
				t.Fatal(err)
			}
			if _, err := tt.acquire(first); err != nil {
				t.Errorf("acquire of a dead holder's lease: %v", err)
			}
			again()
			if err := first.releaseAll(); err != nil {
				t.Fatal(err)
			}
		})
	}
	releaseLoop, err := first.AcquireLoop(ctx, "L2")
	if err != nil {
		t.Fatal(err)
	}
	defer releaseLoop()
	if _, err := first.AcquireOutput(ctx, "L2"); err != nil {
		t.Errorf("an output named like a held loop: %v", err)
	}
}
