package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/apo/apoloop"
	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/iterate"
)

func newReportCmd() *cobra.Command {
	var db, loop, out string
	var runs []string
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
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if out == "" || out == "-" {
				return usagef("report: --out FILE is required (the figures are written beside it)")
			}
			store, err := openReader(ctx, db)
			if err != nil {
				return err
			}
			defer store.Close()
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
					return usagef("--loop %s: no such loop in %s", loop, db)
				}
			}
			for _, id := range runs {
				if _, err := store.Run(ctx, id); errors.Is(err, episodes.ErrNotFound) {
					return usagef("--run %s: no such run in %s (%s)", id, db, cmdutil.ListRunsHint(db))
				}
			}
			dir := filepath.Dir(out)
			if err := atomicfile.CheckWritable(out); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			html := strings.HasSuffix(strings.ToLower(out), ".html")
			err = iterate.WriteReportFile(ctx, out, store, iterate.ReportOptions{Loop: loop, Runs: runs, Dir: dir, HTML: html,
				Histories: map[string]iterate.LoopHistory{apoloop.Game: apoloop.History}})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "report written to %s (figures beside it)\n", out)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&db, "db", "spag.db", "SQLite database")
	fl.StringVar(&loop, "loop", "", "loop ID (spag iterate prints it)")
	fl.StringArrayVar(&runs, "run", nil, "run ID, repeatable")
	fl.StringVar(&out, "out", "report.md", "the page: .md (Markdown) or .html; figures are written beside it")
	return cmd
}
