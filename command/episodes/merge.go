package episodescmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
)

// MergeOptions are every input of `spag episodes merge`.
type MergeOptions struct {
	IO  *cmdutil.IOStreams
	Out string
	In  []string
}

// NewCmdMerge returns `spag episodes merge`; runF does the work (nil:
// [RunMerge]).
func NewCmdMerge(f *cmdutil.Factory, runF func(context.Context, *MergeOptions) error) *cobra.Command {
	opts := &MergeOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "merge OUT.db IN.db...",
		Short: "Merge databases: the shards of one run become one run",
		Long: `merge copies the runs and episodes of the IN databases into OUT (created if
needed), each episode exactly once, with its turns and every verdict
recorded on it. The shards of one run (played with --shard i/n, the same
n and --seed) become one unsharded run, which spag stats, replay, rewards
and selfplay --resume (to play missing shards) treat like any other; shards
whose configuration differs are refused, naming the difference. Other runs
are copied under their own IDs. The IN databases are only read; OUT is
written in one transaction, so a failed merge leaves it as it was (and
makes no OUT that did not exist). At most
10 inputs at once: merge more in steps.`,
		Example: `  spag episodes merge all.db shard0.db shard1.db shard2.db shard3.db
  spag stats --db all.db`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return cmdutil.Usagef("%s takes OUT.db and at least one IN.db, got %d argument(s)", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Out, opts.In = args[0], args[1:]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunMerge(cmd.Context(), opts)
		},
	}
}

// RunMerge merges opts.In into opts.Out and says what it did.
func RunMerge(ctx context.Context, opts *MergeOptions) error {
	rep, err := episodes.MergeInto(ctx, opts.Out, opts.In)
	if err != nil {
		return err
	}
	w := opts.IO.Out
	for _, r := range rep.Runs {
		from := fmt.Sprintf("%d source(s)", len(r.Sources))
		if len(r.Shards) > 0 {
			from = "shards " + strings.Join(r.Shards, ", ")
		}
		fmt.Fprintf(w, "run %s: from %s\n", r.ID, from)
		if len(r.Missing) > 0 {
			fmt.Fprintf(w, "  missing shards %s: play them with spag selfplay --db %s --resume %s\n", strings.Join(r.Missing, ", "), opts.Out, r.ID)
		}
	}
	fmt.Fprintf(w, "merged %d episodes into %s (%d already there)\n", rep.Episodes, opts.Out, rep.Skipped)
	return nil
}
