package tui

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestExportHonoursUmask: an exported episode is made like any other
// output, 0666 less the umask, and a replaced file keeps its mode. It sets
// the process umask, so it must not run in parallel.
func TestExportHonoursUmask(t *testing.T) {
	rec := fakeRecords()[0]
	for _, tt := range []struct {
		umask int
		want  os.FileMode
	}{{0o002, 0o664}, {0o077, 0o600}} {
		dir := t.TempDir()
		old := syscall.Umask(tt.umask)
		msg := exportEpisode(dir, nil, &rec, rec.Verdict, nil, "md")().(exportedMsg)
		syscall.Umask(old)
		if msg.err != nil {
			t.Fatal(msg.err)
		}
		fi, err := os.Stat(msg.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != tt.want {
			t.Errorf("umask %03o: %s has mode %v, want %v", tt.umask, filepath.Base(msg.path), fi.Mode().Perm(), tt.want)
		}
	}
}
