//go:build linux

package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteThroughSpecialFiles writes over a character device, a FIFO and
// symbolic links made in a temporary directory (never the system's own
// /dev/null): each must be written through and stay what it was.
func TestWriteThroughSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	writeString := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}

	t.Run("character device", func(t *testing.T) {
		null := filepath.Join(dir, "null")
		// Major 1, minor 3: the memory device that discards writes.
		if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			if os.Getenv("CI") == "" && errors.Is(err, syscall.EPERM) {
				t.Skipf("mknod needs root: %v", err)
			}
			t.Fatal(err)
		}
		if err := Write(null, writeString("discarded")); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(null)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&fs.ModeCharDevice == 0 {
			t.Errorf("%s is now %v, want a character device", null, fi.Mode())
		}
		assertNoTemp(t, dir)
	})

	t.Run("fifo", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		// The reading end opens first, read-write so that it neither
		// blocks nor sees end-of-file; Write's open then finds a reader,
		// and the content fits in the pipe's buffer.
		r, err := os.OpenFile(fifo, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		const msg = "through the pipe"
		if err := Write(fifo, writeString(msg)); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(fifo)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&fs.ModeNamedPipe == 0 {
			t.Fatalf("%s is now %v, want a named pipe", fifo, fi.Mode())
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(r, buf); err != nil || string(buf) != msg {
			t.Errorf("reader got %q, %v; want %q", buf, err, msg)
		}
	})

	t.Run("symlink to file", func(t *testing.T) {
		sub := filepath.Join(dir, "sub")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		real := filepath.Join(sub, "real.json")
		if err := os.WriteFile(real, []byte("old"), 0o640); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "link.json")
		if err := os.Symlink("sub/real.json", link); err != nil {
			t.Fatal(err)
		}
		if err := Write(link, writeString("new")); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("link replaced: %v %v", fi.Mode(), err)
		}
		if b, _ := os.ReadFile(real); string(b) != "new" {
			t.Errorf("target holds %q, want new", b)
		}
		if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o640 {
			t.Errorf("target mode %v, want its old 0640", fi.Mode().Perm())
		}
		assertNoTemp(t, sub)
	})

	t.Run("dangling symlink", func(t *testing.T) {
		link := filepath.Join(dir, "dangling")
		if err := os.Symlink("made.txt", link); err != nil {
			t.Fatal(err)
		}
		if err := Write(link, writeString("created")); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "made.txt")); string(b) != "created" {
			t.Errorf("link target holds %q", b)
		}
		if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("link replaced by %v", fi.Mode())
		}
	})

	t.Run("symlink loop", func(t *testing.T) {
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		os.Symlink(b, a)
		os.Symlink(a, b)
		if err := Write(a, writeString("x")); err == nil {
			t.Error("a symlink loop was written")
		}
	})
}

// TestNewFileHonoursUmask checks that a new output file gets 0666 less the
// umask, as a shell redirection would make it, not a private 0600.
func TestNewFileHonoursUmask(t *testing.T) {
	for _, tt := range []struct {
		umask int
		want  fs.FileMode
	}{{0o022, 0o644}, {0o027, 0o640}, {0o002, 0o664}} {
		old := syscall.Umask(tt.umask)
		path := filepath.Join(t.TempDir(), "out.txt")
		err := Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err })
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != tt.want {
			t.Errorf("umask %03o: mode %v, want %v", tt.umask, fi.Mode().Perm(), tt.want)
		}
	}
}
