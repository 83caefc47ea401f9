package kuhncmd_test

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/command/cmdutil/cmdtest"
	_ "github.com/spag-go/spag/kuhn/kuhnbuiltin"
	"github.com/spag-go/spag/kuhn/kuhncmd"
)

// TestUsageErrors checks flag parsing in process: each bad call is a
// usage error naming the flag and the fix, and makes no database.
func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "k.db")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"exploitability"}, "--player is required"},
		{[]string{"exploitability", "--player", "kuhn:uniform", "--samples", "0"}, "--samples must be at least 1"},
		{[]string{"exploitability", "--player", "kuhn:bluffer"}, "kuhn:bluffer names no strategy"},
		{[]string{"exploitability", "--player", "nosuch:x"}, `unknown backend "nosuch"`},
		{[]string{"play", "--db", db, "--games", "0"}, "--games must be at least 1"},
		{[]string{"play", "--db", db, "--first", "kuhn:equilibrium,alpha=0.9"}, "--first \"kuhn:equilibrium,alpha=0.9\": alpha=0.9"},
		{[]string{"play", "--db", db, "--concurrency", "0"}, "--concurrency must be at least 1"},
		{[]string{"play", "--db", db, "--resume", "r1", "--games", "5"}, "drop [--games]"},
		{[]string{"play", "--db", db, "--resume", "r1"}, "--resume r1: cannot open --db"},
		{[]string{"arena", "--db", db, "--a", "builtin"}, "--a and --b are required"},
		{[]string{"arena", "--db", db, "--resume", "r1"}, "want the arena's 2 run IDs"},
		{[]string{"play", "--db", db, "extra"}, `takes no arguments, got "extra"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			_, _, err := cmdtest.Execute(t, kuhncmd.NewCmd, c.args...)
			cmdtest.Refused(t, err, c.want)
			if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) > 0 {
				t.Fatalf("a refused command left %v", m)
			}
		})
	}
}

func TestExploitabilityCommand(t *testing.T) {
	out, _, err := cmdtest.Execute(t, kuhncmd.NewCmd, "exploitability", "--player", "kuhn:uniform")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"first K after check, bet", "fold 0.5000", "exploitability 0.4583", "(exact)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = cmdtest.Execute(t, kuhncmd.NewCmd, "exploitability", "--player", "kuhn:always-bet", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Exploitability float64 `json:"exploitability"`
		InfoSets       []struct {
			Name  string             `json:"info_set"`
			Moves map[string]float64 `json:"moves"`
		} `json:"info_sets"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.Exploitability-1.0/3) > 1e-9 || len(r.InfoSets) != 12 || r.InfoSets[9].Moves["call"] != 1 {
		t.Fatalf("json %s", out)
	}
}
