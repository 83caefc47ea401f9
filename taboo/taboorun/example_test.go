package taboorun_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/taboorun"
)

// A new run as spag selfplay makes it: the settings the user chose,
// completed by Prepare, then the plan that plays them.
func Example() {
	words, err := taboo.Words(taboo.WordsHeldOut)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := taboorun.Config{MaxTurns: 5, Judge: "strict", Attacker: "builtin,skill=0.9", Defender: "builtin",
		Words: taboo.WordsHeldOut, Seed: 1}
	if err := c.Prepare(words); err != nil {
		fmt.Println(err)
		return
	}
	plan, err := c.Plan(context.Background(), words, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Subjects.Len(), "games of", plan.Game.Name(), "judged by", plan.Judge)
	fmt.Println(plan.Names["attacker"], "against", plan.Names["defender"])
	// Output:
	// 100 games of taboo judged by strict@1
	// builtin,skill=0.9 against builtin
}

// ExampleConfig_Prepare shows the defaults of a new run on a word file:
// one game per word, compact prompts for a native player, the file by its
// absolute path.
func ExampleConfig_Prepare() {
	c := taboorun.Config{Attacker: "native", Defender: "builtin", Words: "/data/words.txt"}
	if err := c.Prepare([]string{"apple", "river", "cloud"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Games, c.Style, c.Words)
	// Output:
	// 3 compact /data/words.txt
}

// ExampleDefaultStyle picks the prompt style for two players.
func ExampleDefaultStyle() {
	fmt.Println(taboorun.DefaultStyle("native", "builtin"))
	fmt.Println(taboorun.DefaultStyle("ollama:qwen2.5:7b", "builtin"))
	// Output:
	// compact
	// chat
}

// ExampleConfig_NewGame shows a setting's error: it names the setting, and
// a command names its flag after it.
func ExampleConfig_NewGame() {
	c := taboorun.Config{MaxTurns: 5, Judge: "lenient"}
	_, err := c.NewGame()
	var se *selfplay.SettingError
	fmt.Println(errors.As(err, &se), se.Setting)
	// Output:
	// true judge
}

// ExampleConfig_Plan resumes a run: the stored configuration plans the
// same game and the same subjects.
func ExampleConfig_Plan() {
	ctx := context.Background()
	words := []string{"apple", "river", "cloud"}
	c := taboorun.Config{MaxTurns: 5, Judge: "spag", Style: taboo.StyleChat, Attacker: "builtin", Defender: "builtin",
		Words: "builtin", Games: 4, Seed: 3}
	first, err := c.Plan(ctx, words, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	run := first.Record()
	run.ID = "r1"
	var stored taboorun.Config
	if err := selfplay.StoredConfig(run, &stored); err != nil {
		fmt.Println(err)
		return
	}
	again, err := stored.Plan(ctx, words, run)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(selfplay.CheckResumable(run, again), again.Subjects.At(0) == first.Subjects.At(0))
	// Output:
	// <nil> true
}
