package episodes

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// openBound is how long an open may take before the test calls it hung:
// generous, since a refused open does no I/O at all.
const openBound = 30 * time.Second

// TestOpenRefusesSpecialFiles: --db naming a named pipe blocked every
// command in open for good (SQLite opens it and waits for a writer), and a
// directory or a device is no database either. Open and OpenReadOnly
// refuse what is not a regular file, promptly and naming the path; the
// same goes for the files SQLite opens beside it.
func TestOpenRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.db")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	walFifo := filepath.Join(dir, "wal.db")
	if s, err := Open(context.Background(), walFifo, Options{}); err != nil {
		t.Fatal(err)
	} else {
		s.Close()
	}
	if err := syscall.Mkfifo(walFifo+"-wal", 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"fifo", fifo, fifo},
		{"directory", dir, dir},
		{"device", "/dev/null", "/dev/null"},
		{"fifo -wal beside", walFifo, walFifo + "-wal"},
	}
	opens := map[string]func(context.Context, string, Options) (*Store, error){"Open": Open, "OpenReadOnly": OpenReadOnly}
	for _, tt := range tests {
		for name, open := range opens {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				done := make(chan error, 1)
				go func() {
					s, err := open(context.Background(), tt.path, Options{})
					if err == nil {
						s.Close()
					}
					done <- err
				}()
				var err error
				select {
				case err = <-done:
				case <-time.After(openBound):
					// The goroutine stays blocked in open(2); unblock it
					// so the test binary can end.
					if f, ferr := os.OpenFile(tt.path, os.O_WRONLY|syscall.O_NONBLOCK, 0); ferr == nil {
						f.Close()
					}
					t.Fatalf("%s(%s) has not returned after %v", name, tt.path, openBound)
				}
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "not a regular file") {
					t.Errorf("%s(%s) error = %v, want one naming %s as not a regular file", name, tt.path, err, tt.want)
				}
			})
		}
	}
}
