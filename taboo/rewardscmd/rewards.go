// Package rewardscmd is `spag rewards`: Taboo's judged episodes (a SPAG
// episodes JSON file or a database's runs) turned into training data by
// SPAG's reward rule or the zero-sum rule (package dataset). It is Taboo's
// command, registered with cmdutil.GameCommands; cmd/spag imports it for
// that registration alone.
package rewardscmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/dataset"
	"github.com/spag-go/spag/taboo/reward"
)

func init() {
	cmdutil.GameCommands.Register("rewards", func(f *cmdutil.Factory) *cobra.Command { return NewCmdRewards(f, nil) })
}

// Options are every input of spag rewards.
type Options struct {
	IO         *cmdutil.IOStreams
	OpenReader func(ctx context.Context, path string) (*episodes.Store, error)
	// Changed reports whether the user gave the flag called name.
	Changed func(name string) bool

	Rules, In, DB, Run, Out, Format, Style, Templates string
	SFT                                               []string
	Role, WonBy                                       string
	Last                                              bool
	FromTurn                                          int
	Decay, LoserReward                                float64
	// ZeroSum, Credit, BaselineDecay and Baseline select the zero-sum
	// rule (reward.StreamZeroSumRewards) instead of SPAG's.
	ZeroSum       bool
	Credit        string
	BaselineDecay float64
	Baseline      string
}

