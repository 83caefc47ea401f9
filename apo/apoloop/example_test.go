package apoloop_test

import (
	"fmt"

	"github.com/spag-go/spag/apo/apoloop"
	"github.com/spag-go/spag/rl/train"
)

// ExampleConfig_Check: a loop needs its two starting models, preference
// items, and training that fits APO (the scalar reward model, the
// generator imitating its best answers).
func ExampleConfig_Check() {
	c := apoloop.Config{Rounds: 2, Samples: 4, Prompts: "definitions:train", EvalPrompts: "definitions:heldout",
		Generator: "gen.ckpt", RewardModel: "rm.ckpt", Preferences: "prefs.jsonl", Out: "loop",
		RM: train.DefaultConfig(train.ObjectiveAPO), Gen: train.DefaultConfig(train.ObjectiveSFT)}
	c.RM.Steps, c.Gen.Steps = 100, 100
	fmt.Println(c.Check())
	c.RM.Score = train.ScoreScalar
	fmt.Println(c.Check())
	// Output:
	// the reward model trains with objective apo and the scalar score (got apo, "")
	// <nil>
}
