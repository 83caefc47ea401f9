package episodes_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
)

// A run is created, its episodes go through the batched writer, and once
// Flush returns they can be queried.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "spag-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	committed := 0
	store, err := episodes.Open(ctx, filepath.Join(dir, "spag.db"), episodes.Options{
		OnCommit: func(eps []game.Episode) { committed += len(eps) }, // runs on the writer goroutine
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	run := &episodes.Run{
		Game: "taboo", Judge: "strict@1", MaxTurns: 5,
		Players:  map[string]string{"attacker": "scripted:hinter", "defender": "scripted:guesser"},
		Subjects: []string{"apple", "river"}, Total: 2,
	}
	if err := store.CreateRun(ctx, run); err != nil {
		log.Fatal(err)
	}
	for i, word := range run.Subjects {
		ep := game.Episode{
			Setup: game.Setup{Index: i, Subject: word},
			Turns: []game.Turn{
				{N: 1, Player: 0, Role: "attacker", Text: "It grows on trees."},
				{N: 2, Player: 1, Role: "defender", Text: "I know the word! It is " + word + "!"},
			},
			Verdict: game.Verdict{Outcome: "defender_wins", DecidedAt: 2, Rule: "defender.correct_guess", Judge: "strict@1"},
		}
		if err := store.Write(ctx, run.ID, ep); err != nil {
			log.Fatal(err)
		}
	}
	if err := store.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("committed:", committed)

	recs, err := store.Episodes(ctx, episodes.Filter{RunID: run.ID, Turns: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range recs {
		fmt.Printf("%d %s: %s at utterance %d of %d\n", r.Index, r.Subject, r.Verdict.Outcome, r.Verdict.DecidedAt, len(r.Turns))
	}
	// Output:
	// committed: 2
	// 0 apple: defender_wins at utterance 2 of 2
	// 1 river: defender_wins at utterance 2 of 2
}
