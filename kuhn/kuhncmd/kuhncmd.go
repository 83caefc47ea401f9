// Package kuhncmd is `spag kuhn`, Kuhn Poker's own commands: play (a run
// of hands between two players, stored like any run, so that spag stats,
// runs and replay read it), arena (a player against another in both seats,
// chips per hand with intervals) and exploitability (a player's strategy
// at the twelve information sets and its exact distance from an
// equilibrium).
//
// Each command has an Options struct, a constructor that only parses flags
// into it and a run function, in the style of command/cmdutil. Importing
// the package registers `kuhn` with [cmdutil.GameCommands], which the
// binary adds to its root.
package kuhncmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/exploit"
	"github.com/spag-go/spag/kuhn/kuhncmd/datacmd"
	"github.com/spag-go/spag/kuhn/kuhncmd/playcmd"
	"github.com/spag-go/spag/players"
)

// NewCmd returns the `kuhn` command with its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kuhn",
		Short: "Kuhn Poker: play hands, pit players against each other, measure exploitability",
		Long: `Kuhn Poker is the smallest poker with bluffing: three cards (J < Q < K),
one card each, an ante of 1 chip and one round of betting (check, bet, call,
fold). Players answer in words; an answer that is no legal move loses the
hand (1 chip). The game is zero-sum with a known value (the first player
loses 1/18 chip per hand at every equilibrium), so a player's
exploitability, its distance from an equilibrium, is computed exactly.

Players: any spec (native, ollama, openai), builtin (skill=1 an
equilibrium, skill=0 uniform random) and the game's strategies
kuhn:equilibrium[,alpha=A], kuhn:uniform, kuhn:always-bet, kuhn:never-bluff.`,
		Args: cmdutil.NoArgs,
	}
	cmd.AddCommand(playcmd.NewCmdPlay(f, nil), playcmd.NewCmdArena(f, nil), NewCmdExploitability(f, nil), datacmd.NewCmdData(f, nil), datacmd.NewCmdRewards(f, nil))
	return cmd
}

func init() { cmdutil.GameCommands.Register(kuhn.Name, NewCmd) }

// usage is [cmdutil.CLIError]: players' and settings' errors are usage
// errors.
func usage(err error) error { return cmdutil.CLIError(err) }

// ExploitabilityOptions are every input of `spag kuhn exploitability`.
type ExploitabilityOptions struct {
	IO      *cmdutil.IOStreams
	Player  string
	Samples int
	Seed    uint64
	JSON    bool
	Options []string
}

// NewCmdExploitability returns `spag kuhn exploitability`; runF does the
// work (nil: [ExploitabilityRun]).
func NewCmdExploitability(f *cmdutil.Factory, runF func(context.Context, *ExploitabilityOptions) error) *cobra.Command {
	opts := &ExploitabilityOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "exploitability --player SPEC [--json]",
		Short: "A player's strategy at the 12 information sets and its exact exploitability",
		Long: `exploitability reads the player's behaviour strategy at each of Kuhn Poker's
12 information sets (its card, the betting so far) in both seats, computes
a best response to each seat over the game tree, and prints the
exploitability, (BR1 + BR2)/2 as OpenSpiel reports it: 0 at an equilibrium,
0.4583 (11/24) for uniform random play, 0.3333 for always betting.

The strategy of a built-in player is known exactly; a native model's is read
from its probabilities of each legal move's word after the prompt,
normalised over the legal moves (the mass on other text is listed as
"outside"); any other player is asked --samples answers at each
information set and the exploitability comes with a 95% interval. --json
lists every information set with the probability of each move, so that the
number can be recomputed.`,
		Example: `  spag kuhn exploitability --player kuhn:uniform
  spag kuhn exploitability --player builtin,skill=0.5 --json
  spag kuhn exploitability --player native:sft.ckpt`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Player == "" {
				return cmdutil.Usagef("--player is required (a player spec, for example --player kuhn:uniform)")
			}
			if opts.Samples < 1 {
				return cmdutil.Usagef("--samples must be at least 1 (got %d)", opts.Samples)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return ExploitabilityRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Player, "player", "", "the player measured, in both seats: "+players.Help())
	fl.IntVar(&opts.Samples, "samples", 200, "answers asked at each information set of a player whose strategy cannot be read")
	fl.Uint64Var(&opts.Seed, "seed", 1, "seed of the sampled answers and of the interval's bootstrap")
	fl.BoolVar(&opts.JSON, "json", false, "print one JSON document with the 12 information sets")
	fl.StringArrayVar(&opts.Options, "option", nil, "setting key=value for the player's backend, repeatable")
	return cmd
}

// ExploitabilityRun measures the player and prints the result.
func ExploitabilityRun(ctx context.Context, opts *ExploitabilityOptions) error {
	r, err := exploit.Measure(ctx, opts.Player, exploit.Options{Samples: opts.Samples, Seed: opts.Seed, Options: opts.Options})
	if err != nil {
		return usage(err)
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return writeExploitability(opts.IO.Out, r)
}

func writeExploitability(w io.Writer, r exploit.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "information set\tpassive\taggressive\toutside\n")
	for i, is := range r.InfoSets {
		l := kuhn.InfoSets[i].Legal()
		outside := ""
		switch {
		case r.Method == exploit.MethodLikelihood:
			outside = fmt.Sprintf("%.4f", is.Outside)
		case is.Answers > 0:
			outside = fmt.Sprintf("%d/%d illegal", is.Illegal, is.Answers)
		}
		fmt.Fprintf(tw, "%s\t%s %.4f\t%s %.4f\t%s\n", is.Name, l[0], is.Moves[l[0].String()], l[1], is.Moves[l[1].String()], outside)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	interval := ""
	if len(r.Interval) == 2 {
		interval = fmt.Sprintf(" (95%% interval %.4f to %.4f)", r.Interval[0], r.Interval[1])
	}
	_, err := fmt.Fprintf(w, "%s (%s): exploitability %.4f%s; NashConv %.4f = best response to the first seat %+.4f + to the second %+.4f; playing itself the first seat wins %+.4f chips per hand (game value %+.4f)\n",
		r.Player, r.Method, r.Exploitability, interval, r.NashConv, r.BestResponseSecond, r.BestResponseFirst, r.Value, -1.0/18)
	return err
}
