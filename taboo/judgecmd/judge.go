// Package judgecmd holds Adversarial Taboo's own commands: `spag judge`,
// `spag episodes import` and the SPAG format of `spag episodes export`;
// importing it registers them (with cmdutil.GameCommands and
// episodescmd), so that cmd/spag names no game.
package judgecmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/rejudge"
	"github.com/spag-go/spag/taboo/spagjson"
	"github.com/spf13/cobra"
)

func init() {
	cmdutil.GameCommands.Register("judge", func(f *cmdutil.Factory) *cobra.Command { return NewCmdJudge(f, nil) })
}

// JudgeOptions are every input of `spag judge`.
type JudgeOptions struct {
	IO         *cmdutil.IOStreams
	OpenReader func(ctx context.Context, path string) (*episodes.Store, error)
	// OpenWriter opens an existing database to record verdicts in.
	OpenWriter func(ctx context.Context, path string) (*episodes.Store, error)

	Judge     judge.Judge
	File      string
	DB        string
	RunID     string
	Record    bool
	SPAGNames bool
}

// openExisting opens a database that must already exist, for writing.
func openExisting(ctx context.Context, path string) (*episodes.Store, error) {
	if err := cmdutil.CheckDBExists(path); err != nil {
		return nil, err
	}
	return episodes.Open(ctx, path, episodes.Options{})
}

