package main

import (
	"context"
	"errors"
	"strings"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/judge"
)

// knownOutcomes are the verdict outcomes of both games, in the order help
// texts list them.
var knownOutcomes = []string{
	string(judge.AttackerWins), string(judge.DefenderWins), string(judge.AttackerBrokeRules), string(judge.Tie),
	apo.GeneratorWins, apo.RewardModelWins, apo.RewardModelBrokeRules,
}

// checkFilter applies the one rule every command that selects episodes
// follows: a --run that the database does not have, or an --outcome that
// no game has, is a usage error (exit 2), never an empty answer.
func checkFilter(ctx context.Context, store *episodes.Store, f episodes.Filter) error {
	if f.RunID != "" {
		if _, err := store.Run(ctx, f.RunID); errors.Is(err, episodes.ErrNotFound) {
			return usagef("--run %s: no such run in %s (spag stats --all --db %s lists runs)", f.RunID, store.Path(), store.Path())
		} else if err != nil {
			return err
		}
	}
	if f.Outcome != "" {
		for _, o := range knownOutcomes {
			if f.Outcome == o {
				return nil
			}
		}
		return usagef("--outcome %q: want one of %s", f.Outcome, strings.Join(knownOutcomes, ", "))
	}
	return nil
}
