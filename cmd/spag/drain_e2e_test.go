package main

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFirstInterruptAgainstFailingBackend plays against a model server that
// answers every call with 500, or accepts it and never answers, and sends
// one SIGINT once the server has seen a call: spag must acknowledge the
// interrupt on stderr before the drain ends (it used to say nothing for
// minutes, retrying and waiting out the turn timeout) and exit with the
// interrupted code, its games in flight cancelled after the drain's grace.
// hangBound only catches a hang; the times are measured by hand (README).
func TestFirstInterruptAgainstFailingBackend(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
	}{
		{"500", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":{"message":"overloaded"}}`, http.StatusInternalServerError)
		}},
		{"stalled", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := make(chan struct{})
			var once sync.Once
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/models") {
					fmt.Fprint(w, `{"object":"list","data":[{"id":"m","object":"model"}]}`)
					return
				}
				once.Do(func() { close(called) })
				tt.answer(w, r)
			}))
			defer srv.Close()
			cmd := exec.Command(binary, "selfplay", "--games", "50", "--db", "d.db",
				"--attacker", "openai:m@"+srv.URL, "--defender", "builtin")
			cmd.Dir = t.TempDir()
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string)
			var all syncBuffer
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					all.Write([]byte(sc.Text() + "\n"))
					lines <- sc.Text()
				}
			}()
			hang := time.After(hangBound)
			select {
			case <-called:
			case <-hang:
				cmd.Process.Kill()
				t.Fatalf("the server saw no call; stderr: %s", all.String())
			}
			cmd.Process.Signal(os.Interrupt)
			acked := false
			for !acked {
				select {
				case line, ok := <-lines:
					if !ok {
						t.Fatalf("stderr ended without an acknowledgment: %s", all.String())
					}
					acked = strings.Contains(line, "interrupted: finishing the work in flight") && strings.Contains(line, "Ctrl-C again to stop now")
				case <-hang:
					cmd.Process.Kill()
					t.Fatalf("no acknowledgment of the interrupt; stderr: %s", all.String())
				}
			}
			exited := make(chan error, 1)
			go func() {
				for range lines { // keep reading stderr until spag closes it
				}
				exited <- cmd.Wait()
			}()
			select {
			case err = <-exited:
			case <-hang:
				cmd.Process.Kill()
				<-exited
				t.Fatalf("still running after the interrupt; stderr: %s", all.String())
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
				t.Fatalf("exit %v, want %d; stderr: %s", err, exitInterrupted, all.String())
			}
			if !strings.Contains(all.String(), "--resume") {
				t.Errorf("stderr does not say how to resume: %s", all.String())
			}
		})
	}
}
