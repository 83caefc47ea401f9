// Package iteratecmd is `spag iterate`: a game's loop of rounds (play,
// data, training, evaluation, plots), started or resumed. The command
// owns what every game's loop shares (the database, resuming a recorded
// loop of any game, the shared flags, the interrupt, the results table
// and JSON); each game registers its loop with [Games] (its flags, its
// help, how to start and resume it), so that `spag iterate --game X`
// runs any game that registers one and this package names none.
package iteratecmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/internal/version"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/selfplay"
)

// Options are every input of spag iterate: the flags every game's loop
// takes, and (in Loops) each game's own, read by its loops.
type Options struct {
	IO         *cmdutil.IOStreams
	Interrupts cmdutil.Interrupts
	// Changed reports whether the user gave the flag called name; Given
	// are the flags given, in name order.
	Changed func(name string) bool
	Given   []string

	Game, DB, Resume, Out, CodeVersion string
	Rounds, Concurrency                int
	Seed                               uint64
	TurnTimeout                        time.Duration
	Options                            []string
	JSON, TUI                          bool

	// Loops are the registered games' loops by name; Owners names the
	// games of each game's own flag (several when games share its name,
	// each with its own value and default), which the other games
	// refuse; a flag every game takes has none.
	Loops  map[string]Loops
	Owners map[string][]string
	// flags are each game's own flags, as its Flags function defined
	// them, and values the command's flags the user gave: a flag that
	// games share is parsed into the first game's value, then given to
	// the game that runs ([Options.deliver]).
	flags  map[string]*pflag.FlagSet
	values map[string]pflag.Value
	// Default is the game of loops that record none.
	Default string
}

// NewCmdIterate returns the command, with the flags of every game in
// [Games]. It only parses flags into [Options]; runF does the work (nil:
// [Run]).
func NewCmdIterate(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Interrupts: f.Interrupts, CodeVersion: version.Code(),
		Loops: map[string]Loops{}, Owners: map[string][]string{}, flags: map[string]*pflag.FlagSet{}}
	games := Games.List()
	var long []string
	for _, g := range games {
		long = append(long, g.Long)
		if g.Default {
			opts.Default = g.Name
		}
	}
	cmd := &cobra.Command{
		Use:   "iterate --rounds K --games N --steps S|--epochs E --out DIR [--init CKPT] [--opponent SPEC ...]",
		Short: "Run SPAG rounds: self-play, rewards, training against the frozen reference, evaluation, plots",
		Long:  strings.Join(long, "\n\n"),
		Example: `  spag iterate --rounds 2 --games 1000 --eval-games 1000 --steps 200 --out loop
  spag iterate --db spag.db --resume latest
  spag iterate --game apo --rounds 2 --generator gen.ckpt --reward-model rm.ckpt --preferences prefs.jsonl --queries 1000 --rm-steps 200 --gen-steps 200 --out apo-loop
  spag iterate --rounds 1 --games 500 --eval-games 500 --epochs 1 --sft alpaca.json --opponent builtin --opponent builtin:skill=0.9 --out loop2`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Changed, opts.Given, opts.values = cmd.Flags().Changed, nil, map[string]pflag.Value{}
			cmd.Flags().Visit(func(f *pflag.Flag) {
				opts.Given = append(opts.Given, f.Name)
				opts.values[f.Name] = f.Value
			})
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Rounds, "rounds", 2, "rounds to run")
	fl.StringVar(&opts.Out, "out", "", "directory of the loop's data, checkpoints and plots")
	fl.IntVar(&opts.Concurrency, "concurrency", 0, "games in flight at once (default: the model players' parallel slots together, at least 8)")
	fl.Uint64Var(&opts.Seed, "seed", 1, "seed of the loop: each round's words, games and training order derive from it")
	fl.StringVar(&opts.DB, "db", "spag.db", "SQLite database to store the run in")
	fl.StringVar(&opts.Resume, "resume", "", "resume loop ID (spag iterate prints it; \"latest\" for the newest loop in --db)")
	fl.BoolVar(&opts.JSON, "json", false, "print the final summary as JSON")
	fl.BoolVar(&opts.TUI, "tui", false, "watch the run live in the terminal UI (q stops it like a first Ctrl-C)")
	fl.DurationVar(&opts.TurnTimeout, "turn-timeout", 2*time.Minute, "limit for one player turn (0: none)")
	fl.StringArrayVar(&opts.Options, "option", nil, "setting key=value for every player whose backend takes the key (its spec's own options win; a key no player takes is an error), repeatable: --option temperature=0.7 (native, ollama and openai players take it; num_ctx is for ollama only; docs/players.md lists the keys of each backend)")
	fl.StringVar(&opts.Game, "game", opts.Default, "the loop's game: "+names(games, func(g Game) string { return g.Usage }))
	for _, g := range games {
		own := pflag.NewFlagSet(g.Name, pflag.ContinueOnError)
		opts.Loops[g.Name], opts.flags[g.Name] = g.Flags(own), own
		own.VisitAll(func(f *pflag.Flag) { share(fl, opts.Owners, g.Name, f) })
	}
	return cmd
}

