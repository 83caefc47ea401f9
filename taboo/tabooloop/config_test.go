package tabooloop_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo/reward"
	"github.com/spag-go/spag/taboo/tabooloop"
)

func TestPrepare(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	var ckpt bytes.Buffer
	if _, err := defaultmodel.WriteTo(&ckpt); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"sft.ckpt": ckpt.Bytes(), "cut.ckpt": ckpt.Bytes()[:ckpt.Len()-10],
		"alpaca.json": []byte(`[{"query": "q", "target": "t"}]`), "bad.json": []byte("[{\"query\": \"q\", \"target\": \"t\"},\n {\"query\": 3}]"),
	} {
		if err := os.WriteFile(name, data, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	shipped := filepath.Join(dir, "loop", defaultmodel.Name+".ckpt")
	for _, tt := range []struct {
		name                string
		in                  tabooloop.Config
		init, spec, ref     string
		setting, errSubstr  string
		shippedModelWritten bool
	}{
		{name: "the shipped model by default", in: tabooloop.Config{Out: "loop"},
			init: shipped, spec: "native", shippedModelWritten: true},
		{name: "a checkpoint by absolute path", in: tabooloop.Config{Out: "loop", Init: "sft.ckpt", Ref: "sft.ckpt"},
			init: filepath.Join(dir, "sft.ckpt"), spec: "native:" + filepath.Join(dir, "sft.ckpt"), ref: filepath.Join(dir, "sft.ckpt")},
		{name: "a missing reference", in: tabooloop.Config{Out: "loop", Init: "sft.ckpt", Ref: "gone.ckpt"},
			setting: "ref", errSubstr: "gone.ckpt"},
		{name: "missing imitation data", in: tabooloop.Config{Out: "loop", SFT: "gone.json"},
			setting: "sft", errSubstr: "gone.json"},
		{name: "imitation data", in: tabooloop.Config{Out: "loop", SFT: "alpaca.json"},
			init: shipped, spec: "native", shippedModelWritten: true},
		{name: "malformed imitation data", in: tabooloop.Config{Out: "loop", SFT: "bad.json"},
			setting: "sft", errSubstr: filepath.Join(dir, "bad.json") + ":2"},
		{name: "a damaged initial policy", in: tabooloop.Config{Out: "loop", Init: "cut.ckpt"},
			setting: "init", errSubstr: filepath.Join(dir, "cut.ckpt") + ": not a valid spag checkpoint: truncated"},
		{name: "a damaged reference", in: tabooloop.Config{Out: "loop", Init: "sft.ckpt", Ref: "cut.ckpt"},
			setting: "ref", errSubstr: "cut.ckpt"},
		{name: "an output directory that cannot be made", in: tabooloop.Config{Out: "sft.ckpt/loop"},
			setting: "out", errSubstr: "sft.ckpt"},
		{name: "an output directory whose parent is missing", in: tabooloop.Config{Out: "nonexistent/loop"},
			setting: "out", errSubstr: "directory " + filepath.Join(dir, "nonexistent") + " does not exist"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			os.RemoveAll(filepath.Join(dir, "loop"))
			c := tt.in
			err := c.Prepare()
			if _, statErr := os.Stat(filepath.Join(dir, "loop")); (statErr == nil) != (err == nil) {
				t.Errorf("Prepare: %v, and the output directory: %v; want it made exactly when the loop can run", err, statErr)
			}
			if tt.setting != "" {
				var se *selfplay.SettingError
				if !errors.As(err, &se) || se.Setting != tt.setting || !strings.Contains(err.Error(), tt.errSubstr) {
					t.Fatalf("Prepare: %v; want a setting error for %q naming %q", err, tt.setting, tt.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Out != filepath.Join(dir, "loop") || c.Init != tt.init || c.InitSpec != tt.spec || c.Ref != tt.ref {
				t.Errorf("prepared out %q, init %q (%q), ref %q; want init %q (%q), ref %q", c.Out, c.Init, c.InitSpec, c.Ref, tt.init, tt.spec, tt.ref)
			}
			if st, err := os.Stat(shipped); (err == nil) != tt.shippedModelWritten || err == nil && st.Size() != int64(defaultmodel.Size()) {
				t.Errorf("the shipped model's copy: %v, want written %v", err, tt.shippedModelWritten)
			}
		})
	}
}

// ExampleConfig_Prepare completes a new loop as spag iterate does: without
// --init the loop starts from the shipped model, copied beside its data.
func ExampleConfig_Prepare() {
	dir, err := os.MkdirTemp("", "loop")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	c := tabooloop.Config{Rounds: 1, Games: 10, EvalGames: 10, Out: dir, Decay: 0.8, Train: train.DefaultConfig(train.ObjectiveSPAG)}
	c.Train.Steps = 2
	// Check reads nothing and creates nothing: a bad setting is refused
	// before Prepare writes a file.
	if err := c.Check(); err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Prepare(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.InitSpec, filepath.Base(c.Init) == defaultmodel.Name+".ckpt")
	// Output:
	// native true
}

func TestCheckWords(t *testing.T) {
	lists := map[string][]string{
		"train":   {"apple", "river", "music"},
		"heldout": {"cloud", "stone"},
		"mixed":   {"cloud", "river", "apple"},
	}
	read := func(source string) ([]string, error) {
		if w, ok := lists[source]; ok {
			return w, nil
		}
		return nil, fmt.Errorf("%s: no such file", source)
	}
	for _, tt := range []struct {
		name, train, eval  string
		setting, errSubstr string
	}{
		{name: "disjoint lists", train: "train", eval: "heldout"},
		{name: "shared words are named", train: "train", eval: "mixed", setting: "eval-words", errSubstr: "2 of its words are also training words (apple, river)"},
		{name: "an unreadable training list", train: "gone.txt", eval: "heldout", setting: "words", errSubstr: "gone.txt"},
		{name: "an unreadable evaluation list", train: "train", eval: "gone.txt", setting: "eval-words", errSubstr: "gone.txt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tabooloop.Config{TrainWords: tt.train, EvalWords: tt.eval}
			err := c.CheckWords(read)
			if tt.setting == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var se *selfplay.SettingError
			if !errors.As(err, &se) || se.Setting != tt.setting || !strings.Contains(err.Error(), tt.errSubstr) {
				t.Fatalf("CheckWords: %v; want a setting error for %q naming %q", err, tt.setting, tt.errSubstr)
			}
		})
	}
}

// TestCheck names the setting (the flag of spag iterate) of each
// configuration that cannot run; Check reads no file, so a command calls it
// before anything is recorded or created.
func TestCheck(t *testing.T) {
	good := tabooloop.Config{Rounds: 1, Games: 10, EvalGames: 10, Out: "loop", Decay: 0.8, Train: train.DefaultConfig(train.ObjectiveSPAG)}
	good.Train.Steps = 5
	for _, tt := range []struct {
		name    string
		change  func(*tabooloop.Config)
		setting string // "" for an error that names no one setting
		want    string // "" for no error
	}{
		{"good", func(*tabooloop.Config) {}, "", ""},
		{"the shipped model (no init)", func(c *tabooloop.Config) { c.Init = "" }, "", ""},
		{"no rounds", func(c *tabooloop.Config) { c.Rounds = 0 }, "rounds", "must be at least 1 (got 0)"},
		{"no evaluation games", func(c *tabooloop.Config) { c.EvalGames = -3 }, "eval-games", "must be at least 1 (got -3)"},
		{"steps and epochs", func(c *tabooloop.Config) { c.Epochs = 1 }, "", "exactly one of --steps and --epochs"},
		{"infinite epochs", func(c *tabooloop.Config) { c.Train.Steps, c.Epochs = 0, math.Inf(1) }, "epochs", "finite"},
		{"decay", func(c *tabooloop.Config) { c.Decay = 1.5 }, "decay", "must be in (0, 1] (got 1.5)"},
		{"a loser penalty", func(c *tabooloop.Config) { c.LoserReward = -0.5 }, "", ""},
		{"a loser prize", func(c *tabooloop.Config) { c.LoserReward = 0.5 }, "loser-reward", "must be 0 or negative (got 0.5)"},
		{"a negative learning rate", func(c *tabooloop.Config) { c.Train.LR = -1 }, "lr", "must be a positive number (got -1)"},
		{"a learning rate that is not a number", func(c *tabooloop.Config) { c.Train.LR = math.NaN() }, "lr", "must be a positive number (got NaN)"},
		{"a negative KL coefficient", func(c *tabooloop.Config) { c.Train.SPAG.Beta = -1 }, "beta", "must be 0 or more (got -1)"},
		{"a negative clip range", func(c *tabooloop.Config) { c.Train.SPAG.Eps = -1 }, "clip-range", "must be a positive number (got -1)"},
		{"a negative imitation weight", func(c *tabooloop.Config) { c.Train.SPAG.Alpha = -0.5 }, "sft-coeff", "must be 0 or more (got -0.5)"},
		{"no batch", func(c *tabooloop.Config) { c.Train.BatchSize = 0 }, "batch-size", "must be at least 1 (got 0)"},
		{"negative steps beside epochs", func(c *tabooloop.Config) { c.Train.Steps, c.Epochs = -2, 1 }, "steps", "must be at least 1 (got -2)"},
		{"zero-sum", zeroSum(reward.CreditDecisive, 0.5), "", ""},
		{"zero-sum without its settings", func(c *tabooloop.Config) { c.Train.Objective = train.ObjectiveZeroSum }, "", "zero-sum rule's settings go with the zerosum objective"},
		{"zero-sum settings for spag", func(c *tabooloop.Config) {
			c.Train.Objective, c.ZeroSum = train.ObjectiveSPAG, &tabooloop.ZeroSumRule{Credit: reward.CreditAll}
		}, "", "zero-sum rule's settings go with the zerosum objective"},
		{"zero-sum credit", zeroSum("first", 0.5), "", `credit "first"`},
		{"zero-sum decay", zeroSum(reward.CreditAll, 1), "", "baseline decay 1"},
		{"zero-sum baseline per turn", func(c *tabooloop.Config) {
			zeroSum(reward.CreditAll, 0.5)(c)
			c.ZeroSum.BaselinePer = reward.BaselinePerTurn
		}, "", ""},
		{"zero-sum baseline per game", func(c *tabooloop.Config) { zeroSum(reward.CreditAll, 0.5)(c); c.ZeroSum.BaselinePer = "game" }, "baseline-per", `baseline per "game"`},
		{"zero-sum with a loser reward", func(c *tabooloop.Config) { zeroSum(reward.CreditAll, 0.5)(c); c.LoserReward = -1 }, "loser-reward", "is SPAG's rule"},
		{"another objective", func(c *tabooloop.Config) { c.Train.Objective = train.ObjectiveVAR }, "objective", `"var"`},
		{"a population", func(c *tabooloop.Config) {
			c.Population = tabooloop.Mixture{{Name: "self", Weight: 1}, {Name: "ref", Weight: 1}}
		}, "", ""},
		{"a population of nobody", func(c *tabooloop.Config) { c.Population = tabooloop.Mixture{{Name: "self", Weight: 0}} }, "opponents", "the weights sum to 0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.change(&c)
			err := c.Check()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Check() = %v, want %q", err, tt.want)
			}
			var se *selfplay.SettingError
			if got := errors.As(err, &se); got != (tt.setting != "") || got && se.Setting != tt.setting {
				t.Errorf("Check() = %v (%#v), want a setting error for %q", err, se, tt.setting)
			}
		})
	}
}

func zeroSum(credit string, decay float64) func(*tabooloop.Config) {
	return func(c *tabooloop.Config) {
		c.Train = train.DefaultConfig(train.ObjectiveZeroSum)
		c.Train.Steps = 5
		c.ZeroSum = &tabooloop.ZeroSumRule{Credit: credit, BaselineDecay: decay}
	}
}
