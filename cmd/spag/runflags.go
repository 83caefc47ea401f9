package main

import (
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/internal/version"
)

// runFlags are the flags every play command (selfplay, apo) has.
type runFlags struct {
	concurrency int
	seed        uint64
	db          string
	resume      string
	jsonOut     bool
	tui         bool
	turnTimeout time.Duration
	options     []string
}

func (r *runFlags) register(fl *pflag.FlagSet, seedHelp string) {
	fl.IntVar(&r.concurrency, "concurrency", 0, "games in flight at once (default: the model players' parallel slots together, at least 8)")
	fl.Uint64Var(&r.seed, "seed", 1, seedHelp)
	fl.StringVar(&r.db, "db", "spag.db", "SQLite database to store the run in")
	fl.StringVar(&r.resume, "resume", "", "resume run ID: play only its missing or errored episodes")
	fl.BoolVar(&r.jsonOut, "json", false, "print the final summary as JSON")
	fl.BoolVar(&r.tui, "tui", false, "watch the run live in the terminal UI (q stops it like a first Ctrl-C)")
	fl.DurationVar(&r.turnTimeout, "turn-timeout", 2*time.Minute, "limit for one player turn (0: none)")
	fl.StringArrayVar(&r.options, "option", nil, "setting key=value for every player whose backend takes the key (its spec's own options win; a key no player takes is an error), repeatable: --option temperature=0.7 (native, ollama and openai players take it; num_ctx is for ollama only; docs/players.md lists the keys of each backend)")
}

// check refuses shared flags that cannot work: no concurrency, --tui
// without a terminal, settings that --resume would ignore.
func (r *runFlags) check(cmd *cobra.Command) error {
	if cmd.Flags().Changed("concurrency") && r.concurrency < 1 {
		return usagef("--concurrency must be at least 1 (got %d)", r.concurrency)
	}
	if r.turnTimeout < 0 {
		return usagef("--turn-timeout must be 0 (no limit) or positive (got %s)", r.turnTimeout)
	}
	if r.tui && !isTerminal(cmd.OutOrStdout()) {
		return usagef("--tui needs a terminal (stdout is not one); drop it to print progress to stderr")
	}
	if r.resume != "" {
		if bad := conflictingWithResume(cmd); len(bad) > 0 {
			return usagef("--resume replays the stored configuration of the run; drop %s", strings.Join(bad, ", "))
		}
	}
	return nil
}

// codeVersion is what runs record as the code that played them (see
// internal/version) and the Go version.
func codeVersion() (code, goVersion string) {
	return version.Code(), runtime.Version()
}

// conflictingWithResume lists the flags the user set that --resume would
// ignore, since a resumed run keeps its stored configuration.
func conflictingWithResume(cmd *cobra.Command) []string {
	allowed := map[string]bool{"db": true, "resume": true, "concurrency": true, "json": true, "turn-timeout": true, "tui": true}
	var bad []string
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if !allowed[fl.Name] {
			bad = append(bad, "--"+fl.Name)
		}
	})
	return bad
}

// isTerminal is cmdutil.IsTerminal, the one place spag decides it.
func isTerminal(w io.Writer) bool { return cmdutil.IsTerminal(w) }
