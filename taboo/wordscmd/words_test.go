package wordscmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/wordnet"
	"github.com/spag-go/spag/taboo"
)

func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	io, _, out, _ := cmdutil.Test()
	cmd := NewCmdWords(cmdutil.New(io, nil))
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

var registerOtherGame = sync.OnceFunc(func() {
	game.Games.Register(&game.Description{Name: "words-test-other", Title: "Other Game", Roles: []string{"a"}})
})

// newStore makes a database of an empty Taboo run and a run of another
// game.
func newStore(t *testing.T) (path, otherRun string) {
	t.Helper()
	registerOtherGame()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "words.db")
	s, err := episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, g := range []string{taboo.Name, "words-test-other"} {
		r := &episodes.Run{Game: g, Judge: "j@1", Total: 1, MaxTurns: 5, Players: map[string]string{"a": "x"}}
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		otherRun = r.ID
	}
	return path, otherRun
}

func TestWords(t *testing.T) {
	path, otherRun := newStore(t)
	bad := filepath.Join(t.TempDir(), "bad.txt")
	if err := os.WriteFile(bad, []byte("two words\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := execute(t, "list")
	if err != nil || len(strings.Fields(out)) < 100 {
		t.Errorf("words list: %v, %d words", err, len(strings.Fields(out)))
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"a bad word list", []string{"list", "--words", bad}, "--words: "},
		{"size 0", []string{"build", "--size", "0"}, "--size must be at least 1 (got 0)"},
		{"list larger than size", []string{"build", "--size", "5", "--list-size", "6"}, "--list-size must be from 1 to --size 5 (got 6)"},
		{"unknown role", []string{"check", "--db", path, "--role", "judge"}, "--role: "},
		{"unknown run", []string{"check", "--db", path, "--run", "nosuch"}, "--run nosuch: no such run"},
		{"no wordnet", []string{"check", "--db", path, "--wordnet", filepath.Join(t.TempDir(), "none")}, "--wordnet "},
		{"another game's run", []string{"check", "--db", path, "--run", otherRun, "--wordnet", wordnet.DefaultDir}, "words check reads Taboo runs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := execute(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, new(cmdutil.UsageError)) {
				t.Errorf("err = %v, want a usage error containing %q", err, tt.want)
			}
		})
	}
}

// TestBuild writes a small word list, lexicon and definitions from WordNet
// into files, each whole.
func TestBuild(t *testing.T) {
	dir := t.TempDir()
	list, lex, defs := filepath.Join(dir, "words.txt"), filepath.Join(dir, "lexicon.gz"), filepath.Join(dir, "defs.jsonl.gz")
	if _, err := execute(t, "build", "--size", "30", "--list-size", "10", "--out", list, "--lexicon", lex, "--definitions", defs); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(list)
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !strings.HasPrefix(line, "#") {
			n++
		}
	}
	if err != nil || n != 10 {
		t.Errorf("word list of %d words (%v), want 10:\n%s", n, err, b)
	}
	for _, p := range []string{lex, defs} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
}
