package apo

import "github.com/spag-go/spag/game"

// Description is what the APO game says about itself (see
// [game.Description]); importing this package registers it in [game.Games].
// An APO game cannot be rebuilt from its string alone: the string names its
// items by digest.
var Description = &game.Description{
	Name:       Name,
	Title:      "APO",
	Subject:    "query",
	Roles:      []string{Generator, RewardModel},
	RoleLabels: map[string]string{RewardModel: "reward model"},
	Outcomes: []game.Outcome{
		{Name: GeneratorWins, Label: "generator", Winner: Generator, Loser: RewardModel},
		{Name: RewardModelWins, Label: "gold", Winner: RewardModel, Loser: Generator},
		{Name: Tie, Label: "tie"},
		{Name: RewardModelBrokeRules, Label: "broke", Winner: Generator, Loser: RewardModel, RuleBreak: true},
	},
}

func init() { game.Games.Register(Description) }
