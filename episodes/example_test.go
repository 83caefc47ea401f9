package episodes_test

import (
	"context"
	"errors"
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

// A process takes a run's lease before playing it; a second player of the
// same run is told who holds it.
func ExampleStore_AcquireRun() {
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
	run := &episodes.Run{Game: "taboo", Judge: "strict@1", Total: 1}
	if err := store.CreateRun(ctx, run); err != nil {
		log.Fatal(err)
	}

	release, err := store.AcquireRun(ctx, run.ID)
	if err != nil {
		log.Fatal(err)
	}
	_, err = store.AcquireRun(ctx, run.ID)
	var busy *episodes.RunBusyError
	fmt.Println("second player refused:", errors.As(err, &busy), busy.PID == os.Getpid())
	release()
	_, err = store.AcquireRun(ctx, run.ID)
	fmt.Println("after release:", err)
	// Output:
	// second player refused: true true
	// after release: <nil>
}

// Two shards of one run, played on two machines into two databases,
// become one run.
func ExampleStore_Merge() {
	dir, err := os.MkdirTemp("", "spag-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	words := []string{"apple", "river", "cloud", "stone"}
	var shards []string
	for i, shard := range []string{"0/2", "1/2"} {
		path := filepath.Join(dir, fmt.Sprintf("shard%d.db", i))
		s, err := episodes.Open(ctx, path, episodes.Options{})
		if err != nil {
			log.Fatal(err)
		}
		run := &episodes.Run{Game: "taboo", Judge: "strict@1", Seed: 1, Subjects: words, Shard: shard, Total: 2}
		if err := s.CreateRun(ctx, run); err != nil {
			log.Fatal(err)
		}
		for idx := i; idx < len(words); idx += 2 {
			ep := game.Episode{Setup: game.Setup{Index: idx, Subject: words[idx]},
				Verdict: game.Verdict{Outcome: "tie", DecidedAt: 10, Rule: "max_turns", Judge: "strict@1"}}
			if err := s.Write(ctx, run.ID, ep); err != nil {
				log.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			log.Fatal(err)
		}
		shards = append(shards, path)
	}

	all, err := episodes.Open(ctx, filepath.Join(dir, "all.db"), episodes.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer all.Close()
	rep, err := all.Merge(ctx, shards)
	if err != nil {
		log.Fatal(err)
	}
	st, err := all.Stats(ctx, rep.Runs[0].ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("runs:", len(rep.Runs), "shards:", rep.Runs[0].Shards, "episodes:", st.Episodes)
	// Output:
	// runs: 1 shards: [0/2 1/2] episodes: 4
}