// share adds game's flag f to the command's flags fl: as it is when no
// other game has a flag of its name, else to that flag's help, so that
// two games' loops may both take --init or --steps, each with its own
// meaning and default. A game's flag that shadows a flag of every game,
// or that another game's takes a value of another type, is a programming
// error: it panics.
func share(fl *pflag.FlagSet, owners map[string][]string, game string, f *pflag.Flag) {
	had := fl.Lookup(f.Name)
	switch {
	case had == nil:
		fl.AddFlag(f)
	case len(owners[f.Name]) == 0:
		panic(fmt.Sprintf("iteratecmd: game %q defines --%s, a flag of every game", game, f.Name))
	case had.Value.Type() != f.Value.Type():
		panic(fmt.Sprintf("iteratecmd: game %q's --%s takes a %s, game %q's a %s", game, f.Name, f.Value.Type(), owners[f.Name][0], had.Value.Type()))
	default:
		usage := f.Usage
		if had.DefValue != f.DefValue {
			// Each game's default beside its words, none at the end
			// that would read as every game's.
			if zero, ok := zeroDefaults[had.Value.Type()]; ok && had.DefValue != zero {
				had.Usage += " (" + defaultText(had) + ")"
				had.DefValue = zero
			}
			usage += " (" + defaultText(f) + ")"
		}
		had.Usage += "; " + usage
	}
	owners[f.Name] = append(owners[f.Name], game)
}

// zeroDefaults are the defaults pflag's help leaves unsaid, by type.
var zeroDefaults = map[string]string{"int": "0", "float64": "0", "string": "", "bool": "false", "uint64": "0", "duration": "0s", "stringArray": "[]"}

// defaultText says a flag's default as pflag's help does.
func defaultText(f *pflag.Flag) string {
	if f.Value.Type() == "string" {
		return fmt.Sprintf("default %q", f.DefValue)
	}
	return "default " + f.DefValue
}

// deliver gives game's own flags the values the user gave to the flags
// it shares with a game that parsed them.
func (opts *Options) deliver(game string) error {
	own := opts.flags[game]
	if own == nil {
		return nil
	}
	for name, v := range opts.values {
		f := own.Lookup(name)
		if f == nil || f.Value == v {
			continue
		}
		var err error
		if from, ok := v.(pflag.SliceValue); ok {
			err = f.Value.(pflag.SliceValue).Replace(from.GetSlice())
		} else {
			err = f.Value.Set(v.String())
		}
		if err != nil {
			return cmdutil.Usagef("--%s: %v", name, err)
		}
	}
	return nil
}

// Run starts the loop the options describe, or resumes the recorded one,
// runs it to its end and prints its results.
func Run(ctx context.Context, opts *Options) error {
	if err := check(opts); err != nil {
		return err
	}
	session := &selfplay.Session{Path: opts.DB}
	defer session.Close()
	game, rec := opts.Game, (*episodes.Loop)(nil)
	if opts.Resume != "" {
		var err error
		if rec, err = recorded(ctx, session, opts.DB, opts.Resume); err != nil {
			return err
		}
		if game = loop.GameOf(rec.Config); game == "" {
			game = opts.Default
		}
	}
	loops := opts.Loops[game]
	if loops == nil {
		if rec != nil {
			return fmt.Errorf("loop %s is a loop of the %s game, which this spag does not run", rec.ID, game)
		}
		return cmdutil.Usagef("--game %q: want %s", game, names(Games.List(), func(g Game) string { return g.Name }))
	}
	if err := checkGameFlags(opts, game); err != nil {
		return err
	}
	if err := opts.deliver(game); err != nil {
		return err
	}
	stderr := opts.IO.ErrOut
	drain := opts.Interrupts.Drain()
	env := loop.Env{Session: session, Log: stderr, CodeVersion: opts.CodeVersion, Stop: drain,
		Options: selfplay.Options{Concurrency: opts.Concurrency, TurnTimeout: opts.TurnTimeout, Drain: drain,
			Progress: stderr, Terminal: cmdutil.IsTerminal(stderr)}}
	var l Loop
	var err error
	if rec != nil {
		l, err = loops.Resume(ctx, opts, env, rec)
	} else {
		l, err = loops.Start(ctx, opts, env)
	}
	if err != nil {
		return err
	}
	defer l.Close()
	if err := ended(opts, l.ID(), l.Run(ctx), l.Final()); err != nil {
		return err
	}
	sum, err := l.Summary(ctx, opts.DB)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, sum.Done)
	if opts.JSON {
		rates := make([]eval.RoundRates, len(sum.Results))
		for i, r := range sum.Results {
			rates[i] = r.Rates()
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		doc := map[string]any{"loop": l.ID(), "game": game, "results": rates}
		if sum.Rounds != nil {
			doc["rounds"] = sum.Rounds
		}
		return enc.Encode(doc)
	}
	if len(sum.Results) == 0 && sum.Rounds == nil {
		fmt.Fprintln(opts.IO.Out, "no evaluation results yet")
	} else if len(sum.Results) > 0 {
		if err := eval.WriteText(opts.IO.Out, sum.Results, 0); err != nil {
			return err
		}
	}
	if sum.More != nil {
		return sum.More(opts.IO.Out)
	}
	return nil
}

