package loops

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/internal/spagtest"
)

// TestOneRoundRepairsAWeakenedAttacker is the test that fails if learning
// breaks: one round of spag iterate must make a deliberately weakened
// policy measurably better, with the 95% interval of the gain above zero.
//
// The policy is a tiny model taught by imitation of the built-in players
// on six words, one clue each (--max-turns 1), except that for every
// attacker sample it also saw the same prompt answered with a guess
// statement, which the judge counts as the attacker breaking the rules. So
// it breaks the rules on about half of its attacker turns, whatever the
// word. Self-play's rewards go only to winners, a rule break never wins,
// so one round of the SPAG objective moves its attacker away from the
// guess statement, also on the two held-out words: the attacker's win rate
// against the frozen imitation model must rise. Measured when the test
// was written: from 10.7% to 40.0% of 300 games (interval +22.6 to +35.7
// points); with the weak model's data order seeded 2 and 3 instead of 1,
// the interval's lower end was +34.8 and +23.3 points.
//
// The zerosum case plays the same round with --objective zerosum: a rule
// break is a loss, so its turn gets a negative advantage, and a win a
// positive one. Measured when the case was added: from 10.7% to 33.0%
// (interval +15.9 to +28.6 points, the round 12 s); with the weak model's
// data order seeded 2 and 3, the interval's lower end was +44.9 and
// +24.0 points. Only the attacker is weakened and checked: in the same
// three rounds the policy's defender lost 6 to 9 points against the
// imitation model's attacker (intervals below 0), and 3 to 34 points
// against the built-in attacker, so this case says nothing of the
// defender (the target, both roles, is not met by it).
func TestOneRoundRepairsAWeakenedAttacker(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, words ...string) {
		var b []byte
		for _, w := range words {
			b = append(b, w+"\n"...)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	write("train.txt", "apple", "river", "music", "winter")
	write("eval.txt", "doctor", "mountain")
	write("all.txt", "apple", "river", "music", "winter", "doctor", "mountain")
	run := func(args ...string) spagtest.Result {
		t.Helper()
		r := spag(t, dir, args...)
		if r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
		return r
	}
	run("selfplay", "--attacker", "builtin", "--defender", "builtin", "--style", "compact", "--words", "all.txt",
		"--games", "6000", "--max-turns", "1", "--seed", "1", "--db", "imit.db")
	run("rewards", "--db", "imit.db", "--out", "imit.json")

	// The weakening: every attacker sample once more, answered with a
	// guess statement.
	raw, err := os.ReadFile(filepath.Join(dir, "imit.json"))
	if err != nil {
		t.Fatal(err)
	}
	var samples []map[string]any
	if err := json.Unmarshal(raw, &samples); err != nil {
		t.Fatal(err)
	}
	weak := slices.Clone(samples)
	for _, s := range samples {
		if s["role"] == "attacker" {
			bad := map[string]any{}
			for k, v := range s {
				bad[k] = v
			}
			bad["target"] = "I know the word! It is a secret!"
			weak = append(weak, bad)
		}
	}
	if len(weak) == len(samples) {
		t.Fatal("the imitation data has no attacker sample")
	}
	if raw, err = json.Marshal(weak); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "weak.json"), raw, 0o666); err != nil {
		t.Fatal(err)
	}
	run("model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "weak.json", "--out", "init.ckpt")
	run("train", "--objective", "sft", "--beta", "0", "--data", "weak.json", "--init", "init.ckpt",
		"--steps", "400", "--lr", "3e-3", "--out", "weak.ckpt", "--db", "")

	// Each objective's round from the same weakened model: SPAG's (the
	// default) and zerosum, whose rule breaks get a negative advantage.
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"spag", nil},
		{"zerosum", []string{"--objective", "zerosum"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := run(append([]string{"iterate", "--init", "weak.ckpt", "--words", "train.txt", "--eval-words", "eval.txt",
				"--rounds", "1", "--games", "400", "--eval-games", "300", "--steps", "40", "--max-turns", "1",
				"--opponent", "builtin", "--out", "loop-" + tc.name, "--db", tc.name + ".db", "--seed", "1", "--json"}, tc.args...)...)
			var out struct {
				Results []eval.RoundRates `json:"results"`
			}
			mustJSON(t, r.Stdout, &out)
			var found bool
			for _, res := range out.Results {
				if res.Role != "attacker" || res.Opponent == "builtin" {
					continue
				}
				found = true
				d := res.Difference
				t.Logf("attacker against the imitation model: %d/%d after the round, %d/%d before; gain %+.1f points (95%% interval %+.1f to %+.1f); round %s",
					res.Rate.Wins, res.Rate.Games, res.Baseline.Wins, res.Baseline.Games, 100*d.Diff, 100*d.Lo, 100*d.Hi, time.Since(start).Round(time.Second))
				if !(d.Lo > 0) {
					t.Errorf("one round did not make the weakened attacker better: gain %+.3f, interval %+.3f to %+.3f", d.Diff, d.Lo, d.Hi)
				}
			}
			if !found {
				t.Fatalf("no attacker result against the reference in %s", r.Stdout)
			}
		})
	}
}
