// Package episodescmd is `spag episodes`: export stored episodes and merge
// databases. A game adds what only it has: an export format holding its
// episodes ([Formats]) and subcommands ([Subcommands]), such as
// Adversarial Taboo's import of SPAG files.
package episodescmd

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
)

// Subcommands are the subcommands of `spag episodes` that games add, by
// registration from their command packages' init functions.
var Subcommands cmdutil.CommandRegistry

// Format is an export format that holds one game's episodes.
type Format struct {
	// Name is the --format value, "spag" for example; Title names it for
	// people ("SPAG's format").
	Name, Title string
	// Game is the name of the game whose episodes the format holds.
	Game string
	// Write writes the episodes f selects (all of them the game's) to w;
	// provenance is the --provenance flag.
	Write func(ctx context.Context, store *episodes.Store, f episodes.Filter, provenance bool, w io.Writer) error
}

var (
	formatsMu sync.Mutex
	formats   []Format
)

// RegisterFormat adds an export format; it panics when its name is taken
// (a programming error).
func RegisterFormat(f Format) {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	if f.Name == "jsonl" || slices.ContainsFunc(formats, func(g Format) bool { return g.Name == f.Name }) {
		panic(fmt.Sprintf("episodescmd: format %q registered twice", f.Name))
	}
	formats = append(formats, f)
}

func lookupFormat(name string) (Format, bool) {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	i := slices.IndexFunc(formats, func(f Format) bool { return f.Name == name })
	if i < 0 {
		return Format{}, false
	}
	return formats[i], true
}

func formatNames() []string {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	var names []string
	for _, f := range formats {
		names = append(names, f.Name)
	}
	return append(names, "jsonl")
}

// NewCmdEpisodes returns `spag episodes` with its subcommands.
func NewCmdEpisodes(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "episodes",
		Short: "Import and export stored episodes",
		Args:  cmdutil.NoArgs,
	}
	cmd.AddCommand(NewCmdExport(f, nil), NewCmdMerge(f, nil))
	cmd.AddCommand(Subcommands.Commands(f)...)
	return cmd
}

// ExportOptions are every input of `spag episodes export`.
type ExportOptions struct {
	IO         *cmdutil.IOStreams
	OpenReader func(ctx context.Context, path string) (*episodes.Store, error)

	DB, Format, Out string
	Provenance      bool
	Filter          episodes.Filter
}

// NewCmdExport returns `spag episodes export`; runF does the work (nil:
// [RunExport]).
func NewCmdExport(f *cmdutil.Factory, runF func(context.Context, *ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IOStreams, OpenReader: f.OpenReader}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export episodes as SPAG episodes JSON or JSON Lines",
		Long: `export writes the selected episodes to --out (default standard output):
--format spag writes a SPAG episodes JSON array (keys kept from an import
come back), each judged episode with a "spag_provenance" key naming its run,
judge, outcome and decided_at (--provenance=false leaves it out, for an exact
round trip of an imported file); --format jsonl writes one full episode a
line, in the one JSON form of an episode that every export uses: "id",
"run_id", "index", "subject" (the target word, or the APO query), "seed",
"started_at", "finished_at", "turns" (each with "n", "player", "role",
"text", "thinking", "usage", "logprobs"), "verdict" ("outcome",
"decided_at", "rule", "evidence" {"turn", "start", "end", "text"},
"judge"), "err" and the "extra" keys an import kept. An unknown --run or
--outcome is an error.`,
		Example: `  spag episodes export --run r20261126-151200-3fa9 --format spag --out episodes.json
  spag episodes export --format jsonl | jq .verdict.outcome`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := lookupFormat(opts.Format); !ok && opts.Format != "jsonl" {
				return cmdutil.Usagef("--format %q: want %s", opts.Format, strings.Join(formatNames(), " or "))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunExport(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DB, "db", "spag.db", "SQLite database")
	cmd.Flags().StringVar(&opts.Format, "format", "spag", "spag or jsonl")
	cmd.Flags().StringVar(&opts.Out, "out", "-", "output file (- for standard output)")
	cmd.Flags().StringVar(&opts.Filter.RunID, "run", "", "only this run")
	cmd.Flags().StringVar(&opts.Filter.Outcome, "outcome", "", "only this outcome")
	cmd.Flags().BoolVar(&opts.Provenance, "provenance", true, "with --format spag: add the spag_provenance key")
	return cmd
}

// RunExport writes the episodes opts select.
func RunExport(ctx context.Context, opts *ExportOptions) error {
	store, err := opts.OpenReader(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	f := opts.Filter
	if err := cmdutil.CheckFilter(ctx, store, f); err != nil {
		return err
	}
	format, ok := lookupFormat(opts.Format)
	if !ok {
		return cmdutil.WriteOut(opts.Out, opts.IO.Out, func(w io.Writer) error { return store.ExportJSONL(ctx, f, w) })
	}
	// A game's format holds that game's episodes only.
	title := format.Game
	if d, _ := game.Games.Lookup(format.Game); d != nil {
		title = d.Title
	}
	if f.RunID != "" {
		run, err := store.RunInfo(ctx, f.RunID)
		if err != nil {
			return err
		}
		if game.NameOf(run.Game) != format.Game {
			return cmdutil.Usagef("--run %s is a run of %s; %s holds %s episodes (use --format jsonl)",
				f.RunID, cmdutil.GameTitle(run), format.Title, title)
		}
	} else {
		runs, err := store.RunInfos(ctx)
		if err != nil {
			return err
		}
		for _, r := range runs {
			if game.NameOf(r.Game) == format.Game {
				f.RunIDs = append(f.RunIDs, r.ID)
			}
		}
		if len(f.RunIDs) == 0 {
			f.RunIDs = []string{""} // no run has this ID: none of the game's episodes
		}
	}
	return cmdutil.WriteOut(opts.Out, opts.IO.Out, func(w io.Writer) error { return format.Write(ctx, store, f, opts.Provenance, w) })
}
