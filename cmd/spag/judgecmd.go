package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/dataset"
)

// verdictLine is one line of `spag judge` output; field names are stable.
// verdictLine is one line of `spag judge FILE` output, in the key names of
// episodes.JSON: the episode's index in the file, its subject (the
// target_word), and the verdict's keys.
type verdictLine struct {
	Index     int           `json:"index"`
	Subject   string        `json:"subject"`
	Outcome   string        `json:"outcome"`
	DecidedAt int           `json:"decided_at"`
	Rule      string        `json:"rule"`
	Evidence  game.Evidence `json:"evidence"`
}

// openSPAGFile opens a SPAG episodes JSON file for reading one episode at
// a time; "-" is standard input. done closes the file.
func openSPAGFile(name string, stdin io.Reader) (sr *episodes.SPAGReader, done func(), err error) {
	if name == "-" {
		return episodes.NewSPAGReader(bufio.NewReader(stdin), "<stdin>"), func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return episodes.NewSPAGReader(bufio.NewReader(f), name), func() { f.Close() }, nil
}

// spagPasses returns passes over the episodes of a SPAG episodes JSON
// file, each reading it anew, for a command that reads it twice. Standard
// input ("-") is first copied to a temporary file, removed at once, so
// that neither pass holds the file in memory; done closes it.
func spagPasses(ctx context.Context, name string, stdin io.Reader) (passes func() iter.Seq2[*episodes.SPAGEpisode, error], done func(), err error) {
	return dataset.SPAGFile(ctx, name, stdin)
}

// judgeHistory converts a SPAG history for the judge.
func judgeHistory(ep episodes.SPAGEpisode) []judge.Utterance {
	h := make([]judge.Utterance, len(ep.History))
	for i, m := range ep.History {
		h[i] = judge.Utterance{Role: m.Role, Text: m.Content}
	}
	return h
}

func maxTurnsOf(ep episodes.SPAGEpisode) int {
	if ep.MaxTurns > 0 {
		return ep.MaxTurns
	}
	return taboo.DefaultMaxTurns
}

func newJudgeCmd() *cobra.Command {
	var rules, db, runID string
	var spagNames, record bool
	cmd := &cobra.Command{
		Use:   "judge FILE",
		Short: "Judge the episodes of a SPAG episodes JSON file",
		Long: `judge reads a SPAG episodes JSON file (a JSON array of {"target_word",
"max_turns", "history": [{"role", "content"}...]}; "-" reads standard input)
and prints one JSON line per episode, in input order: {"index", "subject"
(the target word), "outcome", "decided_at", "rule", "evidence": {"turn",
"start", "end", "text"}}, in the key names of every episode export.

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
  spag judge --rules strict --spag-names - < episodes.json | jq -r .outcome | sort | uniq -c
  spag judge --rules spag --db spag.db --run r20261126-151200-3fa9 --record`,
		Args: func(cmd *cobra.Command, args []string) error {
			if db != "" {
				return noArgs(cmd, args)
			}
			return exactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := judge.ByName(rules)
			if err != nil {
				return usageError{Err: fmt.Errorf("--rules: %w", err)}
			}
			if db != "" {
				return rejudgeStored(cmd, j, db, runID, record)
			}
			if runID != "" || record {
				return usagef("--run and --record need --db")
			}
			sr, done, err := openSPAGFile(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer done()
			// One episode at a time, in and out: memory does not grow
			// with the file, and an interrupt stops at the next episode.
			w := bufio.NewWriter(cmd.OutOrStdout())
			enc := json.NewEncoder(w)
			for i := 0; ; i++ {
				ep, err := sr.Next(cmd.Context())
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				h := judgeHistory(ep)
				v := gameVerdict(j.Judge(ep.TargetWord, maxTurnsOf(ep), h), "", h)
				line := verdictLine{Index: i, Subject: ep.TargetWord, Outcome: v.Outcome,
					DecidedAt: v.DecidedAt, Rule: v.Rule, Evidence: v.Evidence}
				if spagNames {
					line.Outcome = taboo.SPAGOutcome(line.Outcome)
				}
				if err := enc.Encode(line); err != nil {
					return err
				}
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&rules, "rules", "strict", "judge: strict or spag")
	cmd.Flags().StringVar(&db, "db", "", "re-judge the episodes stored in this database instead of a file")
	cmd.Flags().StringVar(&runID, "run", "", "with --db: only this run")
	cmd.Flags().BoolVar(&record, "record", false, "with --db: store the new verdicts")
	cmd.Flags().BoolVar(&spagNames, "spag-names", false, `print SPAG's outcome strings ("attacker wins", ...) instead of the project's`)
	return cmd
}

// rejudgeLine is one line of `spag judge --db` output.
type rejudgeLine struct {
	ID       int64        `json:"id"`
	RunID    string       `json:"run_id"`
	Index    int          `json:"index"`
	Subject  string       `json:"subject"`
	Stored   game.Verdict `json:"stored"`
	Rejudged game.Verdict `json:"rejudged"`
}

// rejudgeStored judges stored episodes again and lists the differences.
func rejudgeStored(cmd *cobra.Command, j judge.Judge, db, runID string, record bool) error {
	ctx := cmd.Context()
	openDB := openReader
	if record {
		openDB = openExisting
	}
	store, err := openDB(ctx, db)
	if err != nil {
		return err
	}
	defer store.Close()
	maxTurns := map[string]int{}
	runs, err := store.RunInfos(ctx)
	if err != nil {
		return err
	}
	// The judges are Adversarial Taboo's: other games' runs are skipped.
	otherGame := map[string]string{}
	for i, r := range runs {
		maxTurns[r.ID] = r.MaxTurns
		if !isTabooRun(&runs[i]) {
			otherGame[r.ID] = gameTitle(&runs[i])
		}
	}
	if runID != "" {
		if _, ok := maxTurns[runID]; !ok {
			return usagef("--run %s: no such run in %s (%s)", runID, db, cmdutil.ListRunsHint(db))
		}
		if title, other := otherGame[runID]; other {
			return usagef("--run %s is a run of %s: its episodes are decided by that game's own rules, not by a judge of %s (see spag replay --run %s)",
				runID, title, taboo.Description.Title, runID)
		}
	}
	judgeID := taboo.JudgeID(j)
	notErrored := false
	w := bufio.NewWriter(cmd.OutOrStdout())
	enc := json.NewEncoder(w)
	// Verdicts are stored in batches as the episodes stream past, so
	// memory stays flat and an interrupt keeps every committed batch.
	const batch = 512
	var pending []episodes.Verdict
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := store.AddVerdicts(ctx, pending)
		pending = pending[:0]
		return err
	}
	judged, differ := 0, 0
	skipped := map[string]int{} // by game title
	for rec, err := range store.Iter(ctx, episodes.Filter{RunID: runID, Errored: &notErrored, Turns: true}) {
		if err != nil {
			return err
		}
		if title, other := otherGame[rec.RunID]; other {
			skipped[title]++
			continue
		}
		mt := maxTurns[rec.RunID]
		if mt < 1 {
			mt = dataset.ImportedMaxTurns(rec.Extra)
		}
		h := turnUtterances(rec.Turns)
		gv := gameVerdict(j.Judge(rec.Subject, mt, h), judgeID, h)
		judged++
		if record {
			pending = append(pending, episodes.Verdict{EpisodeID: rec.ID, Verdict: gv})
			if len(pending) == batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if gv.Outcome == rec.Verdict.Outcome && gv.DecidedAt == rec.Verdict.DecidedAt {
			continue
		}
		differ++
		if err := enc.Encode(rejudgeLine{ID: rec.ID, RunID: rec.RunID, Index: rec.Index, Subject: rec.Subject,
			Stored: rec.Verdict, Rejudged: gv}); err != nil {
			return err
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%d episodes re-judged by %s: %d differ from the stored verdict\n", judged, judgeID, differ)
	for _, title := range slices.Sorted(maps.Keys(skipped)) {
		fmt.Fprintf(cmd.ErrOrStderr(), "%d %s episodes skipped: that game's own rules decide them, not a judge of %s\n",
			skipped[title], title, taboo.Description.Title)
	}
	return nil
}

// turnUtterances is the judge's view of stored turns.
func turnUtterances(turns []game.Turn) []judge.Utterance {
	h := make([]judge.Utterance, len(turns))
	for i, t := range turns {
		h[i] = judge.Utterance{Role: t.Role, Text: t.Text}
	}
	return h
}

// gameVerdict turns a judge's verdict on history h into the stored form,
// with the evidence text cut from the utterance.
func gameVerdict(v judge.Verdict, judgeID string, h []judge.Utterance) game.Verdict {
	gv := game.Verdict{Outcome: string(v.Outcome), DecidedAt: v.DecidedAt, Rule: v.Rule, Judge: judgeID,
		Evidence: game.Evidence{Turn: v.Evidence.Utterance, Start: v.Evidence.Start, End: v.Evidence.End}}
	if u := v.Evidence.Utterance; u > 0 && u <= len(h) {
		gv.Evidence.Text = h[u-1].Text[v.Evidence.Start:v.Evidence.End]
	}
	return gv
}
