package eval

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func testFigure(t *testing.T) *Figure {
	t.Helper()
	f, err := Histogram("h", "x", map[int]int{1: 1, 2: 3})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSaveKeepsLinkTargetMode: a figure's file planted as a symbolic link
// to someone's private file is written through (as every spag output is),
// but the target keeps its permissions: Save must never chmod through a
// link (issue 28: a 0600 file became 0644, a device lost its write bits).
func TestSaveKeepsLinkTargetMode(t *testing.T) {
	root := t.TempDir()
	rep := filepath.Join(root, "rep")
	if err := os.Mkdir(rep, 0o777); err != nil {
		t.Fatal(err)
	}
	victims := map[string]string{"png": "victim", "svg": "private.txt"}
	for ext, name := range victims {
		path := filepath.Join(root, name)
		if err := os.WriteFile(path, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o600); err != nil { // whatever the umask
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..", name), filepath.Join(rep, "R-outcomes."+ext)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := testFigure(t).Save(rep, "R-outcomes"); err != nil {
		t.Fatal(err)
	}
	for ext, name := range victims {
		fi, err := os.Stat(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("R-outcomes.%s -> ../%s: target mode %v after Save, want -rw------- (unchanged)", ext, name, fi.Mode().Perm())
		}
		li, err := os.Lstat(filepath.Join(rep, "R-outcomes."+ext))
		if err != nil {
			t.Fatal(err)
		}
		if li.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("R-outcomes.%s is no longer a link", ext)
		}
	}
}

// TestSaveHonoursUmask: new figures get 0666 less the umask like every
// other output, so umask 077 makes them private. It sets the process
// umask, so it must not run in parallel with other tests.
func TestSaveHonoursUmask(t *testing.T) {
	for _, tt := range []struct {
		umask int
		want  fs.FileMode
	}{{0o077, 0o600}, {0o022, 0o644}, {0o002, 0o664}} {
		dir := t.TempDir()
		old := syscall.Umask(tt.umask)
		files, err := testFigure(t).Save(dir, "fig")
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{files.SVG, files.PNG} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tt.want {
				t.Errorf("umask %03o: %s has mode %v, want %v", tt.umask, filepath.Base(path), fi.Mode().Perm(), tt.want)
			}
		}
	}
}
