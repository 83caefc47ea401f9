package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/safetext"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/tui"
)

func newReplayCmd() *cobra.Command {
	var db string
	var id int64
	var f episodes.Filter
	var errored string
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "List stored episodes, or show one turn by turn",
		Long: `replay lists the episodes in the database (newest run first, each run's
episodes in order; --player matches a run's player by meaning, as the run
recorded it: builtin,skill=0.9 finds builtin:skill=0.9, native:m.ckpt the
checkpoint's absolute path), or with --episode shows one episode: every turn, the verdict, the
rule that fired and the evidence marked in the text as »…«. When the other
judge would have decided differently, its verdict is shown too.

On a terminal (and without --episode) replay opens the episode browser:
filter, search, open an episode with Enter, step through it with ←/→,
export it with m (Markdown) or x (JSON); ? lists the keys, q quits. When
stdout is not a terminal it prints the list as text.

Model output is shown with terminal control sequences made visible, never
executed.`,
		Example: `  spag replay --limit 20
  spag replay --outcome defender_wins --word apple
  spag replay --episode 42`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch errored {
			case "":
			case "yes", "no":
				b := errored == "yes"
				f.Errored = &b
			default:
				return usagef("--errored %q: want yes or no", errored)
			}
			store, err := openReader(cmd.Context(), db)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := checkFilter(cmd.Context(), store, f); err != nil {
				return err
			}
			if f, err = matchPlayer(cmd.Context(), store, f); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if id != 0 {
				return showEpisode(cmd.Context(), w, store, id)
			}
			if isTerminal(w) {
				return browseEpisodes(cmd, store, f)
			}
			return listEpisodes(cmd.Context(), w, store, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&db, "db", "spag.db", "SQLite database")
	fl.Int64Var(&id, "episode", 0, "show this episode (its ID from the list)")
	fl.StringVar(&f.RunID, "run", "", "only this run")
	fl.StringVar(&f.Outcome, "outcome", "", "only this outcome ("+outcomesHelp()+")")
	f.NewestRunFirst = true
	fl.StringVar(&f.Subject, "word", "", "only this subject ("+subjectsHelp()+")")
	fl.StringVar(&f.Player, "player", "", "only runs with this player spec")
	fl.IntVar(&f.DecidedAt, "decided-at", 0, "only episodes decided at this utterance")
	fl.StringVar(&errored, "errored", "", "yes: only errored episodes; no: only judged ones")
	fl.IntVar(&f.Limit, "limit", 50, "list at most this many (0: all)")
	fl.IntVar(&f.Offset, "offset", 0, "skip this many")
	return cmd
}

// listPage is how many rows of the list are held at once: the list
// streams, so memory stays flat however many episodes match.
const listPage = 1000

// columns writes rows of cells aligned in columns, a page at a time. A
// column's width is the widest cell seen so far, so every page lines up
// with the ones before unless it holds a wider cell.
type columns struct {
	w      io.Writer
	widths []int
	rows   [][]string
}

func (c *columns) add(cells ...string) error {
	c.rows = append(c.rows, cells)
	if len(c.rows) == listPage {
		return c.flush()
	}
	return nil
}

func (c *columns) flush() error {
	for _, row := range c.rows {
		for i, cell := range row {
			if i == len(c.widths) {
				c.widths = append(c.widths, 0)
			}
			c.widths[i] = max(c.widths[i], utf8.RuneCountInString(cell))
		}
	}
	var b strings.Builder
	for _, row := range c.rows {
		b.Reset()
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", c.widths[i]-utf8.RuneCountInString(cell)+2))
			}
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(c.w, b.String()); err != nil {
			return err
		}
	}
	c.rows = c.rows[:0]
	return nil
}

func listEpisodes(ctx context.Context, w io.Writer, store *episodes.Store, f episodes.Filter) error {
	bw := bufio.NewWriter(w)
	// Room for seven-digit IDs and indices from the start, so that the
	// columns of a large list do not shift as the numbers grow.
	cols := &columns{w: bw, widths: []int{7, 0, 7}}
	cols.add("ID", "RUN", "IDX", "WORD", "OUTCOME", "DECIDED", "RULE")
	n := 0
	for rec, err := range store.Iter(ctx, f) {
		if err != nil {
			return err
		}
		outcome := rec.Verdict.Outcome
		if rec.Errored() {
			outcome = "errored"
		}
		err := cols.add(strconv.FormatInt(rec.ID, 10), rec.RunID, strconv.Itoa(rec.Index),
			safetext.Visible(rec.Subject), outcome, strconv.Itoa(rec.Verdict.DecidedAt), rec.Verdict.Rule)
		if err != nil {
			return err
		}
		n++
	}
	if err := cols.flush(); err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(bw, "(no episodes match)")
	}
	return bw.Flush()
}

// markEvidence returns text with the evidence span wrapped in »…«.
func markEvidence(text string, start, end int) string {
	if start < 0 || end > len(text) || start > end {
		return safetext.Visible(text)
	}
	return safetext.Visible(text[:start]) + "»" + safetext.Visible(text[start:end]) + "«" + safetext.Visible(text[end:])
}

