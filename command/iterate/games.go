package iteratecmd

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/loop"
)

// Game is a game's loop as spag iterate runs it: what --game takes, the
// game's part of the command's help, its own flags, and how it starts or
// resumes one of its loops. A game's command package registers it with
// [Games] from an init function, so that the command names no game.
type Game struct {
	// Name is what --game takes and what the game's loops record
	// ([loop.GameOf]).
	Name string
	// Usage describes the game in --game's help: "apo (APO's rounds)".
	Usage string
	// Long is the game's paragraph of the command's long help.
	Long string
	// Default marks the game --game defaults to; its loops recorded
	// before loops recorded their game are resumed as its own. One game
	// at most is the default.
	Default bool
	// Flags adds the game's own flags to fs (which the other games
	// refuse; another game may have a flag of the same name and type, see
	// [Options.Owners]) and returns the game's loops, which read them.
	Flags func(fs *pflag.FlagSet) Loops
	// History reads a stored loop's charts and tables for spag report
	// (the form of iterate.LoopHistory); nil for a game whose page the
	// report draws itself (Taboo's).
	History func(ctx context.Context, store *episodes.Store, loopID string) (eval.LoopCharts, error)
}

// Loops start and resume a game's loops. Their errors about what the
// user wrote are [cmdutil.UsageError]s naming the flag; a refused loop
// leaves no file and records nothing.
type Loops interface {
	// Start checks the options and the game's flags, then records and
	// leases a new loop.
	Start(ctx context.Context, opts *Options, env loop.Env) (Loop, error)
	// Resume takes up the recorded loop rec, with its recorded
	// configuration.
	Resume(ctx context.Context, opts *Options, env loop.Env, rec *episodes.Loop) (Loop, error)
}

// Loop is a loop taken up by this process; Close releases its lease.
type Loop interface {
	ID() string
	// Run runs its rounds from where it stands to the end.
	Run(ctx context.Context) error
	Close() error
	// Summary is what spag iterate prints of the finished loop, whose
	// database is db.
	Summary(ctx context.Context, db string) (*Summary, error)
	// Final are the errors a resume would not mend: the command returns
	// them as they are, without the command that resumes the loop.
	Final() []error
}

// Summary is what spag iterate prints of a finished loop: the line of
// its log that says where its files are, its evaluation's results, and
// what follows their table (nil: nothing).
type Summary struct {
	Done    string
	Results []eval.RoundResult
	More    func(w io.Writer) error
	// Rounds, when not nil, are the game's own numbers per round, which
	// --json lists as "rounds" (a measure that is no win rate).
	Rounds any
}

// Registry holds the games whose loops spag iterate runs.
type Registry struct {
	mu    sync.Mutex
	games map[string]Game
}

// Games is the registry the games' command packages register with.
var Games Registry

// Register adds g. It panics when g's name is registered twice, when a
// second game is the default, or when g has no flags function, which
// are programming errors.
func (r *Registry) Register(g Game) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if g.Name == "" || g.Flags == nil {
		panic("iteratecmd: Register of a game without a name or flags")
	}
	if _, dup := r.games[g.Name]; dup {
		panic(fmt.Sprintf("iteratecmd: game %q registered twice", g.Name))
	}
	for _, o := range r.games {
		if g.Default && o.Default {
			panic(fmt.Sprintf("iteratecmd: games %q and %q are both the default", o.Name, g.Name))
		}
	}
	if r.games == nil {
		r.games = map[string]Game{}
	}
	r.games[g.Name] = g
}

// List returns the registered games, the default first, then by name.
func (r *Registry) List() []Game {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Game
	for _, name := range slices.Sorted(maps.Keys(r.games)) {
		if g := r.games[name]; g.Default {
			out = append([]Game{g}, out...)
		} else {
			out = append(out, g)
		}
	}
	return out
}

// names lists the games' names as a help text does: "a, b or c".
func names(games []Game, describe func(Game) string) string {
	s := make([]string, len(games))
	for i, g := range games {
		s[i] = describe(g)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
