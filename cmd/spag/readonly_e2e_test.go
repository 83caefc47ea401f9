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
	if r := spag(t, data, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "40"); r.code != 0 {
		t.Fatalf("selfplay: %s", r.stderr)
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
