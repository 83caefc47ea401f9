package playrun

import (
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
)

// Flags are the flags every command that plays runs has (selfplay, a
// game's own play command, arena), whatever the game.
type Flags struct {
	Concurrency int
	Seed        uint64
	DB          string
	Resume      string
	JSON        bool
	TUI         bool
	TurnTimeout time.Duration
	Options     []string
}

// Register adds the flags to fl; seedHelp says what the seed decides.
func (r *Flags) Register(fl *pflag.FlagSet, seedHelp string) {
	fl.IntVar(&r.Concurrency, "concurrency", 0, "games in flight at once (default: the model players' parallel slots together, at least 8)")
	fl.Uint64Var(&r.Seed, "seed", 1, seedHelp)
	fl.StringVar(&r.DB, "db", "spag.db", "SQLite database to store the run in")
	fl.StringVar(&r.Resume, "resume", "", "resume run ID: play only its missing or errored episodes")
	fl.BoolVar(&r.JSON, "json", false, "print the final summary as JSON")
	fl.BoolVar(&r.TUI, "tui", false, "watch the run live in the terminal UI (q stops it like a first Ctrl-C)")
	fl.DurationVar(&r.TurnTimeout, "turn-timeout", 2*time.Minute, "limit for one player turn (0: none)")
	fl.StringArrayVar(&r.Options, "option", nil, "setting key=value for every player whose backend takes the key (its spec's own options win; a key no player takes is an error), repeatable: --option temperature=0.7 (native, ollama and openai players take it; num_ctx is for ollama only; docs/players.md lists the keys of each backend)")
}

// resumeKeeps are the flags that --resume takes besides itself: how the
// run is played, never what it plays (the stored configuration decides
// that), and the game whose run it is.
var resumeKeeps = []string{"db", "resume", "concurrency", "json", "turn-timeout", "tui", "game"}

// Check refuses flags that cannot work: no concurrency, --tui without a
// terminal, settings that --resume would ignore. set lists the flags the
// user gave (see [SetFlags]).
func (r *Flags) Check(set []string, io *cmdutil.IOStreams) error {
	if slices.Contains(set, "concurrency") && r.Concurrency < 1 {
		return cmdutil.Usagef("--concurrency must be at least 1 (got %d)", r.Concurrency)
	}
	if r.TurnTimeout < 0 {
		return cmdutil.Usagef("--turn-timeout must be 0 (no limit) or positive (got %s)", r.TurnTimeout)
	}
	if r.TUI && !io.IsStdoutTTY() {
		return cmdutil.Usagef("--tui needs a terminal (stdout is not one); drop it to print progress to stderr")
	}
	if r.Resume != "" {
		var bad []string
		for _, name := range set {
			if !slices.Contains(resumeKeeps, name) {
				bad = append(bad, "--"+name)
			}
		}
		if len(bad) > 0 {
			return cmdutil.Usagef("--resume replays the stored configuration of the run; drop %s", strings.Join(bad, ", "))
		}
	}
	return nil
}

// SetFlags lists the flags of fl the user gave, in the order pflag visits
// them (sorted by name).
func SetFlags(fl *pflag.FlagSet) []string {
	var set []string
	fl.Visit(func(f *pflag.Flag) { set = append(set, f.Name) })
	return set
}
