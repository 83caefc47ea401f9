package apodata_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	_ "github.com/spag-go/spag/apo/apobuiltin"
	"github.com/spag-go/spag/apo/apocmd"
	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/cmdutil/cmdtest"
	"github.com/spag-go/spag/command/selfplaycmd"
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
		return apocmd.NewCmd(f)
	}, args...)
}

// lines decodes the JSON lines of s.
func lines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
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

func TestTrainingData(t *testing.T) {
	db, id := playRun(t, "--samples", "2", "--games", "6")
	stdout, stderr, err := spag(t, "items", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	items := lines(t, stdout)
	if len(items) != 3 || !strings.Contains(stderr, "run "+id+": 3 items (6 samples") {
		t.Errorf("items: %d lines, stderr %q", len(items), stderr)
	}

	for _, tt := range []struct {
		name      string
		args      []string
		wantCount string
	}{
		{name: "spag", args: []string{"rewards", "--db", db, "--run", id}},
		{name: "chat", args: []string{"rewards", "--db", db, "--format", "chat"}},
		{name: "best of", args: []string{"rewards", "--db", db, "--best-of"}, wantCount: "the best of each query's"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.json")
			_, stderr, err := spag(t, append(tt.args, "--out", out)...)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(out)
			if err != nil || len(data) == 0 || !strings.Contains(stderr, "run "+id+": ") || !strings.Contains(stderr, tt.wantCount) {
				t.Errorf("%s: %d bytes (%v), stderr %q", out, len(data), err, stderr)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	db, _ := playRun(t, "--games", "1")
	taboo := filepath.Join(t.TempDir(), "taboo.db")
	empty := filepath.Join(t.TempDir(), "empty.db")
	store, err := episodes.Open(context.Background(), empty, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	tests := []struct {
		name    string
		args    []string
		setup   func(t *testing.T)
		wantErr string
	}{
		{name: "items without a database", args: []string{"items", "--db", filepath.Join(t.TempDir(), "x.db")}, wantErr: "no such database"},
		{name: "items of no such run", args: []string{"items", "--db", db, "--run", "r0"}, wantErr: "--run r0: no such run in " + db},
		{name: "items of a Taboo run", args: []string{"items", "--db", taboo, "--run", "TABOO"}, wantErr: "is a Taboo run"},
		{name: "items of no APO run", args: []string{"items", "--db", empty}, wantErr: "holds no APO run (play one with: spag apo --db " + empty + ")"},
		{name: "rewards format", args: []string{"rewards", "--format", "csv"}, wantErr: `--format "csv": want spag or chat`},
		{name: "gold format", args: []string{"gold", "--format", "csv"}, wantErr: `--format "csv": want spag or chat`},
		{name: "gold prompts", args: []string{"gold", "--prompts", "nosuch.jsonl"}, wantErr: "--prompts:"},
		{name: "preferences of builtin", args: []string{"preferences", "--prompts", "builtin"}, wantErr: "preference items need the definitions task"},
		{name: "preferences without negatives", args: []string{"preferences", "--hard", "0", "--easy", "0"}, wantErr: "--hard 0 --easy 0"},
		{name: "yardstick of builtin queries", args: []string{"yardstick", "--db", db}, wantErr: "definitions"},
		{name: "evaluate without a model", args: []string{"evaluate"}, wantErr: "give --reward-model CKPT and at least one --items FILE"},
	}
	tabooID := tabooRun(t, taboo)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, a := range tt.args {
				if a == "TABOO" {
					tt.args[i] = tabooID
				}
			}
			_, _, err := spag(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if !errors.As(err, new(cmdutil.UsageError)) && !strings.Contains(err.Error(), "unknown flag") {
				t.Errorf("err = %T, want a usage error (exit 2)", err)
			}
		})
	}
}

// tabooRun plays one Taboo game of the built-in players into db.
func tabooRun(t *testing.T, db string) string {
	t.Helper()
	streams, _, out, errOut := cmdutil.Test()
	f := cmdutil.New(streams, nil)
	f.RunSummary = func(_ context.Context, w io.Writer, _ *episodes.Store, runID string, _ bool) error {
		_, err := io.WriteString(w, runID)
		return err
	}
	cmd := selfplaycmd.NewCmdSelfplay(f, nil)
	cmd.SetArgs([]string{"--db", db, "--attacker", "builtin", "--defender", "builtin", "--games", "1"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); err != nil {
		t.Fatalf("selfplay: %v\n%s", err, errOut)
	}
	return out.String()
}

func TestDefinitionsTask(t *testing.T) {
	dir := t.TempDir()
	prefs := filepath.Join(dir, "prefs.jsonl")
	_, stderr, err := spag(t, "preferences", "--prompts", "definitions:heldout", "--hard", "1", "--easy", "1", "--out", prefs)
	if err != nil || !strings.Contains(stderr, "definitions:heldout: ") {
		t.Fatalf("preferences: %v, stderr %q", err, stderr)
	}
	data, err := os.ReadFile(prefs)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n == 0 || !strings.Contains(stderr, " preference items") {
		t.Errorf("preferences: %d lines, stderr %q", n, stderr)
	}
	stdout, stderr, err := spag(t, "gold", "--prompts", "builtin", "--format", "chat")
	if err != nil || len(lines(t, stdout)) == 0 || !strings.Contains(stderr, "builtin: ") {
		t.Fatalf("gold: %v, stderr %q", err, stderr)
	}
	db, id := playRun(t, "--prompts", "definitions:heldout", "--games", "3")
	stdout, _, err = spag(t, "yardstick", "--db", db)
	if err != nil || !strings.Contains(stdout, "run "+id+": 3 answers\ntop-1 ") || !strings.Contains(stdout, "top-5 ") {
		t.Fatalf("yardstick: %v, stdout %q", err, stdout)
	}
}
