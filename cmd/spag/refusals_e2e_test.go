package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRefusedBeforeAnyWork: inputs and outputs that cannot work are
// refused at once with the exit code the README gives, an error naming
// what to fix, and no file left behind (issue 28, items 10 and 12).
func TestRefusedBeforeAnyWork(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "empty.json", "[]\n")
	writeFile(t, dir, "huge.json", `[{"target_word": "apple", "max_turns": 1000000000000, "history": []}]`)
	writeFile(t, dir, "bidi.json", "[{\"target_word\": \"ab\u202ecd\", \"history\": []}]")
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.db"), 0o600); err != nil {
		t.Fatal(err)
	}
	train := func(extra ...string) []string {
		return append([]string{"train", "--objective", "sft", "--data", "train.json", "--init", "tiny.ckpt", "--steps", "1", "--db", ""}, extra...)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
		absent []string // files the refusal must not make
	}{
		{"train --metrics -", train("--out", "x.ckpt", "--metrics", "-"), exitUsage, []string{"--metrics -: name a file"}, []string{"-", "x.ckpt"}},
		{"train --out in a missing directory", train("--out", "nonexistent/x.ckpt"), 1,
			[]string{"directory nonexistent does not exist"}, []string{"nonexistent"}},
		{"import of no episodes", []string{"episodes", "import", "--db", "new.db", "empty.json"}, 1,
			[]string{"import empty.json: no episodes to import"}, []string{"new.db"}},
		{"import of a max_turns rewards refuses", []string{"episodes", "import", "--db", "new.db", "huge.json"}, 1,
			[]string{"huge.json:1:", "max_turns: want an integer from 1 to 1000"}, []string{"new.db"}},
		{"import of a hidden character", []string{"episodes", "import", "--db", "new.db", "bidi.json"}, 1,
			[]string{"bidi.json:1:", "invisible character U+202E"}, []string{"new.db"}},
		{"stats on a named pipe", []string{"stats", "--db", "fifo.db"}, 1, []string{"fifo.db: not a regular file (a named pipe)"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A refusal does no work; the hang bound catches a command
			// that hangs instead (stats used to, on the pipe).
			r := spag(t, dir, tt.args...)
			if r.Code != tt.code {
				t.Errorf("exit %d, want %d\n%s", r.Code, tt.code, r.Stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, r.Stderr)
				}
			}
			for _, name := range tt.absent {
				if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
					t.Errorf("%s was made", name)
					os.RemoveAll(filepath.Join(dir, name))
				}
			}
		})
	}
}
