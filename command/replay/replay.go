// Package replay is `spag replay`: the stored episodes as a list, one
// episode turn by turn, or on a terminal the episode browser.
package replay

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

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/safetext"
	"github.com/spag-go/spag/tui"
)

// Options are every input of `spag replay`.
type Options struct {
	IO         *cmdutil.IOStreams
	OpenReader func(ctx context.Context, path string) (*episodes.Store, error)

	DB      string
	Episode int64
	Filter  episodes.Filter
	// LimitSet says --limit was given: the browser otherwise loads up to
	// its own limit.
	LimitSet bool
}

// NewCmdReplay returns the command; runF does the work (nil: [Run]).
func NewCmdReplay(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, OpenReader: f.OpenReader}
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
  spag replay --outcome tie --word apple
  spag replay --episode 42`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch errored {
			case "":
			case "yes", "no":
				b := errored == "yes"
				opts.Filter.Errored = &b
			default:
				return cmdutil.Usagef("--errored %q: want yes or no", errored)
			}
			opts.LimitSet = cmd.Flags().Changed("limit")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	f2 := &opts.Filter
	fl.StringVar(&opts.DB, "db", "spag.db", "SQLite database")
	fl.Int64Var(&opts.Episode, "episode", 0, "show this episode (its ID from the list)")
	fl.StringVar(&f2.RunID, "run", "", "only this run")
	fl.StringVar(&f2.Outcome, "outcome", "", "only this outcome ("+cmdutil.OutcomesHelp()+")")
	f2.NewestRunFirst = true
	fl.StringVar(&f2.Subject, "word", "", "only this subject ("+cmdutil.SubjectsHelp()+")")
	fl.StringVar(&f2.Player, "player", "", "only runs with this player spec")
	fl.IntVar(&f2.DecidedAt, "decided-at", 0, "only episodes decided at this utterance")
	fl.StringVar(&errored, "errored", "", "yes: only errored episodes; no: only judged ones")
	fl.IntVar(&f2.Limit, "limit", 50, "list at most this many (0: all)")
	fl.IntVar(&f2.Offset, "offset", 0, "skip this many")
	return cmd
}

// Run lists, shows or browses what opts select.
func Run(ctx context.Context, opts *Options) error {
	store, err := opts.OpenReader(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	f := opts.Filter
	if err := cmdutil.CheckFilter(ctx, store, f); err != nil {
		return err
	}
	if f, err = cmdutil.MatchPlayer(ctx, store, f); err != nil {
		return err
	}
	w := opts.IO.Out
	if opts.Episode != 0 {
		return ShowEpisode(ctx, w, store, opts.Episode)
	}
	if opts.IO.IsStdoutTTY() {
		if !opts.LimitSet {
			f.Limit = 0 // the browser loads up to its own limit
		}
		logw, closeLog := cmdutil.TUILog(opts.IO.ErrOut)
		defer closeLog()
		_, err := tui.Run(ctx, tui.Config{
			Start:   tui.ReplayView,
			Replay:  tui.ReplayConfig{Source: store, Filter: f, Limit: f.Limit, Rejudge: tui.SecondOpinions(store), Outcomes: cmdutil.KnownOutcomes()},
			NoColor: cmdutil.NoColor(),
		}, tui.RunOptions{In: opts.IO.In, Out: w, Log: logw})
		return err
	}
	return ListEpisodes(ctx, w, store, f)
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

// ListEpisodes writes the episodes f selects as a table, one a line.
func ListEpisodes(ctx context.Context, w io.Writer, store *episodes.Store, f episodes.Filter) error {
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

// ShowEpisode writes episode id turn by turn with its verdict, the
// verdicts recorded beside it and the second opinion of its game's other
// judge when that differs.
func ShowEpisode(ctx context.Context, w io.Writer, store *episodes.Store, id int64) error {
	rec, err := store.Episode(ctx, id)
	if errors.Is(err, episodes.ErrNotFound) {
		return cmdutil.Usagef("--episode %d: no such episode in %s (spag replay lists them)", id, store.Path())
	}
	if err != nil {
		return err
	}
	var b strings.Builder
	run, err := store.RunInfo(ctx, rec.RunID)
	if err != nil {
		return err
	}
	d := cmdutil.DescribeRun(run)
	subject := "subject"
	if d != nil {
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
		if d != nil && d.SecondOpinion != nil {
			if other, ok := d.SecondOpinion(rec.Subject, run.MaxTurns, rec.Turns, v); ok {
				if name, _, _ := strings.Cut(other.Judge, "@"); !recorded[name] {
					fmt.Fprintf(&b, "the %s judge would say %s at utterance %d (rule %s)\n", name, other.Outcome, other.DecidedAt, other.Rule)
				}
			}
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}
