package taboo

import "github.com/spag-go/spag/judge"

// spagOutcomes pairs the project's outcome names with the strings SPAG's
// files use.
var spagOutcomes = [...]struct{ ours, spag string }{
	{string(judge.AttackerWins), "attacker wins"},
	{string(judge.DefenderWins), "defender wins"},
	{string(judge.AttackerBrokeRules), "attacker breaks the rules"},
	{string(judge.Tie), "tied game"},
}

// SPAGOutcome returns the string SPAG's files use for an outcome name
// ("attacker_wins" gives "attacker wins"), or "" for an unknown name.
func SPAGOutcome(outcome string) string {
	for _, o := range spagOutcomes {
		if o.ours == outcome {
			return o.spag
		}
	}
	return ""
}

// OutcomeFromSPAG is the reverse of [SPAGOutcome]: "tied game" gives "tie".
// It returns "" for a string SPAG does not use.
func OutcomeFromSPAG(s string) string {
	for _, o := range spagOutcomes {
		if o.spag == s {
			return o.ours
		}
	}
	return ""
}
