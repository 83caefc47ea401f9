package realwords_test

import (
	"context"
	"log"
	"os"
	"path/filepath"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/taboo/realwords"
)

// words is a lexicon of a few words; spag words check uses WordNet's
// (wordnet.OpenDictionary).
type words map[string]bool

func (w words) Has(word string) bool { return w[word] }

func ExampleCheck() {
	dir, err := os.MkdirTemp("", "spag-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	store, err := episodes.Open(ctx, filepath.Join(dir, "spag.db"), episodes.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	run := &episodes.Run{ID: "r1", Game: "taboo", Judge: "strict@1", MaxTurns: 5, Total: 1,
		Players:  map[string]string{"attacker": "native", "defender": "builtin"},
		Subjects: []string{"river"}}
	if err := store.CreateRun(ctx, run); err != nil {
		log.Fatal(err)
	}
	err = store.Write(ctx, run.ID, game.Episode{Setup: game.Setup{Subject: "river"}, Turns: []game.Turn{
		{N: 1, Role: "attacker", Text: "It is water that flows to the compll."},
		{N: 2, Player: 1, Role: "defender", Text: "I know the word! It is a river."},
	}})
	if err == nil {
		err = store.Flush(ctx)
	}
	if err != nil {
		log.Fatal(err)
	}

	// The defender is a built-in player: only the attacker's words count.
	rep, err := realwords.Check(ctx, store, words{"water": true, "flows": true}, "", realwords.ModelRoles)
	if err != nil {
		log.Fatal(err)
	}
	if err := rep.WriteText(os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// run          r1  (1 episode)
	// players      attacker native, defender builtin
	// guesses      not counted (defender builtin)
	// clue words   3 content words, 66.7% real  (95% CI 20.8–93.9%)
	//   not real   compll 1
}
