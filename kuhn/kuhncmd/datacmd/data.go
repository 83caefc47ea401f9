// Package datacmd is `spag kuhn data` and `spag kuhn rewards`: Kuhn Poker's
// imitation data and the zero-sum training samples of a stored run.
package datacmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/exploit"
	"github.com/spag-go/spag/kuhn/kuhndata"
	"github.com/spag-go/spag/rl"
)

// DataOptions are every input of `spag kuhn data`.
type DataOptions struct {
	IO     *cmdutil.IOStreams
	Player string
	Copies int
	Out    string
}

// NewCmdData returns `spag kuhn data`; runF does the work (nil: [DataRun]).
func NewCmdData(f *cmdutil.Factory, runF func(context.Context, *DataOptions) error) *cobra.Command {
	opts := &DataOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "data --player SPEC --out FILE [--copies N]",
		Short: "Write supervised data that teaches a player's strategy (SPAG training JSON)",
		Long: `data reads the player's strategy (as exploitability does) and writes, for
each of the 12 information sets, its prompt with --copies targets: each
legal move in proportion to its probability. spag model init and spag train
--objective sft take the file; kuhn:uniform gives a model that knows only
the rules.`,
		Example: `  spag kuhn data --player kuhn:uniform --copies 8 --out uniform.json`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case opts.Player == "":
				return cmdutil.Usagef("--player is required (for example --player kuhn:uniform)")
			case opts.Out == "":
				return cmdutil.Usagef("--out is required (the file to write)")
			case opts.Copies < 1:
				return cmdutil.Usagef("--copies must be at least 1 (got %d)", opts.Copies)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return DataRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Player, "player", "", "the player whose strategy the data teaches")
	fl.IntVar(&opts.Copies, "copies", 8, "targets per information set")
	fl.StringVar(&opts.Out, "out", "", "SPAG training JSON file to write")
	return cmd
}

// DataRun writes the imitation data.
func DataRun(ctx context.Context, opts *DataOptions) error {
	r, err := exploit.Measure(ctx, opts.Player, exploit.Options{})
	if err != nil {
		return cmdutil.CLIError(err)
	}
	samples, err := kuhndata.Imitation(r.Strategy, opts.Copies)
	if err != nil {
		return err
	}
	if err := writeSamples(opts.Out, samples); err != nil {
		return err
	}
	_, err = fmt.Fprintf(opts.IO.ErrOut, "%s: %d samples teaching %s (%s strategy, exploitability %.4f)\n", opts.Out, len(samples), r.Player, r.Method, r.Exploitability)
	return err
}

func writeSamples(path string, samples []rl.Sample) error {
	return atomicfile.Write(path, func(w io.Writer) error { return rl.WriteSPAGTraining(w, samples) })
}

// RewardsOptions are every input of `spag kuhn rewards`.
type RewardsOptions struct {
	IO         *cmdutil.IOStreams
	OpenReader func(ctx context.Context, path string) (*episodes.Store, error)
	DB, Run    string
	Out        string
	Baseline   string
	Forfeit    float64
}

// NewCmdRewards returns `spag kuhn rewards`; runF does the work (nil:
// [RewardsRun]).
func NewCmdRewards(f *cmdutil.Factory, runF func(context.Context, *RewardsOptions) error) *cobra.Command {
	opts := &RewardsOptions{IO: f.IOStreams, OpenReader: f.OpenReader}
	cmd := &cobra.Command{
		Use:   "rewards --db DB [--run ID] --out FILE",
		Short: "Write a Kuhn Poker run's answers with zero-sum advantages for spag train --objective zerosum",
		Long: `rewards writes every answer of a stored Kuhn Poker run (the latest by
default) with its prompt and, as reward, the answering seat's chips in that
hand less a baseline: the advantages spag train --objective zerosum takes.
--baseline infoset (the default) subtracts the mean chips of the run's
answers at the same information set (the card and the betting so far);
--baseline seat the seat's mean over the run (a role-conditioned baseline,
which makes every answer with the Jack negative). Answers that lost the
hand by rule are included, with their negative advantage, less --forfeit
chips more (a forfeit costs what a fold costs, so without it an answer
that is no move is as good as folding the Jack).`,
		Example: `  spag kuhn play --games 60 --db kuhn.db
  spag kuhn rewards --db kuhn.db --out round1.json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Out == "" {
				return cmdutil.Usagef("--out is required (the file to write)")
			}
			if !slices.Contains(kuhndata.Baselines, opts.Baseline) {
				return cmdutil.Usagef("--baseline %q: want infoset or seat", opts.Baseline)
			}
			if !(opts.Forfeit >= 0) {
				return cmdutil.Usagef("--forfeit %v: want 0 or more chips", opts.Forfeit)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RewardsRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DB, "db", "spag.db", "SQLite database")
	fl.StringVar(&opts.Run, "run", "", "run ID (default: the latest Kuhn Poker run)")
	fl.StringVar(&opts.Out, "out", "", "SPAG training JSON file to write")
	fl.StringVar(&opts.Baseline, "baseline", "infoset", "what the advantages subtract: infoset or seat")
	fl.Float64Var(&opts.Forfeit, "forfeit", 0, "chips subtracted from the advantage of an answer that lost the hand by rule, beside the chip it lost")
	return cmd
}

// RewardsRun writes the zero-sum samples of a run.
func RewardsRun(ctx context.Context, opts *RewardsOptions) error {
	store, err := opts.OpenReader(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	run, err := kuhnRun(ctx, store, opts.Run)
	if err != nil {
		return err
	}
	samples, st, err := kuhndata.ZeroSumWith(ctx, store, run, kuhndata.ZeroSumOptions{Baseline: opts.Baseline, Forfeit: opts.Forfeit})
	if err != nil {
		return err
	}
	if err := writeSamples(opts.Out, samples); err != nil {
		return err
	}
	b, _ := json.Marshal(st)
	_, err = fmt.Fprintf(opts.IO.ErrOut, "%s: run %s: %s\n", opts.Out, run.ID, b)
	return err
}

// kuhnRun is the run id names, or the latest Kuhn Poker run.
func kuhnRun(ctx context.Context, store *episodes.Store, id string) (*episodes.Run, error) {
	if id != "" {
		run, err := store.Run(ctx, id)
		if errors.Is(err, episodes.ErrNotFound) {
			return nil, cmdutil.Usagef("--run %s: no such run in %s (%s)", id, store.Path(), cmdutil.ListRunsHint(store.Path()))
		}
		if err == nil && !isKuhn(run) {
			return nil, cmdutil.Usagef("--run %s is a %s run, not Kuhn Poker", id, run.Game)
		}
		return run, err
	}
	runs, err := store.Runs(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if isKuhn(&runs[i]) {
			return &runs[i], nil
		}
	}
	return nil, cmdutil.Usagef("--db %s holds no Kuhn Poker run (play one with: spag kuhn play --db %s)", store.Path(), store.Path())
}

func isKuhn(run *episodes.Run) bool { return game.NameOf(run.Game) == kuhn.Name }
