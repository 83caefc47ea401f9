package episodescmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
)

// A game of this test's own with a format that holds its episodes, one
// subject a line, and a subcommand it adds.
var register = sync.OnceFunc(func() {
	game.Games.Register(&game.Description{Name: "ep-test-game", Title: "Episode Test Game", Roles: []string{"a"}})
	RegisterFormat(Format{Name: "lines", Title: "the lines format", Game: "ep-test-game",
		Write: func(ctx context.Context, store *episodes.Store, f episodes.Filter, provenance bool, w io.Writer) error {
			for rec, err := range store.Iter(ctx, f) {
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s %v\n", rec.Subject, provenance)
			}
			return nil
		}})
	Subcommands.Register("ep-test-sub", func(*cmdutil.Factory) *cobra.Command { return &cobra.Command{Use: "ep-test-sub"} })
})

// newStore makes a database of a run of the test game (subjects s0, s1)
// and a run of another game (subject o0).
func newStore(t *testing.T, name string) (path string, ids []string) {
	t.Helper()
	register()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), name)
	s, err := episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, r := range []struct{ game, prefix string }{{"ep-test-game", "s"}, {"ep-other-game", "o"}} {
		run := &episodes.Run{Game: r.game, Judge: "j@1", Total: 2, Players: map[string]string{"a": "builtin"}}
		if err := s.CreateRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		for idx := range 2 {
			ep := game.Episode{Setup: game.Setup{Index: idx, Seed: uint64(idx + 1), Subject: fmt.Sprintf("%s%d", r.prefix, idx)},
				StartedAt: start, FinishedAt: start, Verdict: game.Verdict{Outcome: "tie", DecidedAt: 1, Judge: "j@1"}}
			if err := s.Write(ctx, run.ID, ep); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, run.ID)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return path, ids
}

func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	register()
	io, _, out, _ := cmdutil.Test()
	cmd := NewCmdEpisodes(cmdutil.New(io, nil))
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

func TestExport(t *testing.T) {
	path, ids := newStore(t, "e.db")
	outFile := filepath.Join(t.TempDir(), "out.jsonl")
	tests := []struct {
		name    string
		args    []string
		want    []string
		not     []string
		wantErr string
	}{
		{name: "jsonl", args: []string{"export", "--db", path, "--format", "jsonl"}, want: []string{`"subject":"s0"`, `"subject":"o1"`}},
		{name: "a game's format holds its episodes", args: []string{"export", "--db", path, "--format", "lines", "--provenance=false"},
			want: []string{"s0 false\ns1 false\n"}, not: []string{"o0"}},
		{name: "a game's format of its run", args: []string{"export", "--db", path, "--format", "lines", "--run", ids[0]}, want: []string{"s0 true"}},
		{name: "a game's format of another game's run", args: []string{"export", "--db", path, "--format", "lines", "--run", ids[1]},
			wantErr: "--run " + ids[1] + " is a run of ep-other-game; the lines format holds Episode Test Game episodes (use --format jsonl)"},
		{name: "unknown format", args: []string{"export", "--db", path, "--format", "csv"}, wantErr: `--format "csv": want lines or jsonl`},
		{name: "unknown run", args: []string{"export", "--db", path, "--format", "jsonl", "--run", "nosuch"}, wantErr: "--run nosuch: no such run"},
		{name: "to a file", args: []string{"export", "--db", path, "--format", "jsonl", "--out", outFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execute(t, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
					t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
	if b, err := os.ReadFile(outFile); err != nil || strings.Count(string(b), "\n") != 4 {
		t.Errorf("--out %s: %v\n%s", outFile, err, b)
	}
}

func TestMerge(t *testing.T) {
	a, _ := newStore(t, "a.db")
	b, _ := newStore(t, "b.db")
	out := filepath.Join(t.TempDir(), "m.db")
	got, err := execute(t, "merge", out, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "merged 8 episodes into "+out+" (0 already there)") || strings.Count(got, "from 1 source(s)") != 4 {
		t.Errorf("merge said:\n%s", got)
	}
	if _, err := execute(t, "merge", out); err == nil || !errors.As(err, new(cmdutil.UsageError)) || !strings.Contains(err.Error(), "takes OUT.db and at least one IN.db, got 1") {
		t.Errorf("one argument: err = %v", err)
	}
	// A failed merge makes no OUT.
	none := filepath.Join(t.TempDir(), "none.db")
	if _, err := execute(t, "merge", none, filepath.Join(t.TempDir(), "nosuch.db")); err == nil {
		t.Error("merging a missing database succeeded")
	}
	if _, err := os.Stat(none); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed merge left %s (%v)", none, err)
	}
}

func TestGamesAddSubcommands(t *testing.T) {
	register()
	io, _, _, _ := cmdutil.Test()
	cmd := NewCmdEpisodes(cmdutil.New(io, nil))
	if c, _, err := cmd.Find([]string{"ep-test-sub"}); err != nil || c.Name() != "ep-test-sub" {
		t.Errorf("the registered subcommand is missing: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("a format registered twice did not panic")
		}
	}()
	RegisterFormat(Format{Name: "lines"})
}
