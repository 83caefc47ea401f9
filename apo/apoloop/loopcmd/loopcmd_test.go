package loopcmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo/apoloop"
	_ "github.com/spag-go/spag/apo/apoloop/loopcmd"
	"github.com/spag-go/spag/command/cmdutil"
	iteratecmd "github.com/spag-go/spag/command/iterate"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/rl/train"
)

// iterate runs spag iterate with args in a new directory it moves to, in
// process.
func iterate(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	cmd := iteratecmd.NewCmdIterate(cmdutil.New(io, nil), nil)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestRefuses checks the APO loop's own refusals, before anything is
// recorded or made.
func TestRefuses(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--game", "apo"}, "iterate: --out DIR is required"},
		{[]string{"--game", "apo", "--out", "l", "--generator", "g.ckpt"}, "give --generator CKPT, --reward-model CKPT and --preferences FILE"},
		{[]string{"--game", "apo", "--out", "l", "--generator", "g.ckpt", "--reward-model", "r.ckpt", "--preferences", "p.jsonl", "--samples", "0"},
			"iterate: samples must be at least 1"},
		{[]string{"--game", "apo", "--out", "l", "--generator", "g.ckpt", "--reward-model", "r.ckpt", "--preferences", "p.jsonl", "--gen-lr", "0"},
			"--gen-lr: must be a positive number"},
		{[]string{"--game", "apo", "--out", "l", "--generator", "g.ckpt", "--reward-model", "r.ckpt", "--preferences", "p.jsonl"}, "--generator: "},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			_, _, err := iterate(t, tt.args...)
			if !errors.As(err, new(cmdutil.UsageError)) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tt.want)
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("a refused loop left %s", left[0].Name())
			}
		})
	}
}

// TestResumeFinished resumes a finished APO loop: it prints the results
// of its round and the reward models' calibration.
func TestResumeFinished(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	ctx := context.Background()
	store, err := episodes.Open(ctx, "spag.db", episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &episodes.Loop{Config: json.RawMessage(`{"game": "apo", "rounds": 1, "out": ` + strconvQuote(filepath.Join(dir, "loop")) + `}`)}
	if err := store.CreateLoop(ctx, rec); err != nil {
		t.Fatal(err)
	}
	m := &apoloop.Measures{GeneratorWins: 3, Games: 8, Generated: &train.RMEval{Pairs: 8, PrefAccuracy: 0.75, ECE: 0.125}}
	st, err := json.Marshal(apoloop.RoundState{Measures: m, Baseline: &apoloop.Measures{GeneratorWins: 1, Games: 8, Generated: &train.RMEval{Pairs: 8, PrefAccuracy: 0.5, ECE: 0.25}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SaveRound(ctx, rec.ID, episodes.Round{Round: 1, Stage: apoloop.StagePlot, State: st}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	stdout, stderr, err := iterate(t, "--resume", "latest")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "loop "+rec.ID+" (APO): 1 rounds into") || !strings.Contains(stderr, "loop "+rec.ID+" done; plots in") {
		t.Errorf("stderr:\n%s", stderr)
	}
	for _, want := range []string{apoloop.AgainstFrozenRM, "reward model calibration error", "0.1250 (0.2500"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