// NewCmdRewards returns the command. It only parses flags into [Options];
// runF does the work (nil: [Run]).
func NewCmdRewards(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, OpenReader: f.OpenReader}
	cmd := &cobra.Command{
		Use:   "rewards",
		Short: "Turn judged episodes into SPAG training data",
		Long: `rewards judges episodes with --rules and applies the SPAG reward rule: only
won games count; the winner's utterances up to the deciding one get rewards
(1/d)^k normalised per episode, and each role gets the weight N/(2A) or
N/(2D) that balances the two roles. Episodes come from a SPAG episodes JSON
file (--in) or from the database (--db, optionally one --run). Each sample's
query is the prompt the winner saw, rendered with the run's templates (for
--in: with --style and --templates).

--format spag writes SPAG's training JSON (a JSON array of {query, target,
reward, weight, role}, plus {query, target, type: "sft", weight: 1} items
from --sft); --format chat writes chat JSON Lines for common trainers. Every
item names the judge and the run (or input file) it came from.

--role and --last select samples for datasets of one skill (their rewards
and weights stay those of the whole rule): --role keeps one role's samples,
--last only each winner's deciding utterance. --role defender --last is the
defenders' right guesses, a reverse dictionary in the game's own prompts.
--won-by keeps only the games one role won; with --role naming the other
role it takes the loser's utterances, as supervised items (the rule gives
losers no reward): --role attacker --won-by defender is the clues that led
the defender to the word, a dictionary from word to clue. --from-turn N
keeps only utterances of their speaker's N-th turn or later: --role
defender --last --from-turn 4 is the right guesses made after four clues
or more.

--loser-reward R (negative) departs from SPAG's rule, which learns only
from winners: each won game also gives its loser's decisive move (the
defender's wrong guess or slip, the attacker's clue before the defender
named the word) as a sample with reward R and the game's weight.

--zero-sum replaces SPAG's rule with zero-sum rewards for 'spag train
--objective zerosum': every game gives each role its return (+1 win, -1
loss, 0 tie; a rule break is the attacker's loss), minus the role's running
mean b = alpha*b_previous + (1-alpha)*mean(this data's returns) (--baseline
the previous round's values, printed by the previous call; none: this
data's mean; --baseline-decay alpha). The advantage goes to every turn of
the role up to the decision (--credit all) or to its decisive turn only
(--credit decisive); weights are 1.`,
		Example: `  spag rewards --rules spag --decay 0.8 --in episodes.json --out train.json
  spag rewards --db runs.db --run r20261126-151200-3fa9 --out train.json --sft alpaca.json
  spag rewards --db runs.db --format chat --out train.jsonl
  spag rewards --db runs.db --role defender --last --out guesses.json
  spag rewards --db runs.db --role attacker --won-by defender --out clues.json
  spag rewards --db runs.db --role defender --last --from-turn 4 --out late-guesses.json
  spag rewards --db runs.db --zero-sum --credit decisive --baseline attacker=0.3,defender=-0.3 --out zs.json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Changed = cmd.Flags().Changed
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Rules, "rules", "strict", "judge: strict or spag")
	fl.Float64Var(&opts.Decay, "decay", reward.DefaultDecay, "reward decay d in (0, 1]")
	fl.StringVar(&opts.In, "in", "", "SPAG episodes JSON file (- for standard input)")
	fl.StringVar(&opts.DB, "db", "", "SQLite database (instead of --in)")
	fl.StringVar(&opts.Run, "run", "", "with --db: only this run (default: every run)")
	fl.StringVar(&opts.Out, "out", "", "output file (- for standard output)")
	fl.StringArrayVar(&opts.SFT, "sft", nil, "supervised data to mix in: JSON array or JSON Lines of {query, target} (repeatable)")
	fl.StringVar(&opts.Role, "role", "", "keep only this winner's samples: attacker or defender (default both)")
	fl.BoolVar(&opts.Last, "last", false, "keep only each speaker's deciding utterance")
	fl.IntVar(&opts.FromTurn, "from-turn", 0, "keep only utterances of their speaker's turn N or later (0: every turn)")
	fl.StringVar(&opts.WonBy, "won-by", "", "keep only games this role won: attacker or defender (with the other --role: the loser's utterances)")
	fl.Float64Var(&opts.LoserReward, "loser-reward", 0, "reward (negative) of each loser's decisive move, added as a sample; 0: SPAG's rule, winners only")
	fl.BoolVar(&opts.ZeroSum, "zero-sum", false, "zero-sum rewards with per-role running-mean baselines instead of SPAG's rule (for --objective zerosum)")
	fl.StringVar(&opts.Credit, "credit", reward.CreditAll, "with --zero-sum: turns that get the advantage, all (every turn of the role) or decisive")
	fl.Float64Var(&opts.BaselineDecay, "baseline-decay", reward.DefaultBaselineDecay, "with --zero-sum: running-mean decay alpha in [0, 1)")
	fl.StringVar(&opts.Baseline, "baseline", "", "with --zero-sum: the previous running means, attacker=B,defender=B (default: none yet)")
	fl.StringVar(&opts.Format, "format", "spag", "spag (SPAG training JSON) or chat (JSON Lines of messages)")
	fl.StringVar(&opts.Style, "style", taboo.StyleChat, "with --in: prompt style, chat or transcript")
	fl.StringVar(&opts.Templates, "templates", "", "with --in: prompt template directory")
	return cmd
}

// Run judges the episodes and writes their training data to opts.Out,
// streaming: memory stays flat however large the input.
func Run(ctx context.Context, opts *Options) error {
	switch {
	case (opts.In == "") == (opts.DB == ""):
		return cmdutil.Usagef("give exactly one of --in FILE or --db PATH")
	case opts.Run != "" && opts.DB == "":
		return cmdutil.Usagef("--run needs --db")
	case opts.Out == "":
		return cmdutil.Usagef("--out is required (- for standard output)")
	case !(opts.Decay > 0 && opts.Decay <= 1):
		return cmdutil.Usagef("--decay must be in (0, 1], got %v", opts.Decay)
	case opts.Format != "spag" && opts.Format != "chat":
		return cmdutil.Usagef("--format %q: want spag or chat", opts.Format)
	case opts.Role != "" && opts.Role != judge.Attacker && opts.Role != judge.Defender:
		return cmdutil.Usagef("--role %q: want %s or %s", opts.Role, judge.Attacker, judge.Defender)
	case opts.WonBy != "" && opts.WonBy != judge.Attacker && opts.WonBy != judge.Defender:
		return cmdutil.Usagef("--won-by %q: want %s or %s", opts.WonBy, judge.Attacker, judge.Defender)
	case opts.FromTurn < 0:
		return cmdutil.Usagef("--from-turn %d: want 0 (every turn) or a turn number from 1", opts.FromTurn)
	case !(opts.LoserReward <= 0):
		return cmdutil.Usagef("--loser-reward %v: want 0 (SPAG's rule) or a negative reward", opts.LoserReward)
	}
	zs, err := zeroSum(opts)
	if err != nil {
		return err
	}
	j, err := judge.ByName(opts.Rules)
	if err != nil {
		return cmdutil.UsageError{Err: fmt.Errorf("--rules: %w", err)}
	}
	var tmpl *taboo.Templates
	if opts.Templates != "" {
		if tmpl, err = taboo.LoadTemplates(opts.Templates); err != nil {
			return cmdutil.UsageError{Err: fmt.Errorf("--templates: %w", err)}
		}
	}
	games := dataset.NewGames(j, opts.Style, tmpl)
	var sft []rl.Sample
	for _, path := range opts.SFT {
		file, err := os.Open(path)
		if err != nil {
			return cmdutil.UsageError{Err: fmt.Errorf("--sft: %w", err)}
		}
		items, err := rl.ReadSFT(file, path)
		file.Close()
		if err != nil {
			return err
		}
		sft = append(sft, items...)
	}
	var pass func() iter.Seq2[*rl.Episode, error]
	if opts.In != "" {
		eps, done, err := dataset.SPAGFile(ctx, opts.In, opts.IO.In)
		if err != nil {
			return err
		}
		defer done()
		pass = dataset.FromSPAG(ctx, eps, opts.In, j, games)
	} else {
		store, err := opts.OpenReader(ctx, opts.DB)
		if err != nil {
			return err
		}
		defer store.Close()
		var other *dataset.OtherGameError
		pass, err = dataset.FromStore(ctx, store, opts.Run, j, games)
		switch {
		case errors.Is(err, episodes.ErrNotFound):
			return cmdutil.Usagef("--run %s: no such run in %s (%s)", opts.Run, store.Path(), cmdutil.ListRunsHint(store.Path()))
		case errors.As(err, &other):
			// Another game's runs become its training data through its
			// own commands.
			title := other.Game
			if d, _ := game.Games.Lookup(other.Game); d != nil {
				title = d.Title
			}
			return cmdutil.Usagef("--run %s is a run of %s, not of %s: spag %s --help lists that game's own commands", opts.Run, title, taboo.Description.Title, other.Game)
		case err != nil:
			return err
		}
	}
	// A file is written atomically, so an interrupted or failed run
	// leaves no partial dataset.
	var summary string
	err = cmdutil.WriteOut(opts.Out, opts.IO.Out, func(w io.Writer) error {
		o := dataset.Options{Decay: opts.Decay, Chat: opts.Format == "chat", SFT: sft, Role: opts.Role, Last: opts.Last, FromTurn: opts.FromTurn, WonBy: opts.WonBy, LoserReward: opts.LoserReward}
		if zs != nil {
			st, err := dataset.WriteZeroSum(w, pass, games, o, *zs)
			summary = st.Summary(len(sft))
			return err
		}
		st, err := dataset.Write(w, pass, games, o)
		summary = st.Summary(len(sft))
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.ErrOut, summary)
	return nil
}

// zeroSum reads --zero-sum and its settings (nil without it), which
// SPAG's own selections contradict.
func zeroSum(opts *Options) (*reward.ZeroSumOptions, error) {
	if !opts.ZeroSum {
		for _, name := range []string{"credit", "baseline-decay", "baseline"} {
			if opts.Changed(name) {
				return nil, cmdutil.Usagef("--%s applies to --zero-sum only", name)
			}
		}
		return nil, nil
	}
	for _, name := range []string{"decay", "role", "last", "from-turn", "won-by", "loser-reward"} {
		if opts.Changed(name) {
			return nil, cmdutil.Usagef("--%s is a setting of SPAG's rule; --zero-sum rewards every learning turn by its advantage (see --credit)", name)
		}
	}
	if err := reward.CheckZeroSum(opts.Credit, opts.BaselineDecay); err != nil {
		return nil, cmdutil.Usagef("--zero-sum: %v (--credit, --baseline-decay)", err)
	}
	b, err := reward.ParseBaseline(opts.Baseline)
	if err != nil {
		return nil, cmdutil.Usagef("--baseline: %v", err)
	}
	return &reward.ZeroSumOptions{Credit: opts.Credit, BaselineDecay: opts.BaselineDecay, Baseline: b}, nil
}
