package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/taboo"
)

func newEpisodesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "episodes",
		Short: "Import and export stored episodes",
		Args:  noArgs,
	}
	cmd.AddCommand(newEpisodesImportCmd(), newEpisodesExportCmd(), newEpisodesMergeCmd())
	return cmd
}

func newEpisodesImportCmd() *cobra.Command {
	var db, rules string
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import a SPAG episodes JSON file as a new run, judged",
		Long: `import reads a SPAG episodes JSON file ("-" for standard input), stores its
episodes as a new run — every key of the file is kept, so export gives the
file back — and judges them with --rules.`,
		Example: `  spag episodes import --db runs.db --rules spag spag_episodes.json`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			j, err := judge.ByName(rules)
			if err != nil {
				return usageError{Err: fmt.Errorf("--rules: %w", err)}
			}
			sr, done, err := openSPAGFile(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer done()
			// The first episode is read before the database is opened, so
			// that an empty file, or a bad first episode, creates none.
			first, err := sr.Next(ctx)
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("import %s: %w; nothing was imported", args[0], episodes.ErrNoEpisodes)
			}
			if err != nil {
				return err
			}
			store, err := episodes.Open(ctx, db, episodes.Options{})
			if err != nil {
				return err
			}
			defer store.Close()
			judgeID := taboo.JudgeID(j)
			run := &episodes.Run{Game: "taboo(imported=" + filepath.Base(args[0]) + ")", Judge: judgeID,
				Players: map[string]string{"attacker": "imported", "defender": "imported"}}
			// Episodes are stored as they are read, in one transaction:
			// interrupted or failed (a bad episode late in the file
			// included), the import leaves nothing behind; done, every
			// episode is judged.
			all := func(yield func(*episodes.SPAGEpisode, error) bool) {
				if !yield(&first, nil) {
					return
				}
				for ep, err := range sr.All(ctx) {
					if !yield(ep, err) {
						return
					}
				}
			}
			err = store.ImportSPAGRun(ctx, run, all, func(_ int, ep *episodes.SPAGEpisode) game.Verdict {
				h := judgeHistory(*ep)
				return gameVerdict(j.Judge(ep.TargetWord, maxTurnsOf(*ep), h), judgeID, h)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d episodes as run %s, judged by %s\n", run.Total, run.ID, judgeID)
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "spag.db", "SQLite database")
	cmd.Flags().StringVar(&rules, "rules", "strict", "judge the imported episodes with: strict or spag")
	return cmd
}

func newEpisodesExportCmd() *cobra.Command {
	var db, format, out string
	var provenance bool
	var f episodes.Filter
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
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "spag" && format != "jsonl" {
				return usagef("--format %q: want spag or jsonl", format)
			}
			store, err := openReader(cmd.Context(), db)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := checkFilter(cmd.Context(), store, f); err != nil {
				return err
			}
			if format == "spag" {
				// SPAG's format holds Adversarial Taboo episodes only.
				if f.RunID != "" {
					run, err := store.RunInfo(cmd.Context(), f.RunID)
					if err == nil && !isTabooRun(run) {
						return usagef("--run %s is a run of %s; SPAG's format holds %s episodes (use --format jsonl)",
							f.RunID, gameTitle(run), taboo.Description.Title)
					}
				} else if f.Role == "" && f.Player == "" {
					f.Role = "attacker" // the runs that have one: Taboo runs
				}
			}
			return writeOut(out, cmd.OutOrStdout(), func(w io.Writer) error {
				if format == "spag" && provenance {
					return store.ExportSPAGWithProvenance(cmd.Context(), f, w)
				}
				if format == "spag" {
					return store.ExportSPAG(cmd.Context(), f, w)
				}
				return store.ExportJSONL(cmd.Context(), f, w)
			})
		},
	}
	cmd.Flags().StringVar(&db, "db", "spag.db", "SQLite database")
	cmd.Flags().StringVar(&format, "format", "spag", "spag or jsonl")
	cmd.Flags().StringVar(&out, "out", "-", "output file (- for standard output)")
	cmd.Flags().StringVar(&f.RunID, "run", "", "only this run")
	cmd.Flags().StringVar(&f.Outcome, "outcome", "", "only this outcome")
	cmd.Flags().BoolVar(&provenance, "provenance", true, "with --format spag: add the spag_provenance key")
	return cmd
}

// writeOut is cmdutil.WriteOut, for the commands not yet moved.
var writeOut = cmdutil.WriteOut

// saveCheckpoint writes c to path, or to stdout for "-".
func saveCheckpoint(path string, stdout io.Writer, c *checkpoint.Checkpoint) error {
	return writeOut(path, stdout, func(w io.Writer) error {
		if err := checkpoint.Write(w, c); err != nil {
			return fmt.Errorf("save checkpoint %s: %w", path, err)
		}
		return nil
	})
}

// reportTo is where a command that wrote its data to path says so: stderr
// when the data went to stdout.
func reportTo(cmd *cobra.Command, path string) io.Writer {
	if path == "-" {
		return cmd.ErrOrStderr()
	}
	return cmd.OutOrStdout()
}
