package scripted_test

import (
	"context"
	"fmt"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players/scripted"
)

// Example plays one game of Adversarial Taboo between the scripted players,
// judging each utterance as it is said.
func Example() {
	lex, err := scripted.LoadLexicon()
	if err != nil {
		fmt.Println(err)
		return
	}
	j := judge.NewStrict()
	players := map[string]game.Player{
		judge.Attacker: scripted.NewAttacker(lex, j, scripted.DefaultSkill),
		judge.Defender: scripted.NewDefender(lex, scripted.DefaultSkill),
	}
	const target, maxTurns = "dog", 5
	ep := j.Start(target, maxTurns)
	var transcript []game.Message
	for n := 1; ; n++ {
		role := judge.Attacker
		if n%2 == 0 {
			role = judge.Defender
		}
		req := game.Request{Seed: uint64(n)}
		req.Role, req.Turn, req.MaxUtterances, req.Transcript = role, n, 2*maxTurns, transcript
		if role == judge.Attacker {
			req.Secret = target
		}
		reply, err := players[role].Play(context.Background(), req)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %s\n", role, reply.Text)
		transcript = append(transcript, game.Message{Role: role, Content: reply.Text})
		if v, over := ep.Next(judge.Utterance{Role: role, Text: reply.Text}); over {
			fmt.Println(v.Outcome)
			return
		}
	}
	// Output:
	// attacker: Let's begin. One part of it is a flag.
	// defender: I'm not sure yet. What else can you tell me about it?
	// attacker: Hmm, let me put it differently. One kind of it is a pooch.
	// defender: I'm not sure yet. What else can you tell me about it?
	// attacker: Try this instead. Think of a particular sort of canine.
	// defender: Where would I usually come across it?
	// attacker: Here is another clue. Which things would you find as part of a Canis?
	// defender: I know the word! It is dog!
	// defender_wins
}
