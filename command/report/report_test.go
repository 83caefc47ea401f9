package reportcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/cmdutil/cmdtest"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/taboo"
)

func TestNewCmdReport(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{name: "defaults", want: Options{DB: "spag.db", Out: "report.md"}},
		{name: "runs", args: []string{"--db", "x.db", "--run", "r1", "--run", "r2", "--out", "p.html"}, want: Options{DB: "x.db", Runs: []string{"r1", "r2"}, Out: "p.html"}},
		{name: "loop", args: []string{"--loop", "l1"}, want: Options{DB: "spag.db", Loop: "l1", Out: "report.md"}},
		{name: "stdout", args: []string{"--out", "-"}, wantErr: "--out FILE is required"},
		{name: "argument", args: []string{"x"}, wantErr: `takes no arguments, got "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cmdtest.Parse(t, NewCmdReport, tt.args...)
			if cmdtest.Refused(t, err, tt.wantErr) {
				return
			}
			if got.DB != tt.want.DB || got.Loop != tt.want.Loop || !slices.Equal(got.Runs, tt.want.Runs) || got.Out != tt.want.Out {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// newStore makes a database of one Taboo run of four judged games, or of
// none.
func newStore(t *testing.T, runs int) (path, id string) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "report.db")
	s, err := episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range runs {
		r := &episodes.Run{Game: taboo.Name, Judge: "strict@1", Total: 4, MaxTurns: 5,
			Players: map[string]string{"attacker": "builtin", "defender": "builtin"}}
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		for idx, o := range []string{"attacker_wins", "defender_wins", "tie", "attacker_wins"} {
			start := time.Date(2026, 12, 7, 12, 0, idx, 0, time.UTC)
			ep := game.Episode{Setup: game.Setup{Index: idx, Seed: uint64(idx + 1), Subject: fmt.Sprintf("w%d", idx)},
				StartedAt: start, FinishedAt: start.Add(time.Second),
				Verdict: game.Verdict{Outcome: o, DecidedAt: idx + 1, Rule: "r", Judge: "strict@1"},
				Turns:   []game.Turn{{N: 1, Role: "attacker", Text: "hello"}}}
			if err := s.Write(ctx, r.ID, ep); err != nil {
				t.Fatal(err)
			}
		}
		id = r.ID
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return path, id
}

func TestRun(t *testing.T) {
	path, id := newStore(t, 1)
	for _, page := range []string{"run.md", "run.html"} {
		t.Run(page, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), page)
			io, _, _, errOut := cmdutil.Test()
			// No --run: the latest run, as in a database without loops.
			if err := Run(context.Background(), &Options{IO: io, OpenReader: cmdutil.OpenReader, DB: path, Out: out}); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), id) {
				t.Errorf("%s does not name run %s:\n%s", page, id, b)
			}
			if want := "report written to " + out; !strings.Contains(errOut.String(), want) {
				t.Errorf("stderr = %q, want %q", errOut, want)
			}
		})
	}
}

func TestRunRefusals(t *testing.T) {
	path, _ := newStore(t, 1)
	empty, _ := newStore(t, 0)
	tests := []struct {
		name  string
		opts  Options
		want  string
		usage bool
	}{
		{"unknown run", Options{DB: path, Runs: []string{"nosuch"}}, "--run nosuch: no such run in " + path + " (spag runs --db", true},
		{"unknown loop", Options{DB: path, Loop: "nosuch"}, "--loop nosuch: no such loop in " + path, true},
		{"empty database", Options{DB: empty}, "holds no loops and no runs yet", false},
		{"no database", Options{DB: filepath.Join(t.TempDir(), "nosuch.db")}, "no such database", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.opts.Out = filepath.Join(dir, "page.md")
			io, _, _, _ := cmdutil.Test()
			tt.opts.IO, tt.opts.OpenReader = io, cmdutil.OpenReader
			err := Run(context.Background(), &tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, new(cmdutil.UsageError)) != tt.usage {
				t.Errorf("err = %v, want one containing %q (usage error: %v)", err, tt.want, tt.usage)
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("a refused report left %d files in %s", len(left), dir)
			}
		})
	}
}
