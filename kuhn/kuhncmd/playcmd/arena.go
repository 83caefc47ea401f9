package playcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/kuhn/exploit"
	"github.com/spag-go/spag/kuhn/kuhnrun"
	"github.com/spag-go/spag/selfplay"
)

// ArenaOptions are every input of `spag kuhn arena`.
type ArenaOptions struct {
	IO          *cmdutil.IOStreams
	Interrupts  cmdutil.Interrupts
	DB          string
	Resume      string
	A, B        string
	Games       int
	Seed        uint64
	Concurrency int
	TurnTimeout time.Duration
	JSON        bool
	Options     []string
}

// NewCmdArena returns `spag kuhn arena`; runF does the work (nil:
// [ArenaRun]).
func NewCmdArena(f *cmdutil.Factory, runF func(context.Context, *ArenaOptions) error) *cobra.Command {
	opts := &ArenaOptions{IO: f.IOStreams, Interrupts: f.Interrupts}
	cmd := &cobra.Command{
		Use:   "arena --a SPEC --b SPEC [--games N]",
		Short: "Measure player A against player B in both seats of Kuhn Poker, chips per hand with intervals",
		Long: `arena plays two runs with the same seed and deals: A first against B second,
then B first against A second, and prints A's chips per hand in each seat
with a 95% interval beside the game value (-1/18 as first player, +1/18 as
second): against an equilibrium, a player that matches the value in both
seats cannot be told from optimal by these hands. The runs are stored like
any run; the first Ctrl-C stops and prints the command that resumes the
arena: spag kuhn arena --db DB --resume RUN1,RUN2.`,
		Example: `  spag kuhn arena --a kuhn:always-bet --b builtin --games 6000
  spag kuhn arena --a native:sft.ckpt --b builtin --games 12 --json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRunFlags(cmd, opts.Resume, opts.Concurrency, opts.TurnTimeout); err != nil {
				return err
			}
			if opts.Resume == "" {
				switch {
				case opts.A == "" || opts.B == "":
					return cmdutil.Usagef("--a and --b are required (player specs, for example --a kuhn:always-bet --b builtin)")
				case opts.Games < 1:
					return cmdutil.Usagef("--games must be at least 1 (got %d)", opts.Games)
				}
			} else if len(strings.Split(opts.Resume, ",")) != 2 {
				return cmdutil.Usagef("--resume %q: want the arena's 2 run IDs, comma-separated", opts.Resume)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return ArenaRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.A, "a", "", "the player measured (a spec as for kuhn play --first)")
	fl.StringVar(&opts.B, "b", "", "the player it is measured against")
	fl.IntVar(&opts.Games, "games", 600, "hands per seat")
	registerRunFlags(fl, &opts.DB, &opts.Resume, &opts.Seed, &opts.Concurrency, &opts.TurnTimeout, &opts.JSON, &opts.Options)
	return cmd
}

// Seat is A's result in one seat.
type Seat struct {
	Seat string `json:"seat"`
	// Chips are A's chips per hand in that seat, with the 95% interval.
	Chips    float64    `json:"chips_per_hand"`
	Interval [2]float64 `json:"interval_95"`
	// Value is the game value of the seat: what an equilibrium gets
	// against any player that plays an equilibrium.
	Value float64       `json:"game_value"`
	Run   kuhnrun.Chips `json:"run"`
}

// ArenaResult is the stable shape of `spag kuhn arena --json`.
type ArenaResult struct {
	A     string `json:"a"`
	B     string `json:"b"`
	Seats []Seat `json:"seats"`
	// Exploitability is A's, when its strategy can be read without
	// playing (a built-in player exactly, a native model from its
	// probabilities); nil for a served model.
	Exploitability *float64 `json:"exploitability_a,omitempty"`
}

// ArenaRun plays (or resumes) the arena's two runs and prints A's chips.
func ArenaRun(ctx context.Context, opts *ArenaOptions) error {
	session := &selfplay.Session{Path: opts.DB}
	defer session.Close()
	cfgs := make([]kuhnrun.Config, 2)
	runs := make([]*episodes.Run, 2)
	if opts.Resume != "" {
		for i, id := range strings.Split(opts.Resume, ",") {
			var err error
			if runs[i], err = resume(ctx, session, id, &cfgs[i]); err != nil {
				return err
			}
		}
		opts.A, opts.B = cfgs[0].First, cfgs[0].Second
	} else {
		for i, pair := range [][2]string{{opts.A, opts.B}, {opts.B, opts.A}} {
			cfgs[i] = kuhnrun.Config{First: pair[0], Second: pair[1], Games: opts.Games, Seed: opts.Seed, Options: opts.Options}
			if err := cfgs[i].Prepare(); err != nil {
				return cmdutil.CLIError(err)
			}
		}
	}
	// Both runs are recorded before the first hand, so that an interrupted
	// arena can name both in its resume command.
	plans := make([]*selfplay.Plan, 2)
	ids := make([]string, 2)
	res := ArenaResult{A: opts.A, B: opts.B}
	for i := range cfgs {
		var err error
		if plans[i], err = cfgs[i].Plan(ctx, runs[i]); err != nil {
			return cmdutil.CLIError(err)
		}
		if runs[i] == nil {
			if runs[i], _, err = session.Begin(ctx, plans[i], nil); err != nil {
				return err
			}
		}
		ids[i] = runs[i].ID
	}
	again := fmt.Sprintf("spag kuhn arena --db %s --resume %s", opts.DB, strings.Join(ids, ","))
	settings := runSettings{concurrency: opts.Concurrency, turnTimeout: opts.TurnTimeout, drain: opts.Interrupts.Drain()}
	for i := range cfgs {
		chips, err := playRun(ctx, session, &cfgs[i], runs[i], plans[i], opts.IO.ErrOut, settings, func(string) string { return again })
		if err != nil {
			return err
		}
		s := Seat{Seat: "first", Chips: chips.First, Interval: chips.Interval, Value: kuhnrun.GameValue, Run: chips}
		if i == 1 {
			s = Seat{Seat: "second", Chips: -chips.First, Interval: [2]float64{-chips.Interval[1], -chips.Interval[0]}, Value: -kuhnrun.GameValue, Run: chips}
		}
		res.Seats = append(res.Seats, s)
	}
	if r, ok := readable(ctx, opts.A, opts.Options); ok {
		res.Exploitability = &r.Exploitability
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(opts.IO.Out, "A %s against B %s, %d hands per seat\n", res.A, res.B, res.Seats[0].Run.Hands)
	for _, s := range res.Seats {
		fmt.Fprintf(opts.IO.Out, "  A as %-6s %+.4f chips per hand (95%% interval %+.4f to %+.4f), game value %+.4f, run %s\n",
			s.Seat, s.Chips, s.Interval[0], s.Interval[1], s.Value, s.Run.Run)
	}
	if res.Exploitability != nil {
		fmt.Fprintf(opts.IO.Out, "  A's exploitability %.4f (spag kuhn exploitability --player %s lists its strategy)\n", *res.Exploitability, res.A)
	}
	return nil
}

// readable measures a player whose strategy is read without asking it to
// play: exactly, or from a native model's probabilities.
func readable(ctx context.Context, spec string, options []string) (exploit.Result, bool) {
	r, err := exploit.Measure(ctx, spec, exploit.Options{NoSampling: true, Options: options})
	if err != nil {
		return exploit.Result{}, false
	}
	return r, true
}
