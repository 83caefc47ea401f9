package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestOpenLogIsPerUserAndFollowsNoLink: the log goes to a new file in the
// user's state directory, never through a link planted at its name nor at
// the old fixed $TMPDIR/spag-tui.log, and a log left there by someone else
// (unwritable) does not stop the UI from getting one.
func TestOpenLogIsPerUserAndFollowsNoLink(t *testing.T) {
	tmp, state := t.TempDir(), t.TempDir()
	victim := filepath.Join(tmp, "victim")
	if err := os.Symlink(victim, filepath.Join(tmp, "spag-tui.log")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(state, "spag")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	const pid = 4242
	// A link at the process's own name, and an unwritable log (root's,
	// when the test runs as root) at the next one.
	if err := os.Symlink(victim, filepath.Join(dir, "spag-tui-4242.log")); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "spag-tui-4242-1.log")
	if err := os.WriteFile(stale, []byte("old"), 0o400); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(stale, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	f, err := OpenLog(envMap(map[string]string{"TMPDIR": tmp, "XDG_STATE_HOME": state, "HOME": "/nonexistent"}), pid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("hello\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := f.Name(), filepath.Join(dir, "spag-tui-4242-2.log"); got != want {
		t.Errorf("log file %s, want %s", got, want)
	}
	if _, err := os.Lstat(victim); !os.IsNotExist(err) {
		t.Errorf("a planted link was followed: %s exists (%v)", victim, err)
	}
	if b, _ := os.ReadFile(stale); string(b) != "old" {
		t.Errorf("the stale log changed to %q", b)
	}
	fi, err := os.Stat(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode %v, want -rw-------", fi.Mode().Perm())
	}
}

func TestOpenLogPlaces(t *testing.T) {
	home := t.TempDir()
	file := filepath.Join(home, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(home, "open")
	if err := os.MkdirAll(filepath.Join(open, "spag"), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(open, "spag"), 0o777)
	tests := []struct {
		name    string
		env     map[string]string
		wantDir string // the log's directory; "" for an error
		wantErr string
	}{
		{"home", map[string]string{"HOME": home}, filepath.Join(home, ".local", "state", "spag"), ""},
		{"relative XDG_STATE_HOME ignored", map[string]string{"HOME": home, "XDG_STATE_HOME": "rel"}, filepath.Join(home, ".local", "state", "spag"), ""},
		{"SPAG_LOG", map[string]string{"SPAG_LOG": filepath.Join(home, "mine.log")}, home, ""},
		{"no home", map[string]string{}, "", "SPAG_LOG"},
		{"state dir under a file", map[string]string{"XDG_STATE_HOME": file}, "", file},
		{"state dir writable by others", map[string]string{"XDG_STATE_HOME": open}, "", "writable by others"},
		{"SPAG_LOG unwritable", map[string]string{"SPAG_LOG": filepath.Join(file, "x.log")}, "", filepath.Join(file, "x.log")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := OpenLog(envMap(tt.env), 7)
			if tt.wantDir == "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if filepath.Dir(f.Name()) != tt.wantDir {
				t.Errorf("log %s, want one in %s", f.Name(), tt.wantDir)
			}
			if fi, err := os.Stat(filepath.Dir(f.Name())); err == nil && tt.env["SPAG_LOG"] == "" && fi.Mode().Perm() != 0o700 {
				t.Errorf("state directory mode %v, want drwx------", fi.Mode().Perm())
			}
		})
	}
}

// TestEmptyLogIsRemoved: a session that logged nothing leaves no file.
func TestEmptyLogIsRemoved(t *testing.T) {
	state := t.TempDir()
	f, err := OpenLog(envMap(map[string]string{"XDG_STATE_HOME": state}), 1)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.Stat(f.Name()); !os.IsNotExist(err) {
		t.Errorf("empty log %s kept (%v)", f.Name(), err)
	}
}
