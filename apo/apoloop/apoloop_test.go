package apoloop

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo/revdict"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/iterate"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
	"github.com/spag-go/spag/rl/train"
)

func goodConfig() Config {
	c := Config{Rounds: 2, Samples: 4, Prompts: "definitions:train", EvalPrompts: "definitions:heldout",
		Generator: "gen.ckpt", RewardModel: "rm.ckpt", Preferences: "prefs.jsonl", Out: "loop",
		RM: train.DefaultConfig(train.ObjectiveAPO), Gen: train.DefaultConfig(train.ObjectiveSFT)}
	c.RM.Score, c.RM.Steps, c.Gen.Steps = train.ScoreScalar, 10, 10
	return c
}

// TestCheck names the setting of each configuration that cannot run.
func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(*Config)
		want   string // "" for no error
	}{
		{"good", func(*Config) {}, ""},
		{"no rounds", func(c *Config) { c.Rounds = 0 }, "rounds must be at least 1"},
		{"no samples", func(c *Config) { c.Samples = 0 }, "samples must be at least 1"},
		{"negative queries", func(c *Config) { c.Queries = -1 }, "queries and eval queries must be 0 (all) or more"},
		{"no generator", func(c *Config) { c.Generator = "" }, "no initial generator"},
		{"no reward model", func(c *Config) { c.RewardModel = "" }, "no initial reward model"},
		{"no preferences", func(c *Config) { c.Preferences = "" }, "no preference items"},
		{"evaluation on training queries", func(c *Config) { c.EvalPrompts = c.Prompts }, "the evaluation must be on queries never trained on"},
		{"likelihood reward model", func(c *Config) { c.RM.Score = train.ScoreLikelihood }, "objective apo and the scalar score"},
		{"generator by SPAG", func(c *Config) { c.Gen.Objective = train.ObjectiveSPAG }, "objective sft on its best answers"},
		{"no steps", func(c *Config) { c.Gen.Steps = 0 }, "steps must be at least 1"},
		{"negative reward-model learning rate", func(c *Config) { c.RM.LR = -1 }, "rm-lr: must be a positive number (got -1)"},
		{"zero generator learning rate", func(c *Config) { c.Gen.LR = 0 }, "gen-lr: must be a positive number (got 0)"},
		{"no generator batch", func(c *Config) { c.Gen.BatchSize = 0 }, "gen-batch-size: must be at least 1 (got 0)"},
		{"negative apo-mu", func(c *Config) { c.RM.APO.Mu = -1 }, "apo-mu: must be 0 or more (got -1)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := goodConfig()
			tt.change(&c)
			err := c.Check()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Check() = %v, want %q", err, tt.want)
			}
		})
	}
}

