package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestStreamModes: the streaming openers honour the umask for a new file,
// keep an existing file's mode and never change a link target's mode. It
// sets the process umask, so it must not run in parallel.
func TestStreamModes(t *testing.T) {
	openers := []struct {
		name string
		open func(string) (*os.File, error)
		want string // content after writing "new" over "old"
	}{{"Append", Append, "oldnew"}, {"Create", Create, "new"}}
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			dir := t.TempDir()
			old := syscall.Umask(0o077)
			f, err := o.open(filepath.Join(dir, "new.log"))
			syscall.Umask(old)
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
			if fi, _ := os.Stat(filepath.Join(dir, "new.log")); fi.Mode().Perm() != 0o600 {
				t.Errorf("umask 077: new file mode %v, want -rw-------", fi.Mode().Perm())
			}

			victim := filepath.Join(dir, "victim")
			if err := os.WriteFile(victim, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			os.Chmod(victim, 0o640)
			link := filepath.Join(dir, "link.log")
			if err := os.Symlink("victim", link); err != nil {
				t.Fatal(err)
			}
			f, err = o.open(link)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("new")
			f.Close()
			fi, err := os.Stat(victim)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o640 {
				t.Errorf("link target mode %v, want -rw-r----- (unchanged)", fi.Mode().Perm())
			}
			if b, _ := os.ReadFile(victim); string(b) != o.want {
				t.Errorf("content %q, want %q", b, o.want)
			}

			if _, err := o.open(dir); err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "directory") {
				t.Errorf("open of a directory: error = %v, want one naming it as a directory", err)
			}
			missing := filepath.Join(dir, "missing", "x.log")
			if _, err := o.open(missing); err == nil || strings.Count(err.Error(), missing) != 1 || !strings.Contains(err.Error(), "directory "+filepath.Dir(missing)+" does not exist") {
				t.Errorf("open under a missing directory: error = %v, want one naming %s once and its missing directory", err, missing)
			}
		})
	}
}
