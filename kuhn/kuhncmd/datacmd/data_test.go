package datacmd_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/command/cmdutil"
	_ "github.com/spag-go/spag/kuhn/kuhnbuiltin"
	"github.com/spag-go/spag/kuhn/kuhncmd"
)

// run executes `kuhn ARGS` in process and returns stdout, stderr and the
// error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	cmd := kuhncmd.NewCmd(cmdutil.New(io, nil))
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestDataAndRewards writes imitation data, plays a run and writes its
// zero-sum samples; a refused call writes no file.
func TestDataAndRewards(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "uniform.json")
	if _, stderr, err := run(t, "data", "--player", "kuhn:uniform", "--copies", "2", "--out", data); err != nil || !strings.Contains(stderr, "24 samples teaching kuhn:uniform") {
		t.Fatalf("%v: %s", err, stderr)
	}
	db := filepath.Join(dir, "k.db")
	if _, stderr, err := run(t, "play", "--db", db, "--games", "60"); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	out := filepath.Join(dir, "r.json")
	if _, stderr, err := run(t, "rewards", "--db", db, "--out", out); err != nil || !strings.Contains(stderr, `"hands":60`) {
		t.Fatalf("%v: %s", err, stderr)
	}
	missing := filepath.Join(dir, "none.json")
	for _, args := range [][]string{
		{"rewards", "--db", filepath.Join(dir, "no.db"), "--out", missing},
		{"rewards", "--db", db, "--run", "r-none", "--out", missing},
		{"data", "--player", "kuhn:nope", "--out", missing},
		{"rewards", "--db", db, "--baseline", "card", "--out", missing},
		{"rewards", "--db", db, "--forfeit", "-1", "--out", missing},
	} {
		_, _, err := run(t, args...)
		var u cmdutil.UsageError
		if !errors.As(err, &u) {
			t.Errorf("%q: error %v, want a usage error", args, err)
		}
		if _, err := os.Stat(missing); err == nil {
			t.Fatalf("%q left %s", args, missing)
		}
	}
}
