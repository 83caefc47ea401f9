package apocmd

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	_ "github.com/spag-go/spag/apo/apobuiltin"
	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/cmdutil/cmdtest"
	"github.com/spag-go/spag/episodes"
	_ "github.com/spag-go/spag/taboo/taboobuiltin"
	_ "github.com/spag-go/spag/taboo/taboocmd"
)

// spag runs `spag apo args...` in process, with a summary that names the
// run, and returns what it printed.
func spag(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return cmdtest.Execute(t, func(f *cmdutil.Factory) *cobra.Command {
		f.RunSummary = func(_ context.Context, w io.Writer, _ *episodes.Store, runID string, _ bool) error {
			_, err := io.WriteString(w, "summary of "+runID+"\n")
			return err
		}
		return NewCmd(f)
	}, args...)
}

// playRun plays a small APO run of the built-in players into a new
// database and returns its path and the run's ID.
func playRun(t *testing.T, args ...string) (db, id string) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "apo.db")
	stdout, stderr, err := spag(t, append([]string{"--db", db}, args...)...)
	if err != nil {
		t.Fatalf("spag apo: %v\n%s", err, stderr)
	}
	id = strings.TrimSpace(strings.TrimPrefix(stdout, "summary of "))
	if !strings.Contains(stderr, "run "+id+": ") || !strings.Contains(stderr, "(APO: generator builtin, reward model builtin) into "+db) {
		t.Fatalf("stderr:\n%s", stderr)
	}
	return db, id
}

func TestPlayAndResume(t *testing.T) {
	db, id := playRun(t, "--samples", "2", "--games", "6")
	stdout, stderr, err := spag(t, "--db", db, "--resume", id)
	if err != nil || stdout != "summary of "+id+"\n" || !strings.Contains(stderr, "run "+id+": 0 episodes to play") {
		t.Fatalf("resume: %v, stdout %q, stderr:\n%s", err, stdout, stderr)
	}
	if len(NewCmd(cmdutil.New(cmdutil.Streams(nil, io.Discard, io.Discard, false), nil)).Commands()) != 6 {
		t.Error("spag apo lacks its subcommands")
	}
}

func TestRefusals(t *testing.T) {
	db, id := playRun(t, "--games", "1")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no samples", args: []string{"--samples", "0"}, wantErr: "--samples must be at least 1 (got 0)"},
		{name: "no games", args: []string{"--games", "0"}, wantErr: "--games must be at least 1 (got 0)"},
		{name: "no bytes", args: []string{"--max-response-bytes", "0"}, wantErr: "--max-response-bytes must be at least 1"},
		{name: "bad prompts", args: []string{"--prompts", "nosuch.jsonl"}, wantErr: "--prompts:"},
		{name: "bad generator", args: []string{"--generator", "nosuch:x"}, wantErr: "generator"},
		{name: "bad reward model", args: []string{"--reward-model", "nosuch:x"}, wantErr: "reward-model"},
		{name: "resume with settings", args: []string{"--db", db, "--resume", id, "--samples", "3"}, wantErr: "drop --samples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := spag(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
			}
		})
	}
	for _, args := range [][]string{{"--game", "taboo"}, {"--attacker", "builtin"}} {
		if _, _, err := spag(t, args...); err == nil || !strings.Contains(err.Error(), "unknown flag: "+args[0]) {
			t.Errorf("%v: err = %v, want an unknown flag", args, err)
		}
	}
}
