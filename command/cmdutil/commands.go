package cmdutil

import (
	"fmt"
	"slices"
	"sync"

	"github.com/spf13/cobra"
)

// CommandRegistry holds the subcommands that games contribute to spag
// (`spag apo`, a game's own analyses), so that a game adds a command by
// registration, as it adds itself to game.Games, and cmd/spag names no
// game: it adds whatever is registered.
type CommandRegistry struct {
	mu   sync.Mutex
	cmds map[string]func(*Factory) *cobra.Command
}

// GameCommands is the registry the games' command packages register with
// from their init functions, as database/sql's drivers do.
var GameCommands CommandRegistry

// Register adds the constructor of the subcommand called name. It panics
// when name is registered twice, which is a programming error.
func (r *CommandRegistry) Register(name string, newCmd func(*Factory) *cobra.Command) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if newCmd == nil {
		panic("cmdutil: Register of a nil command " + name)
	}
	if _, dup := r.cmds[name]; dup {
		panic(fmt.Sprintf("cmdutil: command %q registered twice", name))
	}
	if r.cmds == nil {
		r.cmds = map[string]func(*Factory) *cobra.Command{}
	}
	r.cmds[name] = newCmd
}

// Commands builds every registered command with f, in name order.
func (r *CommandRegistry) Commands(f *Factory) []*cobra.Command {
	r.mu.Lock()
	names := make([]string, 0, len(r.cmds))
	for name := range r.cmds {
		names = append(names, name)
	}
	ctors := make(map[string]func(*Factory) *cobra.Command, len(r.cmds))
	for name, c := range r.cmds {
		ctors[name] = c
	}
	r.mu.Unlock()
	slices.Sort(names)
	out := make([]*cobra.Command, len(names))
	for i, name := range names {
		out[i] = ctors[name](f)
	}
	return out
}
