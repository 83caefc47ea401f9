package rewardscmd

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
)

// eps are two won games and a tie, in SPAG's episodes JSON.
const eps = `[
 {"target_word": "apple", "max_turns": 3, "history": [
  {"role": "attacker", "content": "A fruit that keeps doctors away."},
  {"role": "defender", "content": "I know the word! It is apple!"}]},
 {"target_word": "river", "max_turns": 3, "history": [
  {"role": "attacker", "content": "Water flows in it."},
  {"role": "defender", "content": "I know the word! It is lake!"}]},
 {"target_word": "stone", "max_turns": 1, "history": [
  {"role": "attacker", "content": "It is hard."},
  {"role": "defender", "content": "Tell me more."}]}
]`

// execute runs spag rewards with args in dir, in process, stdin reading
// in.
func execute(t *testing.T, dir, in string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	t.Chdir(dir)
	io, stdin, out, errOut := cmdutil.Test()
	stdin.WriteString(in)
	cmd := NewCmdRewards(cmdutil.New(io, nil), nil)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "eps.json"), []byte(eps), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sft.json"), []byte(`[{"query": "q", "target": "t"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A database with a run of another game.
	ctx := context.Background()
	s, err := episodes.Open(ctx, filepath.Join(dir, "other.db"), episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateRun(ctx, &episodes.Run{ID: "r-other", Game: "othergame()", Total: 1}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestNewCmdRewards(t *testing.T) {
	io, _, _, _ := cmdutil.Test()
	var got *Options
	cmd := NewCmdRewards(cmdutil.New(io, nil), func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--in", "e.json", "--out", "-", "--role", "defender", "--last", "--sft", "a.json", "--sft", "b.json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.In != "e.json" || got.Out != "-" || got.Role != "defender" || !got.Last || len(got.SFT) != 2 || got.Rules != "strict" ||
		got.Format != "spag" || got.Decay <= 0 || !got.Changed("last") || got.Changed("decay") {
		t.Errorf("options = %+v", *got)
	}
	cmd = NewCmdRewards(cmdutil.New(io, nil), func(context.Context, *Options) error { return nil })
	cmd.SetArgs([]string{"x"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); !errors.As(err, new(cmdutil.UsageError)) {
		t.Errorf("an argument: %v, want a usage error", err)
	}
}

// TestRunRefuses checks that each bad input is refused, naming the flag,
// before any file is written.
func TestRunRefuses(t *testing.T) {
	dir := fixture(t)
	in := func(extra ...string) []string {
		return append([]string{"--in", "eps.json", "--out", "x.json"}, extra...)
	}
	for _, tt := range []struct {
		args  []string
		want  string
		usage bool
	}{
		{nil, "give exactly one of --in FILE or --db PATH", true},
		{[]string{"--in", "eps.json", "--db", "other.db"}, "give exactly one of --in FILE or --db PATH", true},
		{[]string{"--in", "eps.json", "--run", "r"}, "--run needs --db", true},
		{[]string{"--in", "eps.json"}, "--out is required", true},
		{in("--decay", "0"), "--decay must be in (0, 1]", true},
		{in("--format", "csv"), `--format "csv": want spag or chat`, true},
		{in("--role", "judge"), `--role "judge": want attacker or defender`, true},
		{in("--won-by", "judge"), `--won-by "judge": want attacker or defender`, true},
		{in("--from-turn", "-1"), "--from-turn -1: want 0 (every turn) or a turn number from 1", true},
		{in("--zero-sum", "--from-turn", "2"), "--from-turn is a setting of SPAG's rule", true},
		{in("--loser-reward", "1"), "--loser-reward 1: want 0 (SPAG's rule) or a negative reward", true},
		{in("--credit", "decisive"), "--credit applies to --zero-sum only", true},
		{in("--zero-sum", "--role", "attacker"), "--role is a setting of SPAG's rule", true},
		{in("--zero-sum", "--credit", "some"), "--zero-sum: ", true},
		{in("--zero-sum", "--baseline", "attacker"), "--baseline: ", true},
		{in("--rules", "lenient"), "--rules: ", true},
		{in("--templates", "nosuch"), "--templates: ", true},
		{in("--sft", "nosuch.json"), "--sft: ", true},
		{[]string{"--in", "nosuch.json", "--out", "x.json"}, "nosuch.json", false},
		{[]string{"--db", "nosuch.db", "--out", "x.json"}, "--db nosuch.db: no such database", true},
		{[]string{"--db", "other.db", "--run", "r-nosuch", "--out", "x.json"}, "--run r-nosuch: no such run in other.db (spag runs --db other.db lists its runs)", true},
		{[]string{"--db", "other.db", "--run", "r-other", "--out", "x.json"}, "--run r-other is a run of othergame, not of Adversarial Taboo: spag othergame --help", true},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, _, err := execute(t, dir, "", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, new(cmdutil.UsageError)) != tt.usage {
				t.Fatalf("err = %v, want one containing %q (a usage error: %v)", err, tt.want, tt.usage)
			}
			if _, err := os.Stat(filepath.Join(dir, "x.json")); err == nil {
				t.Error("a refused command wrote x.json")
			}
		})
	}
}

// TestRun writes the data of the fixture's games with each rule.
func TestRun(t *testing.T) {
	dir := fixture(t)
	var samples []struct {
		Target string  `json:"target"`
		Reward float64 `json:"reward"`
		Role   string  `json:"role"`
		Type   string  `json:"type"`
	}
	_, stderr, err := execute(t, dir, "", "--in", "eps.json", "--out", "train.json", "--sft", "sft.json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "train.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &samples); err != nil || len(samples) != 3 {
		t.Fatalf("train.json = %s (%v); want the two winners' samples and the imitation one", raw, err)
	}
	if samples[2].Type != "sft" || stderr == "" {
		t.Errorf("samples %+v, summary %q", samples, stderr)
	}

	// Standard input to standard output, as chat lines.
	stdout, _, err := execute(t, dir, eps, "--in", "-", "--out", "-", "--format", "chat")
	if err != nil || strings.Count(stdout, "\n") != 2 || !strings.Contains(stdout, `"messages"`) {
		t.Errorf("chat: %v\n%s", err, stdout)
	}

	// The defender's right guess was at its first turn: --from-turn 1
	// keeps it, --from-turn 2 asks for later ones only.
	for _, tc := range []struct {
		from string
		want int
	}{{"1", 1}, {"2", 0}} {
		stdout, stderr, err := execute(t, dir, "", "--in", "eps.json", "--out", "-", "--role", "defender", "--last", "--from-turn", tc.from)
		if err != nil {
			t.Fatalf("--from-turn %s: %v\n%s", tc.from, err, stderr)
		}
		samples = nil
		if err := json.Unmarshal([]byte(stdout), &samples); err != nil || len(samples) != tc.want {
			t.Errorf("--from-turn %s: data = %s (%v), want %d samples", tc.from, stdout, err, tc.want)
		}
	}

	// The zero-sum rule gives every turn of both roles an advantage.
	stdout, stderr, err = execute(t, dir, "", "--in", "eps.json", "--out", "-", "--zero-sum", "--baseline", "attacker=0.5,defender=-0.5")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &samples); err != nil || len(samples) < 4 {
		t.Errorf("zero-sum data = %s (%v)", stdout, err)
	}
}
