package playcmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/cmdutil/cmdtest"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/kuhn"
	_ "github.com/spag-go/spag/kuhn/kuhnbuiltin"
	"github.com/spag-go/spag/kuhn/kuhncmd"
	"github.com/spag-go/spag/kuhn/kuhncmd/playcmd"
	"github.com/spag-go/spag/kuhn/kuhnrun"
)

// TestPlayStoresChips plays built-in players through the generic store and
// checks the chips against the game's value: always betting against an
// equilibrium is exact in expectation, and the interval holds it.
func TestPlayStoresChips(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	out, stderr, err := cmdtest.Execute(t, kuhncmd.NewCmd, "play", "--db", db, "--games", "3000", "--first", "kuhn:equilibrium,alpha=1/3", "--second", "builtin", "--json")
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
	out, stderr, err := cmdtest.Execute(t, kuhncmd.NewCmd, "arena", "--db", db, "--games", "1200", "--a", "kuhn:uniform", "--b", "kuhn:equilibrium,alpha=0", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var res playcmd.ArenaResult
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
	again, _, err := cmdtest.Execute(t, kuhncmd.NewCmd, "arena", "--db", db, "--resume", ids, "--json")
	if err != nil || again != out {
		t.Fatalf("resumed arena: %v\n%s\nwant\n%s", err, again, out)
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
	stdout, stderr, err := cmdtest.Execute(t, kuhncmd.NewCmd, "play", "--db", db, "--resume", m[1], "--json")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	var c kuhnrun.Chips
	if err := json.Unmarshal([]byte(stdout), &c); err != nil || c.Hands != 30 || c.Run != m[1] {
		t.Fatalf("resumed: %+v, %v", c, err)
	}
	if _, _, err := cmdtest.Execute(t, kuhncmd.NewCmd, "play", "--db", db, "--resume", "r-nosuch"); err == nil || !strings.Contains(err.Error(), "no such run") {
		t.Fatalf("resume of no run: %v", err)
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
