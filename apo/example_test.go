package apo_test

import (
	"context"
	"fmt"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/game"
)

// An episode with the built-in players: the generator answers, the reward
// model rates the gold answer and the generated one without knowing which
// is which, and the ratings decide.
func Example() {
	g, err := apo.New(apo.Params{Items: []apo.Item{{
		Query: "How often should I water a cactus?",
		Gold:  "Water a cactus only when its soil has dried out completely, about every two to four weeks in summer and far less in winter.",
	}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := &game.Runner{Game: g, Players: []game.Player{apo.BuiltinGenerator{Skill: 0.5}, apo.BuiltinRewardModel{}}}
	ep, err := r.Play(context.Background(), game.Setup{Seed: 7, Subject: g.Queries()[0]})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("generator:", ep.Turns[0].Text)
	fmt.Println("gold shown as A:", apo.GoldFirst(ep.Seed))
	fmt.Println("ratings:", ep.Verdict.Evidence.Text)
	fmt.Println(ep.Verdict.Outcome, ep.Verdict.Rule)
	// Output:
	// generator: When it comes to cactus, the details matter more than the general idea. There are several ways to look at it.
	// gold shown as A: false
	// ratings: A: 5.2
	// B: 8.3
	// reward_model_wins apo.gold_preferred
}

func ExampleParseScores() {
	s, err := apo.ParseScores("A is vague; B names the cause.\nA: 4\nB: 8.5/10")
	fmt.Println(s.A, s.B, err)
	// Output: 4 8.5 <nil>
}