// resumable are the flags a resumed loop takes: the rest of its settings
// are recorded with it.
var resumable = map[string]bool{"db": true, "resume": true, "concurrency": true, "json": true, "turn-timeout": true, "tui": true}

// check refuses shared flags that cannot work.
func check(opts *Options) error {
	switch {
	case opts.Changed("concurrency") && opts.Concurrency < 1:
		return cmdutil.Usagef("--concurrency must be at least 1 (got %d)", opts.Concurrency)
	case opts.TurnTimeout < 0:
		return cmdutil.Usagef("--turn-timeout must be 0 (no limit) or positive (got %s)", opts.TurnTimeout)
	case opts.TUI && !opts.IO.IsStdoutTTY():
		return cmdutil.Usagef("--tui needs a terminal (stdout is not one); drop it to print progress to stderr")
	}
	var bad []string
	for _, name := range opts.Given {
		if opts.Resume != "" && !resumable[name] {
			bad = append(bad, "--"+name)
		}
	}
	if len(bad) > 0 {
		return cmdutil.Usagef("--resume replays the stored configuration of the run; drop %s", strings.Join(bad, ", "))
	}
	if opts.TUI {
		return cmdutil.Usagef("iterate: --tui is not supported yet; watch the loop's runs with spag watch --db %s", opts.DB)
	}
	return nil
}

// checkGameFlags refuses the flags of the other games.
func checkGameFlags(opts *Options, game string) error {
	var given []string
	for _, name := range opts.Given {
		if owners := opts.Owners[name]; len(owners) > 0 && !slices.Contains(owners, game) {
			given = append(given, "--"+name)
		}
	}
	if len(given) > 0 {
		return cmdutil.Usagef("iterate --game %s: %s belong to the other game's loop", game, strings.Join(given, ", "))
	}
	return nil
}

// recorded reads loop id ("latest": the newest) of db, for --resume.
func recorded(ctx context.Context, session *selfplay.Session, db, id string) (*episodes.Loop, error) {
	if _, err := os.Stat(db); err != nil {
		return nil, cmdutil.Usagef("--resume %s: cannot open --db %s: %v", id, db, err)
	}
	store, err := session.Store(ctx)
	if err != nil {
		return nil, err
	}
	var rec *episodes.Loop
	if id == "latest" {
		rec, err = store.LatestLoop(ctx)
	} else {
		rec, err = store.Loop(ctx, id)
	}
	if errors.Is(err, episodes.ErrNotFound) {
		return nil, cmdutil.Usagef("--resume %s: no such loop in %s", id, db)
	}
	return rec, err
}

// ended turns how loop id's Run ended (runErr) into the command's result:
// an interruption prints the command that resumes it (exit 130), another
// error carries that command, and an error wrapping one of final is
// returned as it is (resuming would not help).
func ended(opts *Options, id string, runErr error, final []error) error {
	resume := fmt.Sprintf("spag iterate --db %s --resume %s", opts.DB, id)
	switch {
	case runErr == nil:
		return nil
	case errors.Is(runErr, loop.ErrInterrupted), errors.Is(runErr, context.Canceled) && opts.Interrupts.Count() > 0:
		fmt.Fprintf(opts.IO.ErrOut, "interrupted: what finished is recorded; resume with:\n  %s\n", resume)
		return cmdutil.ErrInterrupted
	}
	for _, f := range final {
		if errors.Is(runErr, f) {
			return runErr
		}
	}
	return fmt.Errorf("%w (resume with: %s)", runErr, resume)
}