// tinyCheckpoint writes a tiny native model, with a scalar head or not.
func tinyCheckpoint(t *testing.T, path string, head bool) {
	t.Helper()
	v, err := tokenizer.Train(context.Background(), []string{"a domesticated animal", "a stream of water"}, tokenizer.TrainOptions{VocabSize: 280})
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Init(model.Config{Vocab: v.Size(), Dim: 16, Layers: 1, Heads: 2, KVHeads: 2, FFN: 32, Context: 32, NormEps: 1e-5, RopeTheta: 10000}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if head {
		p = model.WithScoreHead(p, 1)
	}
	if err := checkpoint.Save(path, &checkpoint.Checkpoint{Vocab: v, Params: p}); err != nil {
		t.Fatal(err)
	}
}

// TestPrepare makes the paths absolute and checks them, naming the
// setting of each problem.
func TestPrepare(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	tinyCheckpoint(t, "gen.ckpt", false)
	tinyCheckpoint(t, "rm.ckpt", true)
	item := `{"query": "What does the word \"cat\" mean?", "responses": ["a domesticated animal", "a stream of water"], "prefs": [1, 0]}` + "\n"
	for name, text := range map[string]string{"prefs.jsonl": item, "bad-prefs.jsonl": item + "{\"query\": \"q\", \"responses\": [\"a\"]}\n"} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	whole, err := os.ReadFile("gen.ckpt")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("cut.ckpt", whole[:len(whole)-100], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"good", func(*Config) {}, ""},
		{"the shipped generator", func(c *Config) { c.Generator = "native" }, ""},
		{"the shipped generator, a bad reward model", func(c *Config) { c.Generator, c.RewardModel = "native", "gen.ckpt" }, "has no scalar head"},
		{"missing generator", func(c *Config) { c.Generator = "nope.ckpt" }, "generator: stat"},
		{"reward model without a head", func(c *Config) { c.RewardModel = "gen.ckpt" }, "reward-model: " + filepath.Join(dir, "gen.ckpt") + " has no scalar head"},
		{"overlapping prompts", func(c *Config) { c.EvalPrompts = "definitions" }, `eval-prompts: the query "What does the word`},
		{"unknown prompts", func(c *Config) { c.Prompts = "nope.jsonl" }, "prompts: open nope.jsonl"},
		{"a damaged generator", func(c *Config) { c.Generator = "cut.ckpt" }, "generator: read checkpoint header " + filepath.Join(dir, "cut.ckpt") + ": not a valid spag checkpoint: truncated"},
		{"a damaged reward model", func(c *Config) { c.RewardModel = "cut.ckpt" }, "reward-model: read checkpoint header " + filepath.Join(dir, "cut.ckpt")},
		{"malformed preference items", func(c *Config) { c.Preferences = "bad-prefs.jsonl" }, "preferences: " + filepath.Join(dir, "bad-prefs.jsonl") + ":2: want at least two"},
		{"malformed held-out items", func(c *Config) { c.HeldOutPreferences = "bad-prefs.jsonl" }, "heldout-preferences: " + filepath.Join(dir, "bad-prefs.jsonl") + ":2:"},
		{"missing parent of --out", func(c *Config) { c.Out = "nonexistent/loop" }, "out: make directory " + filepath.Join(dir, "nonexistent", "loop") + ": directory " + filepath.Join(dir, "nonexistent") + " does not exist"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			os.RemoveAll("loop")
			c := goodConfig()
			tt.change(&c)
			err := c.Prepare()
			if _, statErr := os.Stat("loop"); (statErr == nil) != (err == nil) {
				t.Errorf("Prepare() = %v, and the output directory: %v; want it made exactly when the loop can run", err, statErr)
			}
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Prepare() = %v, want %q", err, tt.want)
			}
			gen := filepath.Join(dir, "gen.ckpt")
			if tt.name == "the shipped generator" {
				gen = filepath.Join(dir, "loop", defaultmodel.Name+".ckpt")
				if _, err := checkpoint.ReadHeader(gen); err != nil {
					t.Errorf("the shipped model was not copied: %v", err)
				}
			}
			if err == nil && (c.Game != Game || c.Generator != gen || c.Out != filepath.Join(dir, "loop")) {
				t.Errorf("prepared %+v", c)
			}
		})
	}
}

// TestRoundResults turns a round's measures into win-rate cells with the
// initial pair's as baselines; a reward-model measure missing on either
// side gives no cell.
func TestRoundResults(t *testing.T) {
	m := &Measures{GeneratorWins: 30, Games: 100, Yardstick: revdict.Rates{N: 100, Top1: 4, Top5: 12},
		Preferences: &train.RMEval{PrefAccuracy: 0.75, Pairs: 200}, Generated: &train.RMEval{PrefAccuracy: 0.9, Pairs: 100}}
	base := &Measures{GeneratorWins: 20, Games: 100, Yardstick: revdict.Rates{N: 100, Top1: 2, Top5: 9},
		Generated: &train.RMEval{PrefAccuracy: 0.61, Pairs: 100}}
	want := []eval.RoundResult{
		{Round: 3, Opponent: AgainstFrozenRM, Role: RoleGenerator, Wins: 30, Games: 100, BaselineWins: 20, BaselineGames: 100},
		{Round: 3, Opponent: AgainstTop1, Role: RoleGenerator, Wins: 4, Games: 100, BaselineWins: 2, BaselineGames: 100},
		{Round: 3, Opponent: AgainstTop5, Role: RoleGenerator, Wins: 12, Games: 100, BaselineWins: 9, BaselineGames: 100},
		{Round: 3, Opponent: AgainstGenerated, Role: RoleRewardModel, Wins: 90, Games: 100, BaselineWins: 61, BaselineGames: 100},
	}
	got := roundResults(3, m, base)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("roundResults =\n%+v\nwant\n%+v", got, want)
	}
	if err := eval.CheckResults(got); err != nil {
		t.Error(err)
	}
}

