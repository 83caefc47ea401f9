package kuhncmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/kuhn"
	_ "github.com/spag-go/spag/kuhn/kuhnbuiltin"
	"github.com/spag-go/spag/kuhn/kuhncmd"
	"github.com/spag-go/spag/kuhn/kuhnrun"
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
			_, _, err := run(t, c.args...)
			var u cmdutil.UsageError
			if err == nil || !errors.As(err, &u) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want a usage error saying %q", err, c.want)
			}
			if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) > 0 {
				t.Fatalf("a refused command left %v", m)
			}
		})
	}
}

// TestPlayStoresChips plays built-in players through the generic store and
// checks the chips against the game's value: always betting against an
// equilibrium is exact in expectation, and the interval holds it.
func TestPlayStoresChips(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	out, stderr, err := run(t, "play", "--db", db, "--games", "3000", "--first", "kuhn:equilibrium,alpha=1/3", "--second", "builtin", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var c kuhnrun.Chips
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if c.Hands != 3000 || c.Forfeits[kuhn.First]+c.Forfeits[kuhn.Second] != 0 {
		t.Fatalf("chips %+v", c)
	}
	if !(c.Interval[0] <= kuhnrun.GameValue && kuhnrun.GameValue <= c.Interval[1]) {
		t.Fatalf("equilibrium against equilibrium: %+.4f chips per hand, interval %v misses the game value -1/18", c.First, c.Interval)
	}
	store, err := episodes.Open(context.Background(), db, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	run, err := store.LatestRunInfo(context.Background())
	if err != nil || !strings.HasPrefix(run.Game, "kuhn@1") || run.Players[kuhn.First] == "" {
		t.Fatalf("stored run %+v, %v", run, err)
	}
	// The deals cycle: every one of the six is dealt 500 times.
	n := map[string]int{}
	for rec, err := range store.Iter(context.Background(), episodes.Filter{RunID: run.ID}) {
		if err != nil {
			t.Fatal(err)
		}
		n[rec.Subject]++
	}
	for _, d := range kuhn.Deals {
		if n[d] != 500 {
			t.Fatalf("deals %v, want 500 of each", n)
		}
	}
}

// TestArena checks A's chips in both seats: always betting against the
// equilibrium loses, in each seat, what the best responses say.
func TestArena(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	out, stderr, err := run(t, "arena", "--db", db, "--games", "1200", "--a", "kuhn:uniform", "--b", "kuhn:equilibrium,alpha=0", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var res kuhncmd.ArenaResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if len(res.Seats) != 2 || res.Seats[0].Seat != "first" || res.Seats[1].Seat != "second" {
		t.Fatalf("seats %+v", res.Seats)
	}
	// Uniform play's exact chips against the alpha=0 equilibrium, per seat.
	u, eq := kuhn.Uniform(), mustEq(t, 0)
	want := []float64{kuhn.Value(mix(u, eq)), -kuhn.Value(mix(eq, u))}
	for i, s := range res.Seats {
		if !(s.Interval[0] <= want[i] && want[i] <= s.Interval[1]) || s.Run.Hands != 1200 {
			t.Errorf("A as %s: %+.4f, interval %v misses the exact %+.4f", s.Seat, s.Chips, s.Interval, want[i])
		}
	}
	if res.Exploitability == nil || math.Abs(*res.Exploitability-11.0/24) > 1e-9 {
		t.Fatalf("A's exploitability %v, want 11/24", res.Exploitability)
	}
	// Resuming the finished arena plays nothing more and reports the same.
	ids := res.Seats[0].Run.Run + "," + res.Seats[1].Run.Run
	again, _, err := run(t, "arena", "--db", db, "--resume", ids, "--json")
	if err != nil || again != out {
		t.Fatalf("resumed arena: %v\n%s\nwant\n%s", err, again, out)
	}
}

func mustEq(t *testing.T, a float64) kuhn.Strategy {
	s, err := kuhn.Equilibrium(a)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mix is the profile of first's first seat and second's second seat.
func mix(first, second kuhn.Strategy) kuhn.Strategy {
	var m kuhn.Strategy
	for i, is := range kuhn.InfoSets {
		if is.Player() == 0 {
			m[i] = first[i]
		} else {
			m[i] = second[i]
		}
	}
	return m
}

func TestExploitabilityCommand(t *testing.T) {
	out, _, err := run(t, "exploitability", "--player", "kuhn:uniform")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"first K after check, bet", "fold 0.5000", "exploitability 0.4583", "(exact)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(t, "exploitability", "--player", "kuhn:always-bet", "--json")
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

// drained is a Ctrl-C that came before the first hand.
type drained struct{}

func (drained) Drain() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
func (drained) Count() int { return 1 }

// TestPlayInterruptedThenResumed stops a run at once, checks that it says
// how to resume, and resumes it to the end.
func TestPlayInterruptedThenResumed(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	io, _, out, errOut := cmdutil.Test()
	f := cmdutil.New(io, drained{})
	cmd := kuhncmd.NewCmd(f)
	cmd.SetArgs([]string{"play", "--db", db, "--games", "30"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	if !errors.Is(err, cmdutil.ErrInterrupted) {
		t.Fatalf("error %v, want ErrInterrupted; stderr %s", err, errOut)
	}
	m := regexp.MustCompile(`spag kuhn play --db \S+ --resume (\S+)`).FindStringSubmatch(errOut.String())
	if m == nil || out.Len() != 0 {
		t.Fatalf("stderr %q names no resume command (stdout %q)", errOut, out)
	}
	stdout, stderr, err := run(t, "play", "--db", db, "--resume", m[1], "--json")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	var c kuhnrun.Chips
	if err := json.Unmarshal([]byte(stdout), &c); err != nil || c.Hands != 30 || c.Run != m[1] {
		t.Fatalf("resumed: %+v, %v", c, err)
	}
	if _, _, err := run(t, "play", "--db", db, "--resume", "r-nosuch"); err == nil || !strings.Contains(err.Error(), "no such run") {
		t.Fatalf("resume of no run: %v", err)
	}
}
