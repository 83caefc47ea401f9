package main

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/dataset"
)

type rewardsFlags struct {
	rules, in, db, run, out, format, style, templates string
	sft                                               []string
	role                                              string
	last                                              bool
	wonBy                                             string
	decay, loserReward                                float64
	// zeroSum, credit, baselineDecay and baseline select the zero-sum rule
	// (rl.StreamZeroSumRewards) instead of SPAG's.
	zeroSum       bool
	credit        string
	baselineDecay float64
	baseline      string
}

func newRewardsCmd() *cobra.Command {
	var f rewardsFlags
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
the defender to the word, a dictionary from word to clue.

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
  spag rewards --db runs.db --zero-sum --credit decisive --baseline attacker=0.3,defender=-0.3 --out zs.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runRewards(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.rules, "rules", "strict", "judge: strict or spag")
	fl.Float64Var(&f.decay, "decay", rl.DefaultDecay, "reward decay d in (0, 1]")
	fl.StringVar(&f.in, "in", "", "SPAG episodes JSON file (- for standard input)")
	fl.StringVar(&f.db, "db", "", "SQLite database (instead of --in)")
	fl.StringVar(&f.run, "run", "", "with --db: only this run (default: every run)")
	fl.StringVar(&f.out, "out", "", "output file (- for standard output)")
	fl.StringArrayVar(&f.sft, "sft", nil, "supervised data to mix in: JSON array or JSON Lines of {query, target} (repeatable)")
	fl.StringVar(&f.role, "role", "", "keep only this winner's samples: attacker or defender (default both)")
	fl.BoolVar(&f.last, "last", false, "keep only each speaker's deciding utterance")
	fl.StringVar(&f.wonBy, "won-by", "", "keep only games this role won: attacker or defender (with the other --role: the loser's utterances)")
	fl.Float64Var(&f.loserReward, "loser-reward", 0, "reward (negative) of each loser's decisive move, added as a sample; 0: SPAG's rule, winners only")
	fl.BoolVar(&f.zeroSum, "zero-sum", false, "zero-sum rewards with per-role running-mean baselines instead of SPAG's rule (for --objective zerosum)")
	fl.StringVar(&f.credit, "credit", rl.CreditAll, "with --zero-sum: turns that get the advantage, all (every turn of the role) or decisive")
	fl.Float64Var(&f.baselineDecay, "baseline-decay", rl.DefaultBaselineDecay, "with --zero-sum: running-mean decay alpha in [0, 1)")
	fl.StringVar(&f.baseline, "baseline", "", "with --zero-sum: the previous running means, attacker=B,defender=B (default: none yet)")
	fl.StringVar(&f.format, "format", "spag", "spag (SPAG training JSON) or chat (JSON Lines of messages)")
	fl.StringVar(&f.style, "style", taboo.StyleChat, "with --in: prompt style, chat or transcript")
	fl.StringVar(&f.templates, "templates", "", "with --in: prompt template directory")
	return cmd
}

func runRewards(cmd *cobra.Command, f rewardsFlags) error {
	ctx := cmd.Context()
	if (f.in == "") == (f.db == "") {
		return usagef("give exactly one of --in FILE or --db PATH")
	}
	if f.run != "" && f.db == "" {
		return usagef("--run needs --db")
	}
	if f.out == "" {
		return usagef("--out is required (- for standard output)")
	}
	if !(f.decay > 0 && f.decay <= 1) {
		return usagef("--decay must be in (0, 1], got %v", f.decay)
	}
	if f.format != "spag" && f.format != "chat" {
		return usagef("--format %q: want spag or chat", f.format)
	}
	if f.role != "" && f.role != judge.Attacker && f.role != judge.Defender {
		return usagef("--role %q: want %s or %s", f.role, judge.Attacker, judge.Defender)
	}
	if f.wonBy != "" && f.wonBy != judge.Attacker && f.wonBy != judge.Defender {
		return usagef("--won-by %q: want %s or %s", f.wonBy, judge.Attacker, judge.Defender)
	}
	if !(f.loserReward <= 0) {
		return usagef("--loser-reward %v: want 0 (SPAG's rule) or a negative reward", f.loserReward)
	}
	zs, err := zeroSumFlags(cmd, f)
	if err != nil {
		return err
	}
	j, tmpl, err := loadJudgeAndTemplates("rules", f.rules, f.templates)
	if err != nil {
		return err
	}
	games := dataset.NewGames(j, f.style, tmpl)

	var sft []rl.Sample
	for _, path := range f.sft {
		file, err := os.Open(path)
		if err != nil {
			return usageError{Err: fmt.Errorf("--sft: %w", err)}
		}
		items, err := rl.ReadSFT(file, path)
		file.Close()
		if err != nil {
			return err
		}
		sft = append(sft, items...)
	}
	var pass func() iter.Seq2[*rl.Episode, error]
	if f.in != "" {
		eps, done, err := spagPasses(ctx, f.in, cmd.InOrStdin())
		if err != nil {
			return err
		}
		defer done()
		pass = dataset.FromSPAG(ctx, eps, f.in, j, games)
	} else {
		store, err := openReader(ctx, f.db)
		if err != nil {
			return err
		}
		defer store.Close()
		var other *dataset.OtherGameError
		pass, err = dataset.FromStore(ctx, store, f.run, j, games)
		switch {
		case errors.Is(err, episodes.ErrNotFound):
			return usagef("--run %s: no such run in %s (%s)", f.run, store.Path(), cmdutil.ListRunsHint(store.Path()))
		case errors.As(err, &other):
			return usagef("--run %s is an APO run; spag apo items --db %s --run %s turns it into reward-model training items", f.run, store.Path(), f.run)
		case err != nil:
			return err
		}
	}
	// Samples stream from the episodes to the output: memory stays flat
	// however large the run. A file is written atomically, so an
	// interrupted or failed run leaves no partial dataset.
	var summary string
	err = writeOut(f.out, cmd.OutOrStdout(), func(w io.Writer) error {
		o := dataset.Options{Decay: f.decay, Chat: f.format == "chat", SFT: sft, Role: f.role, Last: f.last, WonBy: f.wonBy, LoserReward: f.loserReward}
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
	fmt.Fprintln(cmd.ErrOrStderr(), summary)
	return nil
}

// zeroSumFlags reads --zero-sum and its settings (nil without it), which
// SPAG's own selections contradict.
func zeroSumFlags(cmd *cobra.Command, f rewardsFlags) (*rl.ZeroSumOptions, error) {
	if !f.zeroSum {
		for _, name := range []string{"credit", "baseline-decay", "baseline"} {
			if cmd.Flags().Changed(name) {
				return nil, usagef("--%s applies to --zero-sum only", name)
			}
		}
		return nil, nil
	}
	for _, name := range []string{"decay", "role", "last", "won-by", "loser-reward"} {
		if cmd.Flags().Changed(name) {
			return nil, usagef("--%s is a setting of SPAG's rule; --zero-sum rewards every learning turn by its advantage (see --credit)", name)
		}
	}
	if err := rl.CheckZeroSum(f.credit, f.baselineDecay); err != nil {
		return nil, usagef("--zero-sum: %v (--credit, --baseline-decay)", err)
	}
	b, err := rl.ParseBaseline(f.baseline)
	if err != nil {
		return nil, usagef("--baseline: %v", err)
	}
	return &rl.ZeroSumOptions{Credit: f.credit, BaselineDecay: f.baselineDecay, Baseline: b}, nil
}
