package judgecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spag-go/spag/command/cmdutil"
	episodescmd "github.com/spag-go/spag/command/episodes"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/spagjson"
	"github.com/spf13/cobra"
)

func init() {
	episodescmd.Subcommands.Register("import", func(f *cmdutil.Factory) *cobra.Command { return NewCmdImport(f, nil) })
	episodescmd.RegisterFormat(episodescmd.Format{Name: "spag", Title: "SPAG's format", Game: taboo.Name,
		Write: func(ctx context.Context, store *episodes.Store, f episodes.Filter, provenance bool, w io.Writer) error {
			if provenance {
				return spagjson.ExportWithProvenance(ctx, store, f, w)
			}
			return spagjson.Export(ctx, store, f, w)
		}})
}

// ImportOptions are every input of `spag episodes import`.
type ImportOptions struct {
	IO *cmdutil.IOStreams

	DB    string
	Judge judge.Judge
	File  string
}

// NewCmdImport returns `spag episodes import`; runF does the work (nil:
// [RunImport]).
func NewCmdImport(f *cmdutil.Factory, runF func(context.Context, *ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{IO: f.IOStreams}
	var rules string
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import a SPAG episodes JSON file as a new run, judged",
		Long: `import reads a SPAG episodes JSON file ("-" for standard input), stores its
episodes as a new run — every key of the file is kept, so export gives the
file back — and judges them with --rules.`,
		Example: `  spag episodes import --db runs.db --rules spag spag_episodes.json`,
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := judge.ByName(rules)
			if err != nil {
				return cmdutil.UsageError{Err: fmt.Errorf("--rules: %w", err)}
			}
			opts.Judge, opts.File = j, args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunImport(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DB, "db", "spag.db", "SQLite database")
	cmd.Flags().StringVar(&rules, "rules", "strict", "judge the imported episodes with: strict or spag")
	return cmd
}

// RunImport stores the episodes of opts.File as a new run, judged.
func RunImport(ctx context.Context, opts *ImportOptions) error {
	sr, done, err := spagjson.Open(opts.File, opts.IO.In)
	if err != nil {
		return err
	}
	defer done()
	// The first episode is read before the database is opened, so that an
	// empty file, or a bad first episode, creates none.
	first, err := sr.Next(ctx)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("import %s: %w; nothing was imported", opts.File, episodes.ErrNoEpisodes)
	}
	if err != nil {
		return err
	}
	store, err := episodes.Open(ctx, opts.DB, episodes.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	judgeID := taboo.JudgeID(opts.Judge)
	run := &episodes.Run{Game: taboo.Name + "(imported=" + filepath.Base(opts.File) + ")", Judge: judgeID,
		Players: map[string]string{judge.Attacker: "imported", judge.Defender: "imported"}}
	// Episodes are stored as they are read, in one transaction:
	// interrupted or failed (a bad episode late in the file included), the
	// import leaves nothing behind; done, every episode is judged.
	all := func(yield func(*spagjson.Episode, error) bool) {
		if !yield(&first, nil) {
			return
		}
		for ep, err := range sr.All(ctx) {
			if !yield(ep, err) {
				return
			}
		}
	}
	err = spagjson.ImportRun(ctx, store, run, all, func(_ int, ep *spagjson.Episode) game.Verdict {
		h := SPAGHistory(*ep)
		return taboo.JudgeVerdict(opts.Judge.Judge(ep.TargetWord, MaxTurns(*ep), h), judgeID, h)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "imported %d episodes as run %s, judged by %s\n", run.Total, run.ID, judgeID)
	return nil
}
