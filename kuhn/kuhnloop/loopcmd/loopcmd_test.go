package loopcmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spag-go/spag/command/cmdutil"
	iteratecmd "github.com/spag-go/spag/command/iterate"
	reportcmd "github.com/spag-go/spag/command/report"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/kuhndata"
	"github.com/spag-go/spag/kuhn/kuhnloop"
	_ "github.com/spag-go/spag/kuhn/kuhnloop/loopcmd"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
	"github.com/spag-go/spag/rl/train"

	// The other games' loops, whose flags Kuhn's share; the players.
	_ "github.com/spag-go/spag/apo/apoloop/loopcmd"
	_ "github.com/spag-go/spag/kuhn/kuhnbuiltin"
	_ "github.com/spag-go/spag/players/native"
	_ "github.com/spag-go/spag/taboo/tabooloop/loopcmd"
)

// iterate runs spag iterate with args in process.
func iterate(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	cmd := iteratecmd.NewCmdIterate(cmdutil.New(io, nil), nil)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// smallModel writes a model of random weights whose tokenizer knows the
// game's prompts, at path.
func smallModel(t *testing.T, path string) {
	t.Helper()
	samples, err := kuhndata.Imitation(kuhn.Uniform(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, s := range samples {
		texts = append(texts, s.Query+" "+s.Target)
	}
	v, err := tokenizer.Train(context.Background(), texts, tokenizer.TrainOptions{VocabSize: 512})
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Init(model.Config{Vocab: v.Size(), Dim: 16, Layers: 1, Heads: 2, KVHeads: 2, FFN: 32, Context: 128, NormEps: 1e-5, RopeTheta: 10000}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Save(path, &checkpoint.Checkpoint{Vocab: v, Params: p}); err != nil {
		t.Fatal(err)
	}
}

// TestRefuses checks the Kuhn loop's refusals, before anything is
// recorded or made; without --init it says how to make the model.
func TestRefuses(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", "l"}, "--init CKPT is required"},
		{[]string{"--out", "l"}, "spag kuhn data --player kuhn:uniform --copies 8 --out uniform.json"},
		{[]string{"--init", "k.ckpt"}, "iterate: --out DIR is required"},
		{[]string{"--out", "l", "--init", "k.ckpt", "--objective", "sft"}, `--objective "sft": a Kuhn loop trains with zerosum or spag`},
		{[]string{"--out", "l", "--init", "k.ckpt", "--ref", "best"}, `--ref: "best"`},
		{[]string{"--out", "l", "--init", "k.ckpt", "--temperature", "0"}, "--temperature must be positive"},
		{[]string{"--out", "l", "--init", "k.ckpt", "--forfeit", "-1"}, "--forfeit: must be 0 or more chips"},
		{[]string{"--out", "l", "--init", "k.ckpt", "--games", "0"}, "--games: self-play hands per round must be at least 1"},
		{[]string{"--out", "l", "--init", "missing.ckpt"}, "--init: "},
		{[]string{"--out", "l", "--init", "k.ckpt", "--rm-steps", "2"}, "--rm-steps belong to the other game's loop"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			if slices.Contains(tt.args, "k.ckpt") {
				smallModel(t, filepath.Join(dir, "k.ckpt"))
			}
			_, _, err := iterate(t, append([]string{"--game", "kuhn"}, tt.args...)...)
			if !errors.As(err, new(cmdutil.UsageError)) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tt.want)
			}
			left, _ := os.ReadDir(dir)
			for _, e := range left {
				if e.Name() != "k.ckpt" {
					t.Errorf("a refused loop left %s", e.Name())
				}
			}
		})
	}
}

