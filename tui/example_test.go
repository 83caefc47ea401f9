package tui_test

import (
	"fmt"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/tui"
)

func ExampleEpisodeMarkdown() {
	rec := &episodes.Record{ID: 42, RunID: "r1", Episode: game.Episode{
		Setup: game.Setup{Index: 0, Subject: "cat"},
		Turns: []game.Turn{
			{N: 1, Role: "attacker", Text: "It purrs.\x1b[2J"},
			{N: 2, Role: "defender", Text: "I know the word! It is cat!"},
		},
	}}
	v := game.Verdict{Outcome: "defender_wins", DecidedAt: 2, Rule: "defender.correct_guess", Judge: "strict@1",
		Evidence: game.Evidence{Turn: 2, Start: 0, End: 26, Text: "I know the word! It is cat"}}
	fmt.Print(tui.EpisodeMarkdown(taboo.Description, rec, v, nil))
	// Output:
	// # Episode 42
	//
	// - run: `r1`, index 0
	// - word: ` cat `
	//
	// ## Turns
	//
	// 1. **attacker**: ` It purrs.␛[2J `
	// 2. **defender**: ` I know the word! It is cat! `
	//
	// ## Verdict
	//
	// - strict@1: **defender_wins** at utterance 2, rule `defender.correct_guess`; evidence in utterance 2, bytes 0–26: ` I know the word! It is cat `
}
