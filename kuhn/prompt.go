package kuhn

import (
	"fmt"
	"strings"

	"github.com/spag-go/spag/game"
)

// systemPrompt states the rules; it names every card, so it holds no
// player's secret (the sentence "Your card is the King.").
const systemPrompt = `You are playing Kuhn Poker against one opponent. The deck has three cards: Jack, Queen and King (King is highest). Each player puts 1 chip in the pot and gets one card; the third card is not used. The first player checks or bets 1 chip. After a check the second player checks (the higher card wins the pot) or bets 1 chip, and then the first player folds or calls. After a bet the other player folds (and loses the pot) or calls (the higher card wins the pot). Answer with your move only: one word.`

// userPrompt is the turn's message: %s the seat, the betting so far, the
// legal moves, the card sentence and the card again. The message ends
// with the card ("Your move with the King:"): a small model then sees it
// at the very position whose next token is the move, without having to
// find it further back.
const userPrompt = "You are the %s player.\nBetting so far: %s.\nYour legal moves: %s.\n%s\nYour move with the %s:"

// Prompt renders a player's turn: the rules, then its seat, its card, the
// betting so far and its legal moves. It renders finished hands too
// (the moves shown as they were read, an answer that was no legal move
// quoted).
func (Game) Prompt(o game.Observation) (game.Prompt, error) {
	seat := "first"
	if o.Player == 1 {
		seat = "second"
	}
	var said []string
	var moves []Move
	legalSoFar := true
	for i, m := range o.Transcript {
		who := "your opponent"
		if i%2 == o.Player {
			who = "you"
		}
		pm, err := ParseMove(m.Content)
		if legalSoFar && err == nil && contains(Legal(moves), pm.Move) {
			moves = append(moves, pm.Move)
			said = append(said, who+" "+past(pm.Move))
			continue
		}
		legalSoFar = false
		said = append(said, fmt.Sprintf("%s answered %q, which is not a legal move", who, m.Content))
	}
	history := "nothing yet"
	if len(said) > 0 {
		history = strings.Join(said, ", then ")
	}
	legal := "none, the hand is over"
	if l := Legal(moves); legalSoFar && len(l) > 0 {
		legal = l[0].String() + " or " + l[1].String()
	}
	return game.Prompt{Messages: []game.Message{
		{Role: "system", Content: systemPrompt},
		{Role: "user", Content: fmt.Sprintf(userPrompt, seat, history, legal, o.Secret, cardName(o))},
	}}, nil
}

// past is a move in the past tense, as the betting so far tells it.
func past(m Move) string {
	switch m {
	case Check:
		return "checked"
	case Bet:
		return "bet"
	case Call:
		return "called"
	}
	return "folded"
}

// cardName is the card of the player an observation tells it, "card" when
// it tells none.
func cardName(o game.Observation) string {
	if c, err := CardOf(o); err == nil {
		return c.String()
	}
	return "card"
}
