package spagtest

import (
	"io"
	"os/exec"
	"testing"
	"time"
)

// TestWatchdogKillsOnlyASilentProcess: a process that writes nothing is
// killed once the silence bound passes, however long it would have run;
// one that keeps writing runs to its end, even past that bound in all.
func TestWatchdogKillsOnlyASilentProcess(t *testing.T) {
	tests := []struct {
		name       string
		script     string
		silence    time.Duration
		wantKilled bool
	}{
		{"silent", "exec sleep 600", 100 * time.Millisecond, true},
		{"writing", "for i in 1 2 3 4 5; do echo $i; sleep 0.1; done", time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("sh", "-c", tt.script)
			dog := newWatchdog()
			cmd.Stdout, cmd.Stderr = dog, io.Discard
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go dog.watch(cmd.Process, tt.silence)
			err := cmd.Wait()
			dog.stop()
			if got := dog.fired.Load(); got != tt.wantKilled || (err != nil) != tt.wantKilled {
				t.Errorf("killed %v (exit %v), want killed %v", got, err, tt.wantKilled)
			}
		})
	}
}
