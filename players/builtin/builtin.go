// Package builtin is the "builtin" player backend: each game's built-in
// players, which need no model. The backend knows no game: a game adds its
// built-in players with [Register] from a package of its own (as
// database/sql drivers register themselves), and the backend finds them by
// the game a player is opened for. Importing such a package registers the
// backend too, so a program offers "builtin" for exactly the games whose
// built-in players it links.
//
// Every built-in player takes at most one option, skill=0..1: how well it
// plays. The backend parses and checks it, so that every game's players
// accept and refuse the same values with the same words.
package builtin

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players"
)

func init() { players.Register("builtin", backend{}) }

// Players is one game's built-in players. Implementations must be safe for
// concurrent use.
type Players interface {
	// Help names the roles that have a built-in player, for the backend's
	// help: "Taboo's attacker and defender".
	Help() string
	// Skilled reports whether the built-in player of role takes a skill;
	// a role whose player takes none refuses the option.
	Skilled(role string) bool
	// DefaultSkill is the skill of a player opened without the option.
	DefaultSkill() float64
	// Open makes the built-in player of env.Role with skill, a number in
	// [0, 1]. A role without a built-in player is an error.
	Open(ctx context.Context, env players.Env, skill float64) (game.Player, error)
}

var (
	mu    sync.RWMutex
	games = map[string]Players{}
)

// Register makes p the built-in players of the game called name, as
// [players.Env.Game] names it. It is meant for a game's init, and panics
// when name is taken or p is nil: both are programming errors.
func Register(name string, p Players) {
	mu.Lock()
	defer mu.Unlock()
	if p == nil {
		panic("builtin: Register of nil players for game " + name)
	}
	if _, dup := games[name]; dup {
		panic("builtin: Register called twice for game " + name)
	}
	games[name] = p
}

func lookup(name string) (Players, bool) {
	mu.RLock()
	defer mu.RUnlock()
	p, ok := games[name]
	return p, ok
}

// NoPlayer is the error for a role of a game that has no built-in player.
func NoPlayer(env players.Env) error {
	return fmt.Errorf("no built-in player for role %q of game %q", env.Role, env.Game)
}

// backend is the "builtin" player backend.
type backend struct{}

// Help lists the registered games' built-in players, by game name.
func (backend) Help() string {
	mu.RLock()
	names := slices.Sorted(maps.Keys(games))
	roles := make([]string, len(names))
	for i, n := range names {
		roles[i] = games[n].Help()
	}
	mu.RUnlock()
	return "built-in players needing no model; option skill=0..1 (" + strings.Join(roles, ", ") + ")"
}

// Keys is skill for every role but those whose player takes none. A game
// without built-in players takes none either: Open names the missing game.
func (backend) Keys(env players.Env) []string {
	if p, ok := lookup(env.Game); !ok || !p.Skilled(env.Role) {
		return nil
	}
	return []string{"skill"}
}

// Resolve accepts builtin:skill=0.8, the form older runs recorded, as
// builtin,skill=0.8: builtin takes no ARG, so reading it as options is
// unambiguous. The recorded name stays the spec as written.
func (backend) Resolve(spec players.Spec) (players.Spec, string, error) {
	if spec.Arg == "" {
		return spec, spec.Text(), nil
	}
	opts, err := players.Parse("builtin," + spec.Arg)
	if err != nil {
		return players.Spec{}, "", players.Usagef("builtin takes no argument, only options: builtin,skill=0.7")
	}
	resolved := spec
	resolved.Arg = ""
	resolved.Options = map[string]string{}
	for k, v := range spec.Options {
		resolved.Options[k] = v
	}
	for k, v := range opts.Options {
		if _, dup := resolved.Options[k]; dup {
			return players.Spec{}, "", players.Usagef("option %s is given twice", k)
		}
		resolved.Options[k] = v
	}
	return resolved, spec.Text(), nil
}

func (b backend) Open(ctx context.Context, spec players.Spec, env players.Env) (game.Player, error) {
	if spec.Arg != "" {
		return nil, players.Usagef("builtin takes no argument, only options: builtin,skill=0.7")
	}
	p, ok := lookup(env.Game)
	if !ok {
		return nil, NoPlayer(env)
	}
	skill := p.DefaultSkill()
	for k, v := range spec.Options {
		if k != "skill" || !p.Skilled(env.Role) {
			return nil, players.Usagef("unknown option %q for the built-in %s (it takes %s)", k, env.Role, takes(len(b.Keys(env)) > 0))
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
			return nil, players.Usagef("skill must be a number from 0 to 1, got %q", v)
		}
		skill = f
	}
	return p.Open(ctx, env, skill)
}

func takes(skilled bool) string {
	if !skilled {
		return "no options"
	}
	return "skill=0..1"
}
