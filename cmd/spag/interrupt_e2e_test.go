package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spag-go/spag/internal/spagtest"
)

// bigSPAGFile returns a SPAG episodes JSON file of n episodes, large enough
// that a writer to a pipe blocks until spag has read most of it.
func bigSPAGFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"target_word": "apple", "max_turns": 5, "history": [`+
			`{"role": "attacker", "content": "A fruit that keeps the doctor away, number %d."},`+
			`{"role": "defender", "content": "I know the word! It is pear!"}]}`, i)
	}
	b.WriteString("\n]\n")
	return b.Bytes()
}

// TestFirstInterruptStopsEveryCommand sends one SIGINT to commands other
// than selfplay and apo while they work: each must stop (not run on to the
// end as if nothing happened), exit with 130 and leave no partial result.
//
// There is no sleep: a command fed on standard input is signalled once it
// has read most of a file larger than the pipe's buffer (the write cannot
// return before), so it is past its signal set-up; a command writing to
// standard output is signalled after its first line, and cannot finish
// before the test reads the rest, since the pipe's buffer is smaller than
// its output.
func TestFirstInterruptStopsEveryCommand(t *testing.T) {
	dir := t.TempDir()
	if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "3000"); r.Code != 0 {
		t.Fatalf("selfplay: %s", r.Stderr)
	}
	input := bigSPAGFile(4000)

	stdinCases := []struct {
		name  string
		args  []string
		check func(t *testing.T)
	}{
		{"episodes import", []string{"episodes", "import", "--db", "import.db", "-"}, func(t *testing.T) {
			if n := countRows(t, filepath.Join(dir, "import.db"), visibleRuns); n != 0 {
				t.Errorf("an interrupted import left %d runs", n)
			}
		}},
		{"rewards --in", []string{"rewards", "--in", "-", "--out", "rewards.json"}, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(dir, "rewards.json")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("an interrupted rewards left its output: %v", err)
			}
		}},
		{"judge FILE", []string{"judge", "-"}, nil},
	}
	for _, tc := range stdinCases {
		t.Run(tc.name, func(t *testing.T) {
			cmd, in, stderr := startFed(t, dir, tc.args...)
			half := len(input) / 2
			if _, err := in.Write(input[:half]); err != nil {
				t.Fatal(err)
			}
			cmd.Process.Signal(os.Interrupt)
			in.Write(input[half:])
			in.Close()
			wantInterrupted(t, cmd.Wait(), stderr.String())
			if tc.check != nil {
				tc.check(t)
			}
		})
	}

	stdoutCases := []struct {
		name string
		args []string
	}{
		{"episodes export", []string{"episodes", "export", "--format", "jsonl"}},
		{"replay list", []string{"replay", "--limit", "0"}},
		{"rewards --db", []string{"rewards", "--db", "spag.db", "--out", "-"}},
		{"judge --db --record", []string{"judge", "--db", "spag.db", "--rules", "spag", "--record"}},
	}
	for _, tc := range stdoutCases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binary, tc.args...)
			cmd.Dir = dir
			var stderr syncBuffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(out)
			if _, err := r.ReadString('\n'); err != nil {
				t.Fatalf("no first line: %v; stderr: %s", err, stderr.String())
			}
			cmd.Process.Signal(os.Interrupt)
			rest, _ := io.Copy(io.Discard, r)
			wantInterrupted(t, cmd.Wait(), stderr.String())
			t.Logf("%d bytes after the interrupt", rest)
		})
	}
}

// startFed starts spag with args in dir, its standard input a pipe that
// the test writes, its standard error kept.
func startFed(t *testing.T, dir string, args ...string) (*exec.Cmd, io.WriteCloser, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	stderr := new(syncBuffer)
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, in, stderr
}

func wantInterrupted(t *testing.T, err error, stderr string) {
	t.Helper()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
		t.Fatalf("exit = %v, want %d after one SIGINT; stderr: %s", err, exitInterrupted, stderr)
	}
	if !strings.Contains(stderr, "interrupted") {
		t.Errorf("stderr does not say it was interrupted: %s", stderr)
	}
}

// visibleRuns are the runs readers see: a stopped import leaves its chunks
// in a staged run, which readers leave out and the next import removes.
const visibleRuns = "runs WHERE staging = 0"

// hangBound only catches a command that does not stop at all; it does not
// time how fast it stops.
const hangBound = spagtest.HangBound

// TestInterruptStopsEndlessSPAGInput feeds commands that read SPAG
// episodes JSON a standard input that never ends, and interrupts them once
// they are reading: each must stop at the interrupt (a reader of the whole
// file would wait for an end that never comes), exit 130 and leave no run.
func TestInterruptStopsEndlessSPAGInput(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
	}{
		{"episodes import", []string{"episodes", "import", "--db", "endless.db", "-"}},
		{"judge FILE", []string{"judge", "-"}},
		{"rewards --in", []string{"rewards", "--in", "-", "--out", "endless.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, in, stderr := startFed(t, dir, tt.args...)
			// Once 4 MB are written through a pipe of 64 KiB, spag is
			// reading; the writer goes on until spag has exited.
			reading := make(chan struct{})
			wrote := make(chan struct{})
			go func() {
				defer close(wrote)
				defer in.Close()
				w := bufio.NewWriter(in)
				w.WriteString("[\n")
				told := false
				for i, n := 0, 0; ; i++ {
					k, err := fmt.Fprintf(w, `{"target_word": "apple", "history": [{"role": "attacker", "content": "A fruit, number %d."}]},`+"\n", i)
					if err != nil {
						return
					}
					if n += k; n > 4<<20 && !told {
						w.Flush()
						close(reading)
						told = true
					}
				}
			}()
			<-reading
			cmd.Process.Signal(os.Interrupt)
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			var err error
			select {
			case err = <-exited:
			case <-time.After(hangBound):
				cmd.Process.Kill()
				<-exited
				t.Fatalf("still running %v after SIGINT; stderr: %s", hangBound, stderr.String())
			}
			<-wrote
			wantInterrupted(t, err, stderr.String())
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "endless.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an interrupted rewards left its output: %v", err)
	}
	if n := countRows(t, filepath.Join(dir, "endless.db"), visibleRuns); n != 0 {
		t.Errorf("an interrupted import left %d runs", n)
	}
}