// NewCmdJudge returns the command; runF does the work (nil: [RunJudge]).
func NewCmdJudge(f *cmdutil.Factory, runF func(context.Context, *JudgeOptions) error) *cobra.Command {
	opts := &JudgeOptions{IO: f.IOStreams, OpenReader: f.OpenReader, OpenWriter: openExisting}
	var rules string
	cmd := &cobra.Command{
		Use:   "judge FILE",
		Short: "Judge the episodes of a SPAG episodes JSON file",
		Long: `judge reads a SPAG episodes JSON file (a JSON array of {"target_word",
"max_turns", "history": [{"role", "content"}...]}; "-" reads standard input)
and prints one JSON line per episode, in input order: {"index", "subject"
(the target word), "verdict": {"outcome", "decided_at", "rule", "evidence":
{"turn", "start", "end", "text"}, "judge"}}, in the key names of every
episode export.

--rules spag reproduces the SPAG reference code's verdicts, quirks included;
--rules strict is the project's recommended judge. An episode without
max_turns is judged with the default of 5.

With --db instead of a file, judge re-judges the stored episodes (of one
--run, or all) and prints one JSON line for each episode whose verdict
differs from the stored one: {"id", "run_id", "index", "subject", "stored",
"rejudged"}, with the episode's keys as in episodes export --format jsonl;
the episodes of other games than Adversarial Taboo (APO's) are skipped, since
their own rules decide them; --record also stores every new verdict beside
the old one (see spag replay --episode).`,
		Example: `  spag judge --rules spag episodes.json
  spag judge --rules strict --spag-names - < episodes.json | jq -r .verdict.outcome | sort | uniq -c
  spag judge --rules spag --db spag.db --run r20261126-151200-3fa9 --record`,
		Args: func(cmd *cobra.Command, args []string) error {
			if opts.DB != "" {
				return cmdutil.NoArgs(cmd, args)
			}
			return cmdutil.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := judge.ByName(rules)
			if err != nil {
				return cmdutil.UsageError{Err: fmt.Errorf("--rules: %w", err)}
			}
			opts.Judge = j
			if opts.DB == "" {
				if opts.RunID != "" || opts.Record {
					return cmdutil.Usagef("--run and --record need --db")
				}
				opts.File = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunJudge(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&rules, "rules", "strict", "judge: strict or spag")
	cmd.Flags().StringVar(&opts.DB, "db", "", "re-judge the episodes stored in this database instead of a file")
	cmd.Flags().StringVar(&opts.RunID, "run", "", "with --db: only this run")
	cmd.Flags().BoolVar(&opts.Record, "record", false, "with --db: store the new verdicts")
	cmd.Flags().BoolVar(&opts.SPAGNames, "spag-names", false, `print SPAG's outcome strings ("attacker wins", ...) instead of the project's`)
	return cmd
}

// VerdictLine is one line of `spag judge FILE`, in the key names of
// episodes.JSON: the episode's index in the file, its subject (the
// target_word) and its verdict.
type VerdictLine struct {
	Index   int          `json:"index"`
	Subject string       `json:"subject"`
	Verdict game.Verdict `json:"verdict"`
}

// RunJudge judges opts.File, or re-judges the episodes of opts.DB.
func RunJudge(ctx context.Context, opts *JudgeOptions) error {
	if opts.DB != "" {
		return rejudgeStored(ctx, opts)
	}
	sr, done, err := spagjson.Open(opts.File, opts.IO.In)
	if err != nil {
		return err
	}
	defer done()
	judgeID := taboo.JudgeID(opts.Judge)
	// One episode at a time, in and out: memory does not grow with the
	// file, and an interrupt stops at the next episode.
	w := bufio.NewWriter(opts.IO.Out)
	enc := json.NewEncoder(w)
	for i := 0; ; i++ {
		ep, err := sr.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		h := SPAGHistory(ep)
		line := VerdictLine{Index: i, Subject: ep.TargetWord,
			Verdict: taboo.JudgeVerdict(opts.Judge.Judge(ep.TargetWord, MaxTurns(ep), h), judgeID, h)}
		if opts.SPAGNames {
			line.Verdict.Outcome = taboo.SPAGOutcome(line.Verdict.Outcome)
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return w.Flush()
}

// SPAGHistory is the judge's view of a SPAG episode's history.
func SPAGHistory(ep spagjson.Episode) []judge.Utterance {
	h := make([]judge.Utterance, len(ep.History))
	for i, m := range ep.History {
		h[i] = judge.Utterance{Role: m.Role, Text: m.Content}
	}
	return h
}

// MaxTurns is a SPAG episode's turn limit: its max_turns, else the default.
func MaxTurns(ep spagjson.Episode) int {
	if ep.MaxTurns > 0 {
		return ep.MaxTurns
	}
	return taboo.DefaultMaxTurns
}

// rejudgeStored judges stored episodes again and lists the differences.
func rejudgeStored(ctx context.Context, opts *JudgeOptions) error {
	open := opts.OpenReader
	if opts.Record {
		open = opts.OpenWriter
	}
	store, err := open(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	if opts.RunID != "" {
		run, err := store.RunInfo(ctx, opts.RunID)
		if errors.Is(err, episodes.ErrNotFound) {
			return cmdutil.Usagef("--run %s: no such run in %s (%s)", opts.RunID, opts.DB, cmdutil.ListRunsHint(opts.DB))
		}
		if game.NameOf(run.Game) != taboo.Name {
			return cmdutil.Usagef("--run %s is a run of %s: its episodes are decided by that game's own rules, not by a judge of %s (see spag replay --run %s)",
				opts.RunID, cmdutil.GameTitle(run), taboo.Description.Title, opts.RunID)
		}
		if err != nil {
			return err
		}
	}
	w := bufio.NewWriter(opts.IO.Out)
	enc := json.NewEncoder(w)
	res, err := rejudge.Stored(ctx, store, opts.Judge, opts.RunID, opts.Record, func(l rejudge.Line) error { return enc.Encode(l) })
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%d episodes re-judged by %s: %d differ from the stored verdict\n", res.Judged, taboo.JudgeID(opts.Judge), res.Differ)
	for _, title := range slices.Sorted(maps.Keys(res.Skipped)) {
		fmt.Fprintf(opts.IO.ErrOut, "%d %s episodes skipped: that game's own rules decide them, not a judge of %s\n",
			res.Skipped[title], title, taboo.Description.Title)
	}
	return nil
}
