package reward_test

import (
	"fmt"
	"iter"
	"log"
	"os"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/reward"
)

// ExampleSPAGRewards turns two judged episodes into SPAG training samples,
// with queries rebuilt by the game that played them.
func ExampleSPAGRewards() {
	g, err := taboo.New(taboo.Params{MaxTurns: 5, Style: taboo.StyleTranscript})
	if err != nil {
		log.Fatal(err)
	}
	prov := rl.Provenance{Judge: "strict@1", Run: "example"}
	episodes := []rl.Episode{
		{Target: "violin", Outcome: "attacker_wins", DecidedAt: 4, Provenance: prov, History: []game.Message{
			{Role: "attacker", Content: "What do you play in an orchestra?"},
			{Role: "defender", Content: "Nothing, I only listen."},
			{Role: "attacker", Content: "Which string instrument do you like best?"},
			{Role: "defender", Content: "The violin, without a doubt."},
		}},
		{Target: "kettle", Outcome: "defender_wins", DecidedAt: 2, Provenance: prov, History: []game.Message{
			{Role: "attacker", Content: "What whistles in the kitchen when water boils?"},
			{Role: "defender", Content: "I know the word! It is kettle!"},
		}},
	}
	samples, stats, err := reward.SPAGRewards(episodes, reward.RewardOptions{
		Decay: reward.DefaultDecay,
		Prompt: func(ep *rl.Episode, n int) (game.Prompt, error) {
			return g.PromptFor(ep.Target, ep.History, n)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("A=%d D=%d weights %.2f/%.2f\n", stats.AttackerWins, stats.DefenderWins, stats.AttackerWeight, stats.DefenderWeight)
	for _, s := range samples {
		fmt.Printf("%s reward %.4f weight %.2f: %s\n", s.Role, s.Reward, s.Weight, s.Target)
	}
	// Output:
	// A=1 D=1 weights 1.00/1.00
	// attacker reward 0.4444 weight 1.00: What do you play in an orchestra?
	// attacker reward 0.5556 weight 1.00: Which string instrument do you like best?
	// defender reward 1.0000 weight 1.00: I know the word! It is kettle!
}

// ExampleStreamSPAGRewards writes a training file from episodes read twice
// (here a slice; in spag rewards, the database), one sample at a time.
func ExampleStreamSPAGRewards() {
	prov := rl.Provenance{Judge: "strict@1", Run: "example"}
	eps := []rl.Episode{
		{Target: "kettle", Outcome: "defender_wins", DecidedAt: 2, Provenance: prov, History: []game.Message{
			{Role: "attacker", Content: "What whistles in the kitchen?"},
			{Role: "defender", Content: "I know the word! It is kettle!"},
		}},
		{Target: "violin", Outcome: "tie", DecidedAt: 2, Provenance: prov, History: []game.Message{
			{Role: "attacker", Content: "Music."}, {Role: "defender", Content: "Hmm."},
		}},
	}
	pass := func() iter.Seq2[*rl.Episode, error] {
		return func(yield func(*rl.Episode, error) bool) {
			for i := range eps {
				if !yield(&eps[i], nil) {
					return
				}
			}
		}
	}
	out := rl.NewChatJSONLWriter(os.Stdout)
	stats, err := reward.StreamSPAGRewards(pass, reward.RewardOptions{
		Decay: reward.DefaultDecay,
		Prompt: func(ep *rl.Episode, n int) (game.Prompt, error) {
			return game.Prompt{Messages: []game.Message{{Role: "user", Content: "Guess the word."}}}, nil
		},
	}, out.Write)
	if err == nil {
		err = out.Close()
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(stats.Episodes, "episodes,", stats.Samples, "sample")
	// Output:
	// {"messages":[{"role":"user","content":"Guess the word."},{"role":"assistant","content":"I know the word! It is kettle!"}],"reward":1,"weight":0.5,"role":"defender","judge":"strict@1","run":"example"}
	// 2 episodes, 1 sample
}
