// Package reportcmd is `spag report`: one Markdown or HTML page with the
// tables and plots of a loop or of runs, its figures beside it.
package reportcmd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	iteratecmd "github.com/spag-go/spag/command/iterate"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/iterate"
)

// Options are every input of `spag report`.
type Options struct {
	IO         *cmdutil.IOStreams
	OpenReader func(ctx context.Context, path string) (*episodes.Store, error)

	DB   string
	Loop string
	Runs []string
	Out  string
}

// NewCmdReport returns the command; runF does the work (nil: [Run]).
func NewCmdReport(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, OpenReader: f.OpenReader}
	cmd := &cobra.Command{
		Use:   "report --db PATH [--loop ID] [--run ID ...] [--out FILE]",
		Short: "Write one Markdown or HTML page with the tables and plots of a loop or of runs",
		Long: `report writes a page for people: for a loop of spag iterate, the
evaluation of every round against each opponent in both roles (win rates
with 95% intervals, differences from the baseline with theirs), the
training curves (loss, KL, clip fraction) and the role balance of the
training data; for an APO loop (--game apo), each round's generator and
reward model measured against the initial pair's; for a run, its outcome mix, the rules that decided its
games and the histogram of the utterance that decided them. With neither
--loop nor --run, the latest loop (or, in a database without loops, the
latest run). The figures (SVG and PNG) are written beside the page; a page
whose name ends in .html is HTML, otherwise Markdown.`,
		Example: `  spag report --db spag.db --out report.md
  spag report --db spag.db --run r20261126-151200-3fa9 --out run.html`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Out == "" || opts.Out == "-" {
				return cmdutil.Usagef("report: --out FILE is required (the figures are written beside it)")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DB, "db", "spag.db", "SQLite database")
	fl.StringVar(&opts.Loop, "loop", "", "loop ID (spag iterate prints it)")
	fl.StringArrayVar(&opts.Runs, "run", nil, "run ID, repeatable")
	fl.StringVar(&opts.Out, "out", "report.md", "the page: .md (Markdown) or .html; figures are written beside it")
	return cmd
}

// Run writes the page opts ask for, and says where on opts.IO.ErrOut.
func Run(ctx context.Context, opts *Options) error {
	store, err := opts.OpenReader(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	db, loop, runs := opts.DB, opts.Loop, opts.Runs
	if loop == "" && len(runs) == 0 {
		latest, err := iterate.LatestReport(ctx, store)
		if errors.Is(err, episodes.ErrNotFound) {
			return fmt.Errorf("%s holds no loops and no runs yet", db)
		}
		if err != nil {
			return err
		}
		loop, runs = latest.Loop, latest.Runs
	}
	if loop != "" {
		if _, err := store.Loop(ctx, loop); errors.Is(err, episodes.ErrNotFound) {
			return cmdutil.Usagef("--loop %s: no such loop in %s", loop, db)
		}
	}
	for _, id := range runs {
		if _, err := store.Run(ctx, id); errors.Is(err, episodes.ErrNotFound) {
			return cmdutil.Usagef("--run %s: no such run in %s (%s)", id, db, cmdutil.ListRunsHint(db))
		}
	}
	if err := atomicfile.CheckWritable(opts.Out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	html := strings.HasSuffix(strings.ToLower(opts.Out), ".html")
	// The games' loops that spag iterate runs say how their pages read
	// them.
	histories := map[string]iterate.LoopHistory{}
	for _, g := range iteratecmd.Games.List() {
		if g.History != nil {
			histories[g.Name] = g.History
		}
	}
	err = iterate.WriteReportFile(ctx, opts.Out, store, iterate.ReportOptions{Loop: loop, Runs: runs, Dir: filepath.Dir(opts.Out), HTML: html,
		Histories: histories})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "report written to %s (figures beside it)\n", opts.Out)
	return nil
}
