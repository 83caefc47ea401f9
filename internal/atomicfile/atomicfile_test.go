package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesWholeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "new content"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new content" {
		t.Errorf("content = %q", b)
	}
}

func TestFailedWriteLeavesTargetAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, strings.Repeat("x", 1<<20))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("target changed to %.20q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the target", len(entries))
	}
}

func TestUnwritableDirectoryNamesPath(t *testing.T) {
	err := Write("/proc/nope/out.json", func(io.Writer) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "/proc/nope/out.json") {
		t.Errorf("err = %v", err)
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		ok         bool
	}{
		{"new file", filepath.Join(dir, "new.ckpt"), true},
		{"missing directory", filepath.Join(dir, "a", "b", "new.ckpt"), false},
		{"existing file", file, true},
		{"under a file", filepath.Join(file, "x.ckpt"), false},
		{"a directory", dir, false},
		{"under /proc", "/proc/nope/x.ckpt", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckWritable(tt.path)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckWritable(%s) = %v, want ok %v", tt.path, err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name %s", err, tt.path)
			}
		})
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Errorf("existing file changed to %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Errorf("CheckWritable made a directory the user did not name (%v)", err)
	}
	assertNoTemp(t, dir)
}

// TestMissingDirectoryIsNamed: a file in a missing directory is refused
// with an error that names the directory, and nothing is made.
func TestMissingDirectoryIsNamed(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nonexistent")
	path := filepath.Join(missing, "x.ckpt")
	for name, f := range map[string]func() error{
		"Write": func() error {
			return Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err })
		},
		"CheckWritable": func() error { return CheckWritable(path) },
		"Mkdir":         func() error { return Mkdir(filepath.Join(missing, "loop")) },
	} {
		err := f()
		if err == nil || !strings.Contains(err.Error(), "directory "+missing+" does not exist") {
			t.Errorf("%s: error = %v, want one saying directory %s does not exist", name, err, missing)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Fatalf("%s made %s (%v)", name, missing, err)
		}
	}
}

func TestMkdir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, wantErr string
	}{
		{"new", filepath.Join(dir, "loop"), ""},
		{"existing", dir, ""},
		{"trailing slash", filepath.Join(dir, "loop2") + "/", ""},
		{"a file", file, "a file of that name exists"},
		{"under a file", filepath.Join(file, "loop"), "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Mkdir(tt.path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if fi, err := os.Stat(tt.path); err != nil || !fi.IsDir() {
					t.Errorf("%s is not a directory (%v)", tt.path, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error = %v, want one naming %s and containing %q", err, tt.path, tt.wantErr)
			}
		})
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*"))
	if len(matches) > 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}
