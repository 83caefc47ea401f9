package taboo

import (
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
)

// Description is what Adversarial Taboo says about itself (see
// [game.Description]); importing this package registers it in [game.Games].
var Description = &game.Description{
	Name:    Name,
	Title:   "Adversarial Taboo",
	Subject: "word",
	Roles:   []string{judge.Attacker, judge.Defender},
	RoleGoals: map[string]string{
		judge.Attacker: "Make the defender say the word without saying it yourself.",
		judge.Defender: "Guess once with: I know the word! It is <word>!  Don't say it otherwise.",
	},
	Outcomes: []game.Outcome{
		{Name: string(judge.AttackerWins), Label: "attacker", Winner: judge.Attacker, Loser: judge.Defender},
		{Name: string(judge.DefenderWins), Label: "defender", Winner: judge.Defender, Loser: judge.Attacker},
		{Name: string(judge.Tie), Label: "tie"},
		{Name: string(judge.AttackerBrokeRules), Label: "broke", Winner: judge.Defender, Loser: judge.Attacker, RuleBreak: true},
	},
	RuleRates: []game.RuleRate{
		{Name: "guess", Label: "guesses", Rules: []string{judge.RuleDefenderCorrectGuess, judge.RuleDefenderWrongGuess}},
	},
	Rebuild:       func(s string) (game.Game, error) { return Parse(s) },
	SecondOpinion: SecondOpinion,
}

func init() { game.Games.Register(Description) }
