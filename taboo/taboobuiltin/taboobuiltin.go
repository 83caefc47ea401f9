// Package taboobuiltin registers Taboo's built-in players, the lexicon
// players of package players/scripted, with the "builtin" player backend
// (package players/builtin). A program that offers builtin for Taboo
// imports it for its side effect.
package taboobuiltin

import (
	"context"
	"fmt"
	"sync"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/builtin"
	"github.com/spag-go/spag/players/scripted"
	"github.com/spag-go/spag/taboo"
)

func init() {
	builtin.Register(taboo.Name, tabooPlayers{lexicon: sync.OnceValues(scripted.LoadLexicon)})
}

// tabooPlayers are the built-in attacker and defender.
type tabooPlayers struct {
	// lexicon is parsed on first use only, so that runs without built-in
	// players never pay for it; it is immutable once loaded.
	lexicon func() (*scripted.Lexicon, error)
}

func (tabooPlayers) Help() string { return "Taboo's attacker and defender" }

// Skilled is true for every role: a role without a player is refused by
// Open, whatever its options.
func (tabooPlayers) Skilled(string) bool { return true }

func (tabooPlayers) DefaultSkill() float64 { return scripted.DefaultSkill }

func (p tabooPlayers) Open(ctx context.Context, env players.Env, skill float64) (game.Player, error) {
	if env.Role != judge.Attacker && env.Role != judge.Defender {
		return nil, builtin.NoPlayer(env)
	}
	l, err := p.lexicon()
	if err != nil {
		return nil, fmt.Errorf("load built-in lexicon: %w", err)
	}
	if env.Role == judge.Attacker {
		if env.Judge == nil {
			return nil, fmt.Errorf("the built-in attacker needs the game's judge")
		}
		return scripted.NewAttacker(l, env.Judge, skill), nil
	}
	return scripted.NewDefender(l, skill), nil
}