func showEpisode(ctx context.Context, w io.Writer, store *episodes.Store, id int64) error {
	rec, err := store.Episode(ctx, id)
	if errors.Is(err, episodes.ErrNotFound) {
		return usagef("--episode %d: no such episode in %s (spag replay lists them)", id, store.Path())
	}
	if err != nil {
		return err
	}
	var b strings.Builder
	run, err := store.RunInfo(ctx, rec.RunID)
	if err != nil {
		return err
	}
	subject := "subject"
	if d := describeRun(run); d != nil {
		subject = d.Subject
	}
	fmt.Fprintf(&b, "episode %d (run %s, #%d)  %s: %s\n\n", rec.ID, rec.RunID, rec.Index, subject, safetext.Visible(rec.Subject))
	ev := rec.Verdict.Evidence
	for _, t := range rec.Turns {
		text := safetext.Visible(t.Text)
		if t.N == ev.Turn && ev.End > ev.Start {
			text = markEvidence(t.Text, ev.Start, ev.End)
		}
		fmt.Fprintf(&b, "%2d %-8s %s\n", t.N, t.Role, strings.ReplaceAll(text, "\n", "\n            "))
	}
	b.WriteString("\n")
	if rec.Errored() {
		fmt.Fprintf(&b, "errored: %s\n", safetext.Visible(rec.Err))
	} else {
		v := rec.Verdict
		fmt.Fprintf(&b, "verdict  %s at utterance %d (%s, rule %s)\n", v.Outcome, v.DecidedAt, v.Judge, v.Rule)
		if v.Evidence.Turn > 0 {
			fmt.Fprintf(&b, "evidence utterance %d bytes %d-%d: »%s«\n", v.Evidence.Turn, v.Evidence.Start, v.Evidence.End, safetext.Visible(v.Evidence.Text))
		}
		stored, err := store.Verdicts(ctx, rec.ID)
		if err != nil {
			return err
		}
		recorded := map[string]bool{} // by judge name, without the version
		for _, sv := range stored {
			if sv.Judge == v.Judge {
				continue
			}
			name, _, _ := strings.Cut(sv.Judge, "@")
			recorded[name] = true
			fmt.Fprintf(&b, "recorded  %s: %s at utterance %d (rule %s)\n", sv.Judge, sv.Outcome, sv.DecidedAt, sv.Rule)
		}
		// A verdict of the other judge recorded above is not said again.
		if other := otherJudgeVerdict(rec, run.MaxTurns); other != nil && !recorded[other.name] {
			fmt.Fprintf(&b, "the %s judge would say %s at utterance %d (rule %s)\n", other.name, other.v.Outcome, other.v.DecidedAt, other.v.Rule)
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

type namedVerdict struct {
	name string
	v    judge.Verdict
}

// otherJudgeVerdict re-judges the episode with the judge that did not
// decide it and returns its verdict when the outcome or turn differs.
func otherJudgeVerdict(rec *episodes.Record, maxTurns int) *namedVerdict {
	name, _, _ := strings.Cut(rec.Verdict.Judge, "@")
	var otherName string
	switch name {
	case "strict":
		otherName = "spag"
	case "spag":
		otherName = "strict"
	default:
		return nil // not a Taboo judge: an episode of another game has no second judge
	}
	j, err := judge.ByName(otherName)
	if err != nil || maxTurns < 1 {
		return nil
	}
	h := turnUtterances(rec.Turns)
	v := j.Judge(rec.Subject, maxTurns, h)
	if string(v.Outcome) == rec.Verdict.Outcome && v.DecidedAt == rec.Verdict.DecidedAt {
		return nil
	}
	return &namedVerdict{otherName, v}
}

// browseEpisodes opens the terminal browser on the episodes f selects.
func browseEpisodes(cmd *cobra.Command, store *episodes.Store, f episodes.Filter) error {
	if !cmd.Flags().Changed("limit") {
		f.Limit = 0 // the browser loads up to its own limit
	}
	logw, closeLog := tuiLog(cmd)
	defer closeLog()
	_, err := tui.Run(cmd.Context(), tui.Config{
		Start:   tui.ReplayView,
		Replay:  tui.ReplayConfig{Source: store, Filter: f, Limit: f.Limit, Rejudge: rejudger(store), Outcomes: knownOutcomes()},
		NoColor: noColor(),
	}, tui.RunOptions{In: cmd.InOrStdin(), Out: cmd.OutOrStdout(), Log: logw})
	return err
}

// rejudger gives the browser the other judge's verdict on an episode, when
// it differs.
func rejudger(store *episodes.Store) tui.Rejudger {
	return func(ctx context.Context, rec *episodes.Record) ([]game.Verdict, error) {
		if rec.Errored() {
			return nil, nil
		}
		run, err := store.RunInfo(ctx, rec.RunID)
		if err != nil {
			return nil, err
		}
		other := otherJudgeVerdict(rec, run.MaxTurns)
		if other == nil {
			return nil, nil
		}
		v := other.v
		gv := game.Verdict{Outcome: string(v.Outcome), DecidedAt: v.DecidedAt, Rule: v.Rule, Judge: other.name,
			Evidence: game.Evidence{Turn: v.Evidence.Utterance, Start: v.Evidence.Start, End: v.Evidence.End}}
		if j, err := judge.ByName(other.name); err == nil {
			gv.Judge = taboo.JudgeID(j)
		}
		if u := v.Evidence.Utterance; u > 0 && u <= len(rec.Turns) {
			text := rec.Turns[u-1].Text
			if v.Evidence.Start >= 0 && v.Evidence.Start <= v.Evidence.End && v.Evidence.End <= len(text) {
				gv.Evidence.Text = text[v.Evidence.Start:v.Evidence.End]
			}
		}
		return []game.Verdict{gv}, nil
	}
}
