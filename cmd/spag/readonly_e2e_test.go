//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestReadersWorkInAReadOnlyDirectory runs the reading commands on a
// database whose directory and file the user cannot write: they must read
// it, not fail with "attempt to write a readonly database". Run as root,
// the commands run as nobody, since permission bits do not stop root.
func TestReadersWorkInAReadOnlyDirectory(t *testing.T) {
	top, err := os.MkdirTemp("", "spag-ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.Walk(top, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(top)
	})
	data := filepath.Join(top, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if r := spag(t, data, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "40"); r.Code != 0 {
		t.Fatalf("selfplay: %s", r.Stderr)
	}
	// The user's own copy of the binary: the test's build directory is
	// private to the user running the tests.
	bin := filepath.Join(top, "spag")
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{top} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(data, "spag.db"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o555); err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{
		{"stats"},
		{"stats", "--all", "--json"},
		{"replay", "--limit", "5"},
		{"replay", "--episode", "1"},
		{"episodes", "export", "--format", "jsonl"},
		{"rewards", "--db", "spag.db", "--out", "-"},
		{"judge", "--db", "spag.db", "--rules", "spag"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = data
		if os.Geteuid() == 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("spag %v: %v", args, err)
		}
		if err != nil || stdout.Len() == 0 {
			t.Errorf("spag %v in a read-only directory: %v\n%s", args, err, stderr.String())
		}
	}
	entries, _ := os.ReadDir(data)
	if len(entries) != 1 {
		t.Errorf("the read-only directory holds %d files, want only the database", len(entries))
	}
}

// TestOutputsWriteThroughSpecialFiles gives --out a character device and a
// symbolic link made in a temporary directory (never the system's own
// /dev/null) and "-": the device stays a device, the link a link whose
// target holds the data, and "-" puts a checkpoint on standard output.
func TestOutputsWriteThroughSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "20"); r.Code != 0 {
		t.Fatalf("selfplay: %s", r.Stderr)
	}
	null := filepath.Join(dir, "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		if os.Getenv("CI") == "" && errors.Is(err, syscall.EPERM) {
			t.Skipf("mknod needs root: %v", err)
		}
		t.Fatal(err)
	}
	if err := os.Symlink("data/train.json", filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"rewards", "--db", "spag.db", "--out", "null"},
		{"episodes", "export", "--out", "null"},
		{"rewards", "--db", "spag.db", "--out", "link.json"},
	} {
		if r := spag(t, dir, args...); r.Code != 0 {
			t.Fatalf("spag %v: %s", args, r.Stderr)
		}
	}
	if fi, err := os.Lstat(null); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("the device node is now %v (%v)", fi.Mode(), err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "link.json")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is now %v (%v)", fi.Mode(), err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "data", "train.json")); err != nil || !bytes.HasPrefix(b, []byte("[")) {
		t.Errorf("the link's target holds %.40q (%v)", b, err)
	}

	r := spag(t, dir, "rewards", "--db", "spag.db", "--out", "train.json")
	if r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	r = spag(t, dir, "model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "train.json", "--out", "-")
	if r.Code != 0 || !bytes.HasPrefix([]byte(r.Stdout), []byte("SPAGCKPT")) {
		t.Fatalf("model init --out -: exit %d, %d bytes on stdout\n%s", r.Code, len(r.Stdout), r.Stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "piped.ckpt"), []byte(r.Stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if info := spag(t, dir, "model", "info", "piped.ckpt"); info.Code != 0 {
		t.Errorf("the checkpoint written to stdout does not load: %s", info.Stderr)
	}
}
