package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spag-go/spag/internal/spagtest"
)

// TestRewardsOfOneSkill builds the two dictionaries of one-clue games: the
// defenders' right guesses (clue to word) and the clues that led to them
// (word to clue), which come from the same games in the same order.
func TestRewardsOfOneSkill(t *testing.T) {
	dir := t.TempDir()
	if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "300", "--max-turns", "1", "--seed", "5", "--style", "compact", "--db", "r.db"); r.Code != 0 {
		t.Fatalf("selfplay: exit %d, stderr %q", r.Code, r.Stderr)
	}
	type item struct {
		Query, Target, Role, Type string
		Weight, Reward            float64
	}
	read := func(args ...string) []item {
		t.Helper()
		var items []item
		rewardsOut(t, dir, &items, append([]string{"--db", "r.db"}, args...)...)
		return items
	}
	guesses := read("--role", "defender", "--last", "--out", "guesses.json")
	clues := read("--role", "attacker", "--won-by", "defender", "--out", "clues.json")
	if len(guesses) < 10 || len(clues) != len(guesses) {
		t.Fatalf("%d right guesses and %d clues that led to them; want as many, and some", len(guesses), len(clues))
	}
	guessed := regexp.MustCompile(`^I know the word! It is (\w+)!$`)
	for i, g := range guesses {
		m := guessed.FindStringSubmatch(g.Target)
		if g.Role != "defender" || m == nil {
			t.Fatalf("guess %d: %+v, want a defender's right guess", i, g)
		}
		c := clues[i]
		if c.Role != "attacker" || c.Type != "sft" || c.Weight != 1 {
			t.Errorf("clue %d: %+v, want a supervised attacker item of weight 1", i, c)
		}
		if !strings.Contains(c.Query, "the secret word is "+m[1]+".") || !strings.Contains(g.Query, c.Target) {
			t.Errorf("clue %d %q for the query %q does not come from the game of guess %q (%q)", i, c.Target, c.Query, g.Target, g.Query)
		}
	}
	// --sft is repeatable: both dictionaries mixed into the clues.
	if both := read("--role", "attacker", "--won-by", "defender", "--sft", "guesses.json", "--sft", "clues.json", "--out", "both.json"); len(both) != 3*len(clues) ||
		both[len(clues)].Target != guesses[0].Target || both[2*len(clues)].Target != clues[0].Target {
		t.Errorf("--sft guesses.json --sft clues.json: %d items, want the %d clues, then the guesses, then the clues again", len(both), len(clues))
	}
	if r := spag(t, dir, "rewards", "--db", "r.db", "--won-by", "judge", "--out", "x.json"); r.Code != 2 || !strings.Contains(r.Stderr, `--won-by "judge"`) {
		t.Errorf("--won-by judge: exit %d, stderr %q; want a usage error naming it", r.Code, r.Stderr)
	}
	// --loser-reward: every one-clue game ends with the defender's move,
	// so the defender's decisive moves are its right guesses (rewarded)
	// followed, game by game, by its losing ones at the reward given.
	judged := read("--role", "defender", "--last", "--loser-reward", "-0.5", "--out", "judged.json")
	right, wrong := 0, 0
	for i, g := range judged {
		switch {
		case g.Reward > 0 && g.Target == guesses[right].Target:
			right++
		case g.Reward == -0.5 && g.Role == "defender":
			wrong++
		default:
			t.Errorf("item %d: %+v, want a right guess (in order) or a losing move at -0.5", i, g)
		}
	}
	if right != len(guesses) || wrong < 10 {
		t.Errorf("--loser-reward: %d right guesses of %d, %d losing moves; want all and some", right, len(guesses), wrong)
	}
	if r := spag(t, dir, "rewards", "--db", "r.db", "--loser-reward", "1", "--out", "x.json"); r.Code != 2 || !strings.Contains(r.Stderr, "--loser-reward 1") {
		t.Errorf("--loser-reward 1: exit %d, stderr %q; want a usage error naming it", r.Code, r.Stderr)
	}
}

