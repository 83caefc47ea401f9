package taboocmd

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/arenacmd"
	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/selfplaycmd"
	"github.com/spag-go/spag/episodes"
	_ "github.com/spag-go/spag/taboo/taboobuiltin"
)

// execute runs cmd with args in process and returns its output.
func execute(t *testing.T, newCmd func(f *cmdutil.Factory) *cobra.Command, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	streams, _, out, errOut := cmdutil.Test()
	f := cmdutil.New(streams, nil)
	f.RunSummary = func(_ context.Context, w io.Writer, _ *episodes.Store, runID string, _ bool) error {
		_, err := io.WriteString(w, runID)
		return err
	}
	cmd := newCmd(f)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func selfplayCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := selfplaycmd.NewCmdSelfplay(f, nil)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd
}

func arenaCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := arenacmd.NewCmdArena(f, nil, nil)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd
}

func TestSelfplayPlaysTabooAndResumes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	id, stderr, err := execute(t, selfplayCmd, "--db", db, "--attacker", "builtin", "--defender", "builtin:skill=0.5", "--games", "4",
		"--words", "builtin:train", "--shard", "0/2", "--judge", "spag", "--style", "chat")
	if err != nil {
		t.Fatalf("selfplay: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "run "+id+": 2 episodes to play (builtin vs builtin:skill=0.5, judge spag)") {
		t.Fatalf("stderr:\n%s", stderr)
	}
	again, stderr, err := execute(t, selfplayCmd, "--db", db, "--resume", id)
	if err != nil || again != id || !strings.Contains(stderr, "0 episodes to play") {
		t.Fatalf("resume: %v, %q, stderr:\n%s", err, again, stderr)
	}
}

func TestArenaOnTaboo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	stdout, stderr, err := execute(t, arenaCmd, "--db", db, "--a", "builtin", "--b", "builtin:skill=0.5", "--games", "2", "--max-turns", "2", "--judge", "spag")
	if err != nil || !strings.HasPrefix(stdout, "A builtin against B builtin:skill=0.5, ") {
		t.Fatalf("arena: %v, stdout %q, stderr:\n%s", err, stdout, stderr)
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	oneWord := filepath.Join(dir, "one.txt")
	if err := os.WriteFile(oneWord, []byte("apple\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "x.db")
	tests := []struct {
		name    string
		cmd     func(*cmdutil.Factory) *cobra.Command
		args    []string
		wantErr string
	}{
		{name: "selfplay: no turns", cmd: selfplayCmd, args: []string{"--max-turns", "0"}, wantErr: "--max-turns must be at least 1 (got 0)"},
		{name: "selfplay: no games", cmd: selfplayCmd, args: []string{"--games", "0"}, wantErr: "--games must be at least 1 (got 0)"},
		{name: "selfplay: bad shard", cmd: selfplayCmd, args: []string{"--shard", "4/4"}, wantErr: "--shard"},
		{name: "selfplay: bad words", cmd: selfplayCmd, args: []string{"--words", filepath.Join(dir, "none.txt")}, wantErr: "--words:"},
		{name: "selfplay: bad attacker", cmd: selfplayCmd, args: []string{"--attacker", "nosuch:x"}, wantErr: "attacker"},
		{name: "selfplay: bad defender", cmd: selfplayCmd, args: []string{"--attacker", "builtin", "--defender", "nosuch:x"}, wantErr: "defender"},
		{name: "selfplay: bad judge", cmd: selfplayCmd, args: []string{"--attacker", "builtin", "--defender", "builtin", "--judge", "lenient"}, wantErr: "--judge"},
		{name: "arena: no turns", cmd: arenaCmd, args: []string{"--a", "builtin", "--b", "builtin", "--max-turns", "0"}, wantErr: "--max-turns must be at least 1"},
		{name: "arena: bad words", cmd: arenaCmd, args: []string{"--a", "builtin", "--b", "builtin", "--words", filepath.Join(dir, "none.txt")}, wantErr: "--words:"},
		{name: "arena: one word", cmd: arenaCmd, args: []string{"--a", "builtin", "--b", "builtin", "--words", oneWord}, wantErr: "an arena needs at least 2 words"},
		{name: "arena: bad judge", cmd: arenaCmd, args: []string{"--a", "builtin", "--b", "builtin", "--judge", "lenient"}, wantErr: "--judge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := execute(t, tt.cmd, append(tt.args, "--db", db)...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
			}
		})
	}
}
