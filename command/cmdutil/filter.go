package cmdutil

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players"
)

// KnownOutcomes are the verdict outcomes of every game this spag knows, in
// the games' order and each game's.
func KnownOutcomes() []string {
	var out []string
	for _, name := range game.Games.Names() {
		d, _ := game.Games.Lookup(name)
		for _, o := range d.Outcomes {
			if !slices.Contains(out, o.Name) {
				out = append(out, o.Name)
			}
		}
	}
	return out
}

// OutcomesHelp lists each game's outcomes for a flag's help:
// "apo: generator_wins, …; taboo: attacker_wins, …".
func OutcomesHelp() string {
	var parts []string
	for _, name := range game.Games.Names() {
		d, _ := game.Games.Lookup(name)
		names := make([]string, len(d.Outcomes))
		for i, o := range d.Outcomes {
			names[i] = o.Name
		}
		parts = append(parts, name+": "+strings.Join(names, ", "))
	}
	return strings.Join(parts, "; ")
}

// SubjectsHelp says what an episode's subject is in each game, for a
// flag's help: "query in APO, word in Adversarial Taboo".
func SubjectsHelp() string {
	var parts []string
	for _, name := range game.Games.Names() {
		d, _ := game.Games.Lookup(name)
		parts = append(parts, d.Subject+" in "+d.Title)
	}
	return strings.Join(parts, ", ")
}

// DescribeRun returns the description of the game a run played, or nil
// for a game this spag does not know.
func DescribeRun(run *episodes.Run) *game.Description {
	d, _ := game.Games.Lookup(game.NameOf(run.Game))
	return d
}

// GameTitle names the game a run played, for people.
func GameTitle(run *episodes.Run) string {
	if d := DescribeRun(run); d != nil {
		return d.Title
	}
	return game.NameOf(run.Game)
}

// CheckFilter applies the one rule every command that selects episodes
// follows: a --run that the database does not have, or an --outcome that
// no game has, is a usage error (exit 2), never an empty answer.
func CheckFilter(ctx context.Context, store *episodes.Store, f episodes.Filter) error {
	if f.RunID != "" {
		if _, err := store.Run(ctx, f.RunID); errors.Is(err, episodes.ErrNotFound) {
			return Usagef("--run %s: no such run in %s (%s)", f.RunID, store.Path(), ListRunsHint(store.Path()))
		} else if err != nil {
			return err
		}
	}
	if f.Outcome != "" {
		known := KnownOutcomes()
		if slices.Contains(known, f.Outcome) {
			return nil
		}
		return Usagef("--outcome %q: want one of %s", f.Outcome, strings.Join(known, ", "))
	}
	return nil
}

// MatchPlayer turns the --player spec of f into the names the store's runs
// recorded for that player, whatever their spelling (see
// players.Canonical): builtin,skill=0.9 finds runs of builtin:skill=0.9,
// native:m.ckpt those of native:/abs/m.ckpt. A spec no run recorded stays
// as typed, matching nothing or what Filter.Player matches.
func MatchPlayer(ctx context.Context, store *episodes.Store, f episodes.Filter) (episodes.Filter, error) {
	if f.Player == "" {
		return f, nil
	}
	runs, err := store.Runs(ctx)
	if err != nil {
		return f, err
	}
	want := players.Canonical(f.Player)
	seen := map[string]bool{}
	for _, r := range runs {
		for _, name := range r.Players {
			if seen[name] {
				continue
			}
			seen[name] = true
			if players.Canonical(name) == want {
				f.Players = append(f.Players, name)
			}
		}
	}
	if len(f.Players) > 0 {
		f.Player = ""
	}
	return f, nil
}
