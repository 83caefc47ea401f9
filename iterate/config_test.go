package iterate_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/iterate"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/selfplay"
)

func TestPrepare(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("sft.ckpt", []byte("weights"), 0o666); err != nil {
		t.Fatal(err)
	}
	shipped := filepath.Join(dir, "loop", defaultmodel.Name+".ckpt")
	for _, tt := range []struct {
		name                string
		in                  iterate.Config
		init, spec, ref     string
		setting, errSubstr  string
		shippedModelWritten bool
	}{
		{name: "the shipped model by default", in: iterate.Config{Out: "loop"},
			init: shipped, spec: "native", shippedModelWritten: true},
		{name: "a checkpoint by absolute path", in: iterate.Config{Out: "loop", Init: "sft.ckpt", Ref: "sft.ckpt"},
			init: filepath.Join(dir, "sft.ckpt"), spec: "native:" + filepath.Join(dir, "sft.ckpt"), ref: filepath.Join(dir, "sft.ckpt")},
		{name: "a missing reference", in: iterate.Config{Out: "loop", Init: "sft.ckpt", Ref: "gone.ckpt"},
			setting: "ref", errSubstr: "gone.ckpt"},
		{name: "missing imitation data", in: iterate.Config{Out: "loop", SFT: "alpaca.json"},
			setting: "sft", errSubstr: "alpaca.json"},
		{name: "an output directory that cannot be made", in: iterate.Config{Out: "sft.ckpt/loop"},
			setting: "out", errSubstr: "sft.ckpt"},
		{name: "an output directory whose parent is missing", in: iterate.Config{Out: "nonexistent/loop"},
			setting: "out", errSubstr: "directory " + filepath.Join(dir, "nonexistent") + " does not exist"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			os.RemoveAll(filepath.Join(dir, "loop"))
			c := tt.in
			err := c.Prepare()
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
	c := iterate.Config{Rounds: 1, Games: 10, EvalGames: 10, Out: dir, Decay: 0.8}
	c.Train.Steps = 2
	if err := c.Prepare(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.InitSpec, filepath.Base(c.Init) == defaultmodel.Name+".ckpt", c.Check())
	// Output:
	// native true <nil>
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
			c := iterate.Config{TrainWords: tt.train, EvalWords: tt.eval}
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

// TestCheck names the setting of each configuration that cannot run.
func TestCheck(t *testing.T) {
	good := iterate.Config{Rounds: 1, Games: 10, EvalGames: 10, Init: "im.ckpt", Out: "loop", Decay: 0.8}
	good.Train.Steps = 5
	for _, tt := range []struct {
		name   string
		change func(*iterate.Config)
		want   string // "" for no error
	}{
		{"good", func(*iterate.Config) {}, ""},
		{"no rounds", func(c *iterate.Config) { c.Rounds = 0 }, "rounds must be at least 1"},
		{"steps and epochs", func(c *iterate.Config) { c.Epochs = 1 }, "exactly one of steps and epochs"},
		{"decay", func(c *iterate.Config) { c.Decay = 1.5 }, "decay must be in (0, 1] (got 1.5)"},
		{"a loser penalty", func(c *iterate.Config) { c.LoserReward = -0.5 }, ""},
		{"a loser prize", func(c *iterate.Config) { c.LoserReward = 0.5 }, "loser reward must be 0 or negative (got 0.5)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.change(&c)
			err := c.Check()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Check() = %v, want %q", err, tt.want)
			}
		})
	}
}