// TestWriteCalibration prints one line per measured round, "-" where a
// measure is missing, and skips a round not yet measured.
func TestWriteCalibration(t *testing.T) {
	var b strings.Builder
	err := WriteCalibration(&b, []RoundState{
		{Measures: &Measures{Preferences: &train.RMEval{ECE: 0.05}, Generated: &train.RMEval{ECE: 0.2}},
			Baseline: &Measures{Preferences: &train.RMEval{ECE: 0.04}, Generated: &train.RMEval{ECE: 0.3}}},
		{Measures: &Measures{Generated: &train.RMEval{ECE: 0.1}}, Baseline: &Measures{Generated: &train.RMEval{ECE: 0.3}}},
		{},
	})
	want := "\nreward model calibration error (ECE, 10 bins; initial model in brackets)\n" +
		"round  held-out preferences  held-out gold vs generated\n" +
		"1      0.0500 (0.0400)       0.2000 (0.3000)\n" +
		"2      -      (-     )       0.1000 (0.3000)\n"
	if err != nil || b.String() != want {
		t.Errorf("WriteCalibration:\n%q\nwant\n%q (%v)", b.String(), want, err)
	}
}

// TestReportDrawsTheLoop writes spag report's page of a stored APO loop:
// its rounds' cells and plots, where the Taboo report alone refuses it.
func TestReportDrawsTheLoop(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := episodes.Open(ctx, filepath.Join(dir, "loop.db"), episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c := goodConfig()
	c.Game = Game // as Prepare records it
	cfg, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	rec := &episodes.Loop{Config: cfg}
	if err := store.CreateLoop(ctx, rec); err != nil {
		t.Fatal(err)
	}
	m := &Measures{GeneratorWins: 30, Games: 100, Yardstick: revdict.Rates{N: 100, Top1: 4, Top5: 12},
		Preferences: &train.RMEval{PrefAccuracy: 0.75, Pairs: 200}}
	base := &Measures{GeneratorWins: 20, Games: 100, Yardstick: revdict.Rates{N: 100, Top1: 2, Top5: 9},
		Preferences: &train.RMEval{PrefAccuracy: 0.7, Pairs: 200}}
	state, err := json.Marshal(RoundState{Measures: m, Baseline: base})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SaveRound(ctx, rec.ID, episodes.Round{Round: 1, Stage: "done", State: state}); err != nil {
		t.Fatal(err)
	}
	var page strings.Builder
	err = iterate.WriteReport(ctx, &page, store, iterate.ReportOptions{Loop: rec.ID, Dir: dir,
		Histories: map[string]iterate.LoopHistory{Game: History}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{rec.ID, AgainstFrozenRM, AgainstTop1, AgainstPreferences, "30/100", "winrates.png"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("the page lacks %q:\n%s", want, page.String())
		}
	}
	// Without a history of its game, the loop is refused, by name.
	err = iterate.WriteReport(ctx, &strings.Builder{}, store, iterate.ReportOptions{Loop: rec.ID, Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "not a Taboo loop") {
		t.Errorf("a report without the APO history: %v", err)
	}
}

// TestBestOfLine counts the answers each query's best was chosen from, not
// the round's.
func TestBestOfLine(t *testing.T) {
	for _, tt := range []struct {
		rated, queries int
		want           string
	}{
		{40, 20, "the best-rated answer of each of 20 queries, among its 2 rated answers (40 in all)"},
		{41, 20, "the best-rated answer of each of 20 queries, among its rated answers (2.05 a query on average, 41 in all)"},
	} {
		if got := bestOfLine(tt.rated, tt.queries); got != tt.want {
			t.Errorf("bestOfLine(%d, %d) = %q, want %q", tt.rated, tt.queries, got, tt.want)
		}
	}
}
