package datacmd_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/cmdutil/cmdtest"
	_ "github.com/spag-go/spag/kuhn/kuhnbuiltin"
	"github.com/spag-go/spag/kuhn/kuhncmd"
)

// TestDataAndRewards writes imitation data, plays a run and writes its
// zero-sum samples; a refused call writes no file.
func TestDataAndRewards(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "uniform.json")
	if _, stderr, err := cmdtest.Execute(t, kuhncmd.NewCmd, "data", "--player", "kuhn:uniform", "--copies", "2", "--out", data); err != nil || !strings.Contains(stderr, "24 samples teaching kuhn:uniform") {
		t.Fatalf("%v: %s", err, stderr)
	}
	db := filepath.Join(dir, "k.db")
	if _, stderr, err := cmdtest.Execute(t, kuhncmd.NewCmd, "play", "--db", db, "--games", "60"); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	out := filepath.Join(dir, "r.json")
	if _, stderr, err := cmdtest.Execute(t, kuhncmd.NewCmd, "rewards", "--db", db, "--out", out); err != nil || !strings.Contains(stderr, `"hands":60`) {
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
		_, _, err := cmdtest.Execute(t, kuhncmd.NewCmd, args...)
		var u cmdutil.UsageError
		if !errors.As(err, &u) {
			t.Errorf("%q: error %v, want a usage error", args, err)
		}
		if _, err := os.Stat(missing); err == nil {
			t.Fatalf("%q left %s", args, missing)
		}
	}
}
