package kuhn

import "github.com/spag-go/spag/game"

// Description is what Kuhn Poker says about itself (see
// [game.Description]); importing this package registers it in
// [game.Games]. Outcomes are listed from the first player's best to its
// worst; a forfeit is a rule break that costs 1 chip.
var Description = &game.Description{
	Name:       Name,
	Title:      "Kuhn Poker",
	Subject:    "deal",
	Roles:      []string{First, Second},
	RoleLabels: map[string]string{First: "first player", Second: "second player"},
	RoleGoals: map[string]string{
		First:  "win chips: you act first; answer check or bet, and fold or call if the second player bets",
		Second: "win chips: answer check or bet after a check, fold or call after a bet",
	},
	Outcomes: []game.Outcome{
		{Name: FirstWins2, Label: "first +2", Winner: First, Loser: Second},
		{Name: FirstWins1, Label: "first +1", Winner: First, Loser: Second},
		{Name: SecondForfeits, Label: "second broke", Winner: First, Loser: Second, RuleBreak: true},
		{Name: SecondWins1, Label: "second +1", Winner: Second, Loser: First},
		{Name: SecondWins2, Label: "second +2", Winner: Second, Loser: First},
		{Name: FirstForfeits, Label: "first broke", Winner: Second, Loser: First, RuleBreak: true},
	},
	RuleRates: []game.RuleRate{{Name: "showdown", Label: "showdowns", Rules: []string{RuleShowdown}}},
	Rebuild:   Rebuild,
}

func init() { game.Games.Register(Description) }