// TestRewardsZeroSum: --zero-sum gives every learning turn its game's
// return minus its role's mean (so the attacker's advantages, one per game
// with --credit decisive, sum to zero in the first round), prints the
// baseline, and a given previous baseline moves the advantages as the
// running mean says. Contradictory flags are usage errors that write no
// file.
func TestRewardsZeroSum(t *testing.T) {
	dir := t.TempDir()
	if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "60", "--max-turns", "2", "--seed", "3", "--style", "compact", "--db", "z.db"); r.Code != 0 {
		t.Fatalf("selfplay: exit %d, stderr %q", r.Code, r.Stderr)
	}
	type item struct {
		Role           string
		Weight, Reward float64
	}
	read := func(args ...string) ([]item, string) {
		t.Helper()
		var items []item
		r := rewardsOut(t, dir, &items, append([]string{"--db", "z.db", "--zero-sum"}, args...)...)
		return items, r.Stderr
	}
	sums := func(items []item) map[string]float64 {
		s := map[string]float64{}
		for _, it := range items {
			if it.Weight != 1 {
				t.Errorf("item %+v: weight %v, want 1", it, it.Weight)
			}
			s[it.Role] += it.Reward
		}
		return s
	}
	// The attacker speaks in every game, so it has one decisive turn per
	// game; a defender whose attacker broke the rules at once has none.
	decisive, stderr := read("--credit", "decisive", "--out", "d.json")
	attacker := 0
	for _, it := range decisive {
		if it.Role == "attacker" {
			attacker++
		}
	}
	if attacker != 60 || len(decisive) < 100 {
		t.Errorf("--credit decisive: %d items, %d of the attacker; want one per game for the attacker (60)", len(decisive), attacker)
	}
	if s := sums(decisive)["attacker"]; math.Abs(s) > 1e-9 {
		t.Errorf("the attacker's advantages sum to %v, want 0 (the baseline is this data's mean)", s)
	}
	m := regexp.MustCompile(`baseline (attacker=\S+,defender=\S+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no baseline in %q", stderr)
	}
	all, _ := read("--credit", "all", "--out", "a.json")
	if len(all) <= len(decisive) {
		t.Errorf("--credit all: %d items, want more than the %d decisive ones", len(all), len(decisive))
	}
	// With the same episodes as the previous round, b = alpha·b + (1 -
	// alpha)·b = b: the advantages are the same.
	again, _ := read("--credit", "decisive", "--baseline", m[1], "--baseline-decay", "0.9", "--out", "again.json")
	shifted, _ := read("--credit", "decisive", "--baseline", "attacker=5,defender=5", "--baseline-decay", "0.5", "--out", "shifted.json")
	for i := range decisive {
		if math.Abs(again[i].Reward-decisive[i].Reward) > 1e-9 {
			t.Fatalf("item %d with its own baseline given: %v, want %v", i, again[i].Reward, decisive[i].Reward)
		}
		// b = 0.5·5 + 0.5·mean = mean + 0.5·(5 - mean): not a constant
		// shift of the mean's advantages, so only check the sign of it.
		if shifted[i].Reward >= decisive[i].Reward {
			t.Fatalf("item %d with a higher previous baseline: %v, want below %v", i, shifted[i].Reward, decisive[i].Reward)
		}
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"--zero-sum", "--loser-reward", "-1"}},
		{[]string{"--zero-sum", "--credit", "first"}},
		{[]string{"--zero-sum", "--baseline", "judge=1"}},
		{[]string{"--zero-sum", "--baseline-decay", "1"}},
		{[]string{"--credit", "all"}},
	} {
		r := spag(t, dir, append(append([]string{"rewards", "--db", "z.db"}, tc.args...), "--out", "bad.json")...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tc.args[len(tc.args)-2]) {
			t.Errorf("%v: exit %d, stderr %q; want a usage error naming %s", tc.args, r.Code, r.Stderr, tc.args[len(tc.args)-2])
		}
		if _, err := os.Stat(filepath.Join(dir, "bad.json")); err == nil {
			t.Fatalf("%v wrote bad.json", tc.args)
		}
	}
}

// rewardsOut runs spag rewards in dir with args, the last of which is the
// output file, and reads that file's items into items.
func rewardsOut(t *testing.T, dir string, items any, args ...string) spagtest.Result {
	t.Helper()
	r := spag(t, dir, append([]string{"rewards"}, args...)...)
	if r.Code != 0 {
		t.Fatalf("rewards %v: exit %d, stderr %q", args, r.Code, r.Stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, args[len(args)-1]))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, items); err != nil {
		t.Fatal(err)
	}
	return r
}
