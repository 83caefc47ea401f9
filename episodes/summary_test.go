package episodes

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestRunSummariesLeases checks how a lease decides a run's state: a lease
// of a process that is gone (kill -9) leaves the run stopped, a live one
// or one from another host (which cannot be checked) makes it playing.
func TestRunSummariesLeases(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t, Options{})
	run := createRun(t, s) // 2 planned
	if err := s.Write(ctx, run.ID, sampleEpisode(0, 2)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for _, tc := range []struct {
		name  string
		host  string
		pid   int
		state RunState
	}{
		{"no lease", "", 0, RunStopped},
		{"holder exited", host, dead.Process.Pid, RunStopped},
		{"holder alive", host, os.Getpid(), RunPlaying},
		{"other host", host + "-elsewhere", dead.Process.Pid, RunPlaying},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.wdb.ExecContext(ctx, `DELETE FROM leases`); err != nil {
				t.Fatal(err)
			}
			if tc.host != "" {
				_, err := s.wdb.ExecContext(ctx, `INSERT INTO leases (run_id, host, pid, started, acquired_at) VALUES (?, ?, ?, 0, ?)`,
					run.ID, tc.host, tc.pid, time.Now().UnixNano())
				if err != nil {
					t.Fatal(err)
				}
			}
			sums, err := s.RunSummaries(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(sums) != 1 || sums[0].ID != run.ID || sums[0].Done != 1 || sums[0].Total != 2 {
				t.Fatalf("summaries = %+v", sums)
			}
			if sums[0].State != tc.state || (sums[0].Holder != nil) != (tc.state == RunPlaying) {
				t.Errorf("state %q holder %v, want %q", sums[0].State, sums[0].Holder, tc.state)
			}
			if h := sums[0].Holder; h != nil && (h.Host != tc.host || h.PID != tc.pid) {
				t.Errorf("holder = %+v, want %s pid %d", h, tc.host, tc.pid)
			}
		})
	}
}