// TestFlagsReachTheLoop runs a one-round loop in process with every
// flag of the Kuhn loop set, several of them shared with Taboo's loop:
// the recorded configuration holds each value, --json lists round 0
// and round 1, and spag report draws the loop's page.
func TestFlagsReachTheLoop(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	smallModel(t, "k.ckpt")
	stdout, stderr, err := iterate(t, "--game", "kuhn", "--init", "k.ckpt", "--rounds", "1", "--games", "6", "--eval-games", "0", "--steps", "1",
		"--lr", "0.004", "--beta", "0.05", "--objective", "spag", "--ref", "init", "--temperature", "0.7", "--baseline", "seat", "--batch-size", "4",
		"--forfeit", "2.5", "--out", "loop", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	cfg := latestConfig(t)
	tr := cfg.Train
	if cfg.Game != "kuhn" || cfg.Forfeit != 2.5 || cfg.Hands != 6 || cfg.EvalHands != 0 || tr.Steps != 1 || tr.LR != 0.004 || tr.Objective != train.ObjectiveSPAG || tr.SPAG.Beta != 0.05 ||
		tr.BatchSize != 4 || cfg.Ref != kuhnloop.RefInit || cfg.Baseline != "seat" || !slices.Contains(cfg.Options, "temperature=0.7") ||
		cfg.Init != filepath.Join(dir, "k.ckpt") {
		t.Errorf("recorded configuration %+v", cfg)
	}
	var doc struct {
		Game   string           `json:"game"`
		Rounds []kuhnloop.Point `json:"rounds"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if doc.Game != "kuhn" || len(doc.Rounds) != 2 || doc.Rounds[1].Round != 1 || !(doc.Rounds[0].Exploitability > 0) {
		t.Errorf("--json %+v", doc)
	}
	if _, err := os.Stat(filepath.Join("loop", kuhnloop.ChartName+".png")); err != nil {
		t.Error(err)
	}
	// spag report draws the loop's page through its registration.
	io, _, _, _ := cmdutil.Test()
	report := reportcmd.NewCmdReport(cmdutil.New(io, nil), nil)
	report.SetArgs([]string{"--db", "spag.db", "--out", "page/report.md"})
	if err := os.Mkdir("page", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := report.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile("page/report.md")
	if err != nil || !strings.Contains(string(page), "## Exploitability and chips per hand against the equilibrium") ||
		!strings.Contains(string(page), "(<"+kuhnloop.ChartName+".png>)") {
		t.Errorf("report page (%v):\n%s", err, page)
	}
	if _, err := os.Stat(filepath.Join("page", kuhnloop.ChartName+".png")); err != nil {
		t.Error(err)
	}
}

// recorded runs a one-round loop of a few hands with args after the
// ones it needs, and returns its recorded configuration.
func recorded(t *testing.T, args ...string) kuhnloop.Config {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	smallModel(t, "k.ckpt")
	base := []string{"--game", "kuhn", "--init", "k.ckpt", "--rounds", "1", "--games", "2", "--eval-games", "0", "--steps", "1", "--out", "loop"}
	if _, stderr, err := iterate(t, append(base, args...)...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	return latestConfig(t)
}

// latestConfig is the configuration recorded with the latest loop in
// spag.db.
func latestConfig(t *testing.T) kuhnloop.Config {
	t.Helper()
	store, err := episodes.Open(context.Background(), "spag.db", episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rec, err := store.LatestLoop(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var cfg kuhnloop.Config
	if err := json.Unmarshal(rec.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestDefaultsAreTheRecipe: without the flags, a loop runs docs/kuhn.md's
// best recipe (the starting model as the KL reference at β 0.2, a chip's
// penalty for an answer that is no move, max_tokens=3 at play), and each
// flag or --option still overrides its part.
func TestDefaultsAreTheRecipe(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		ref     string
		beta    float64
		forfeit float64
		option  string
	}{
		{"defaults", nil, kuhnloop.RefInit, 0.2, 1, "max_tokens=3"},
		{"overridden", []string{"--ref", "previous", "--beta", "0.1", "--forfeit", "0", "--option", "max_tokens=5"}, kuhnloop.RefPrevious, 0.1, 0, "max_tokens=5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := recorded(t, tt.args...)
			var tokens []string
			for _, o := range cfg.Options {
				if strings.HasPrefix(o, "max_tokens=") {
					tokens = append(tokens, o)
				}
			}
			if cfg.Ref != tt.ref || cfg.Train.ZeroSum == nil || cfg.Train.ZeroSum.Beta != tt.beta || cfg.Forfeit != tt.forfeit ||
				!slices.Equal(tokens, []string{tt.option}) {
				t.Errorf("recorded ref %q, beta %+v, forfeit %v, options %q; want %q, %v, %v, %s",
					cfg.Ref, cfg.Train.ZeroSum, cfg.Forfeit, cfg.Options, tt.ref, tt.beta, tt.forfeit, tt.option)
			}
		})
	}
}

// TestHelp: the flags Kuhn shares with Taboo's loop say what each game
// makes of them, with Kuhn's default.
func TestHelp(t *testing.T) {
	io, _, _, _ := cmdutil.Test()
	cmd := iteratecmd.NewCmdIterate(cmdutil.New(io, nil), nil)
	for name, want := range map[string]string{"steps": "; kuhn: training steps per round (default 150)", "games": "; kuhn: self-play hands per round (default 1200)",
		"temperature": "kuhn: sampling temperature"} {
		if f := cmd.Flags().Lookup(name); f == nil || !strings.Contains(f.Usage, want) {
			t.Errorf("--%s: %v; want its help to contain %q", name, f, want)
		}
	}
}

// TestForfeitReachesTheRewards: the same round (same seed, a model of
// random weights that answers many prompts with no move) written with
// --forfeit 0 and --forfeit 5 differs by 5 chips in the advantage of each
// answer that lost its hand by rule, and only there.
func TestForfeitReachesTheRewards(t *testing.T) {
	rewards := func(forfeit string) []rl.Sample {
		recorded(t, "--seed", "3", "--games", "8", "--forfeit", forfeit)
		f, err := os.Open(filepath.Join("loop", "round-1", "rewards.json"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		samples, err := rl.ReadSPAGTraining(f, f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return samples
	}
	without, with := rewards("0"), rewards("5")
	if len(without) != len(with) {
		t.Fatalf("%d samples without the penalty, %d with it: the rounds differ", len(without), len(with))
	}
	penalised := 0
	for i := range with {
		switch d := without[i].Reward - with[i].Reward; {
		case math.Abs(d-5) < 1e-9:
			penalised++
		case math.Abs(d) > 1e-9:
			t.Errorf("sample %d (%q): advantage %v without the penalty, %v with it", i, with[i].Target, without[i].Reward, with[i].Reward)
		}
	}
	if penalised == 0 {
		t.Errorf("no answer of %d was penalised; the test wants a model that forfeits", len(with))
	}
}
