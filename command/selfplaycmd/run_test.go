package selfplaycmd_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/command/selfplaycmd"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/selfplay"
	_ "github.com/spag-go/spag/taboo/taboobuiltin"
	_ "github.com/spag-go/spag/taboo/taboocmd"
)

func TestNewCmd(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantGame   string
		wantGames  int
		wantCaller string
		wantErr    string
	}{
		{name: "taboo by default", args: nil, wantGame: "taboo"},
		{name: "the coin's flags", args: []string{"--game", "coin", "--games", "5", "--caller", "tails"}, wantGame: "coin", wantGames: 5, wantCaller: "tails"},
		{name: "the coin's defaults", args: []string{"--game", "coin"}, wantGame: "coin", wantGames: 4, wantCaller: "heads"},
		{name: "taboo's flag", args: []string{"--game", "coin", "--attacker", "p"}, wantErr: "--attacker is not a flag of the game coin"},
		{name: "argument", args: []string{"x"}, wantErr: `takes no arguments, got "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _, _ := cmdutil.Test()
			var opts *selfplaycmd.Options
			cmd := selfplaycmd.NewCmdSelfplay(cmdutil.New(io, nil), func(_ context.Context, o *selfplaycmd.Options) error { opts = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if opts.Game != tt.wantGame {
				t.Fatalf("game %q, want %q", opts.Game, tt.wantGame)
			}
			if s, ok := opts.Settings.(*coinSettings); ok && (s.games != tt.wantGames || s.caller != tt.wantCaller) {
				t.Errorf("coin settings %+v, want %d games called %s", *s, tt.wantGames, tt.wantCaller)
			}
		})
	}
}

func TestNewCmdWithoutADefaultGame(t *testing.T) {
	reg := &playrun.Registry{}
	reg.Register(playrun.Game{Name: "gamma", Command: "gamma", Flags: func(*pflag.FlagSet) playrun.Settings { return &coinSettings{} }})
	io, _, _, _ := cmdutil.Test()
	cmd := selfplaycmd.NewCmd(cmdutil.New(io, nil), selfplaycmd.Spec{Use: "gamma", Registry: reg}, func(context.Context, *selfplaycmd.Options) error { return nil })
	cmd.SetArgs(nil)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--game is required: one of gamma") {
		t.Fatalf("err = %v, want --game is required", err)
	}
	if cmd.Flags().Lookup("game") != nil {
		t.Error("a command without GameFlag has --game")
	}
}

// playSelfplay runs the real selfplay command line args (Taboo, the built-in
// players) in process; summaries lists the runs it summarised.
func playSelfplay(t *testing.T, args ...string) (stdout, stderr string, summaries []string, err error) {
	t.Helper()
	streams, _, out, errOut := cmdutil.Test()
	f := cmdutil.New(streams, nil)
	f.RunSummary = func(_ context.Context, w io.Writer, store *episodes.Store, runID string, asJSON bool) error {
		summaries = append(summaries, runID)
		n, err := store.Stats(context.Background(), runID)
		if err != nil {
			return err
		}
		_, err = w.Write([]byte(strings.Repeat("*", n.Episodes)))
		return err
	}
	cmd := selfplaycmd.NewCmdSelfplay(f, nil)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), summaries, err
}

func TestRunPlaysAndResumes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "runs.db")
	_, stderr, summaries, err := playSelfplay(t, "--db", db, "--attacker", "builtin", "--defender", "builtin", "--games", "3", "--max-turns", "2")
	if err != nil {
		t.Fatalf("selfplay: %v\n%s", err, stderr)
	}
	if len(summaries) != 1 || !strings.Contains(stderr, "run "+summaries[0]+": 3 episodes to play (builtin vs builtin, judge strict) into "+db) {
		t.Fatalf("summaries %v, stderr:\n%s", summaries, stderr)
	}
	id := summaries[0]
	stdout, stderr, _, err := playSelfplay(t, "--db", db, "--resume", id, "--concurrency", "2")
	if err != nil || !strings.Contains(stderr, "run "+id+": 0 episodes to play") || stdout != "***" {
		t.Fatalf("resume: %v, stdout %q, stderr:\n%s", err, stdout, stderr)
	}

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "another game's run", args: []string{"--db", db, "--resume", id, "--game", "nope"}, wantErr: `--game "nope"`},
		{name: "no such run", args: []string{"--db", db, "--resume", "r0"}, wantErr: "--resume r0: no such run in " + db + " (spag runs --db " + db + " lists its runs)"},
		{name: "no database", args: []string{"--db", filepath.Join(t.TempDir(), "none", "x.db"), "--resume", "r0"}, wantErr: "cannot open --db"},
		{name: "resume with settings", args: []string{"--db", db, "--resume", id, "--games", "4"}, wantErr: "drop --games"},
		{name: "bad words", args: []string{"--db", db, "--words", filepath.Join(t.TempDir(), "none.txt")}, wantErr: "--words:"},
		{name: "bad player", args: []string{"--db", db, "--attacker", "nosuch:x"}, wantErr: "attacker"},
		{name: "bad judge", args: []string{"--db", db, "--attacker", "builtin", "--defender", "builtin", "--judge", "lenient"}, wantErr: "--judge"},
		{name: "bad shard", args: []string{"--db", db, "--shard", "4/4"}, wantErr: "--shard"},
		{name: "no turns", args: []string{"--db", db, "--max-turns", "0"}, wantErr: "--max-turns must be at least 1"},
		{name: "no games", args: []string{"--db", db, "--games", "0"}, wantErr: "--games must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := playSelfplay(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestFinish(t *testing.T) {
	io, _, out, errOut := cmdutil.Test()
	run := &episodes.Run{ID: "r1"}
	err := selfplaycmd.Finish(context.Background(), io, nil, nil, selfplay.Result{Run: run, Interrupted: true}, "spag x --resume r1", false)
	if !errors.Is(err, cmdutil.ErrInterrupted) || !strings.Contains(errOut.String(), "interrupted: finished episodes are stored; resume with:\n  spag x --resume r1") {
		t.Errorf("interrupted: err %v, stderr %q", err, errOut)
	}
	err = selfplaycmd.Finish(context.Background(), io, nil, nil, selfplay.Result{Run: run, Errored: 2, Planned: 5, FirstError: "boom"}, "spag x --resume r1", false)
	if err == nil || err.Error() != "run r1: 2 of 5 episodes errored (first: boom); fix the cause, then play them with:\n  spag x --resume r1" {
		t.Errorf("errored: err %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("no summary wanted, got %q", out)
	}
}
