// Package playrun is what spag's play commands share, whatever the game:
// the flags every run has ([Flags]); the games' registrations that they
// dispatch through ([Games]: the command that plays a game, its own flags,
// its arena's); the play command itself ([NewCmd] and [Run]: spag
// selfplay, and a game's own such as spag apo); resuming a stored run;
// playing a plan with progress lines or the terminal UI; and how a run
// ends (the summary, the exit status, the command that resumes it).
//
// It names no game: a game comes to it by registration (see package
// game's "Adding a game").
package playrun

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/selfplay"
)

// A Game is what a game registers so that spag's play commands play and
// resume its runs: the command that plays it, and its own flags. The
// game's command package registers it from an init function (see
// [Register]), beside its description in game.Games.
type Game struct {
	// Name is the game's name, as game.Games knows it.
	Name string
	// Command is the spag command that plays the game's runs and resumes
	// them: "selfplay", whose --game chooses among the games that name
	// it, or a command of the game's own built with [NewCmd].
	Command string
	// Default marks the game that Command plays without --game; one game
	// of a command at most.
	Default bool
	// Flags adds the game's own flags (its players by role, its subjects,
	// its rules) to fs and returns what reads them once they are parsed.
	// It is called once per command built; a flag that several games of
	// one command share is shown with the first game's help and default.
	Flags func(fs *pflag.FlagSet) Settings
	// Arena, when not nil, adds the game's own flags of spag arena to fs
	// and returns what reads them; without it the arena does not play the
	// game. The arena's players, games per pairing and the flags of
	// [Flags] are the arena's own.
	Arena func(fs *pflag.FlagSet) ArenaSettings
}

// ArenaSettings read a game's own flags of spag arena after parsing.
type ArenaSettings interface {
	// New checks the flags and makes the configuration that every
	// pairing of a new arena of a against b shares, games games each.
	New(changed func(flag string) bool, common *Flags, games int, a, b string) (ArenaConfig, error)
	// Stored returns the configuration that one of a stored arena's runs
	// recorded, for --resume.
	Stored(run *episodes.Run) (ArenaConfig, error)
}

// ArenaConfig is the configuration that the pairings of an arena share.
type ArenaConfig interface {
	// Players are the specs that play the roles, in the game's order.
	Players() []string
	// Plan makes the plan of one pairing (players in role order; run is
	// its stored run when resuming, else nil); all are the arena's two
	// players, who share its --option settings.
	Plan(ctx context.Context, players, all []string, run *episodes.Run) (*selfplay.Plan, error)
}

// Settings read a game's own flags after parsing, for one command line.
type Settings interface {
	// New checks the flags and makes the configuration of a new run
	// (changed: whether the user gave a flag). Errors about what the user
	// wrote are usage errors, or errors that cmdutil.CLIError makes them.
	New(changed func(flag string) bool, common *Flags) (Config, error)
	// Stored returns the configuration that run recorded, for --resume.
	Stored(run *episodes.Run) (Config, error)
}

// Config is the configuration of one run of a game.
type Config interface {
	// Plan makes the plan that plays the run: run is the stored run when
	// resuming, nil for a new one.
	Plan(ctx context.Context, run *episodes.Run) (*selfplay.Plan, error)
	// Describe says in a few words who plays and how, for the line that
	// starts the run: "builtin vs native, judge strict".
	Describe() string
}

// A Registry holds the games' play registrations. The zero value is
// empty and ready to use; it is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	games map[string]Game
}

// Games is the registry the games' command packages register with, as
// they register their descriptions with game.Games.
var Games Registry

// Register adds a game's play registration. Registering a name twice, or
// a game without a name, command or flags, is a programming error and
// panics.
func (r *Registry) Register(g Game) {
	if g.Name == "" || g.Command == "" || g.Flags == nil {
		panic(fmt.Sprintf("playrun: Register of an incomplete game %q (command %q)", g.Name, g.Command))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.games[g.Name]; dup {
		panic("playrun: game " + g.Name + " registered twice")
	}
	if r.games == nil {
		r.games = map[string]Game{}
	}
	r.games[g.Name] = g
}

// Of lists the games that command plays, the default first, then by
// name.
func (r *Registry) Of(command string) []Game {
	return r.filter(func(g Game) bool { return g.Command == command })
}

// Arenas lists the games that spag arena plays, in the order of [Registry.Of].
func (r *Registry) Arenas() []Game {
	return r.filter(func(g Game) bool { return g.Arena != nil })
}

func (r *Registry) filter(keep func(Game) bool) []Game {
	r.mu.RLock()
	var out []Game
	for _, g := range r.games {
		if keep(g) {
			out = append(out, g)
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b Game) int {
		if a.Default != b.Default {
			if a.Default {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// CommandOf is the command line, after "spag", that plays and resumes
// runs of the named game: its command, with --game unless it is the
// command's default game. A game nobody registered is named as its own
// command.
func (r *Registry) CommandOf(name string) string {
	r.mu.RLock()
	g, ok := r.games[name]
	r.mu.RUnlock()
	switch {
	case !ok:
		return name
	case g.Default:
		return g.Command
	}
	return g.Command + " --game " + name
}
