package iterate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/taboo/tabooloop"
)

// ReportOptions choose what [WriteReport] puts on the page.
type ReportOptions struct {
	// Loop is a loop whose rounds the page shows ("" for none).
	Loop string
	// Runs are runs the page shows one section each.
	Runs []string
	// Dir is where the page's figures are written; the page links them by
	// paths relative to it, so the page belongs in Dir too.
	Dir string
	// HTML writes HTML instead of Markdown.
	HTML bool
	// Histories read the evaluation of loops of other games than Taboo
	// (an APO loop's, apoloop.History), by the game their loop records;
	// a loop of a game missing here is refused.
	Histories map[string]LoopHistory
}

// LoopHistory reads the evaluation results of a stored loop's finished
// rounds and how its charts show them, for a loop of another game than
// Taboo.
type LoopHistory func(ctx context.Context, store *episodes.Store, loopID string) (eval.LoopCharts, error)

// LatestReport is what a page shows when nothing is named: the latest
// loop, or in a database without loops the latest run. Its error wraps
// [episodes.ErrNotFound] when the store holds neither.
func LatestReport(ctx context.Context, store *episodes.Store) (ReportOptions, error) {
	l, err := store.LatestLoop(ctx)
	switch {
	case err == nil:
		return ReportOptions{Loop: l.ID}, nil
	case !errors.Is(err, episodes.ErrNotFound):
		return ReportOptions{}, err
	}
	r, err := store.LatestPlayedRunInfo(ctx)
	if err != nil {
		return ReportOptions{}, err
	}
	return ReportOptions{Runs: []string{r.ID}}, nil
}

// WriteReport writes one page with the tables and plots of a loop and of
// runs: a loop's evaluation per round and role with intervals, its
// training curves and the role balance of its data; a run's outcome mix,
// rules and decided_at histogram.
//
// A failed report removes the figures it created (see [eval.Made]).
func WriteReport(ctx context.Context, w io.Writer, store *episodes.Store, o ReportOptions) error {
	made := &eval.Made{}
	if err := writeReport(ctx, w, store, o, made); err != nil {
		return errors.Join(err, made.Remove())
	}
	return nil
}

// WriteReportFile writes the page to path ([atomicfile.Write]) with its
// figures in o.Dir. When anything fails, a full disk included, the page
// is left as it was and the figures this call created are removed, so a
// failed report leaves no new file behind.
func WriteReportFile(ctx context.Context, path string, store *episodes.Store, o ReportOptions) error {
	made := &eval.Made{}
	err := atomicfile.Write(path, func(w io.Writer) error { return writeReport(ctx, w, store, o, made) })
	if err != nil {
		return errors.Join(err, made.Remove())
	}
	return nil
}

func writeReport(ctx context.Context, w io.Writer, store *episodes.Store, o ReportOptions, made *eval.Made) error {
	rep := eval.Report{Title: "spag report"}
	if o.Loop != "" {
		rec, err := store.Loop(ctx, o.Loop)
		if err != nil {
			return err
		}
		rep.Title = "spag loop " + o.Loop
		var c eval.LoopCharts
		if g := loop.GameOf(rec.Config); g != "" && g != tabooloop.Game {
			gameHistory := o.Histories[g]
			if gameHistory == nil {
				_, _, err := tabooloop.Recorded(ctx, store, o.Loop) // says whose loop it is
				return err
			}
			if c, err = gameHistory(ctx, store, o.Loop); err != nil {
				return err
			}
			rep.Title = fmt.Sprintf("spag loop %s (%s)", o.Loop, g)
			rep.Rounds, rep.Tables = c.Rounds, c.Tables
		} else {
			_, cfg, err := tabooloop.Recorded(ctx, store, o.Loop)
			if err != nil {
				return err
			}
			results, points, err := tabooloop.History(ctx, store, o.Loop)
			if err != nil {
				return err
			}
			c = tabooloop.Charts(cfg, results, points)
			rep.Rounds, rep.Training = results, points
			if rep.Samples, err = tabooloop.Samples(ctx, store, o.Loop); err != nil {
				return err
			}
		}
		if len(c.Rounds) > 0 || len(c.Values) > 0 {
			c.WinRate.Loop = o.Loop
			if rep.Figures, err = made.SaveLoopFigures(o.Dir, c); err != nil {
				return err
			}
		}
	}
	for _, id := range o.Runs {
		sum, err := RunSummary(ctx, store, id)
		if err != nil {
			return err
		}
		if sum.Figures, err = made.SaveRunFigures(o.Dir, filepath.Base(id)+"-", sum); err != nil {
			return err
		}
		rep.Runs = append(rep.Runs, sum)
	}
	if o.HTML {
		return eval.WriteHTML(w, rep)
	}
	return eval.WriteMarkdown(w, rep)
}

// RunSummary describes a stored run for a report, with its outcomes in the
// order its game's description lists them.
func RunSummary(ctx context.Context, store *episodes.Store, runID string) (eval.RunSummary, error) {
	run, err := store.Run(ctx, runID)
	if err != nil {
		return eval.RunSummary{}, err
	}
	st, err := store.Stats(ctx, runID)
	if err != nil {
		return eval.RunSummary{}, err
	}
	sum := eval.RunSummary{ID: run.ID, Game: run.Game, Judge: run.Judge, Errored: st.Errored}
	if sum.DecidedAt, err = store.DecidedAt(ctx, runID); err != nil {
		return eval.RunSummary{}, err
	}
	desc, err := game.Games.Describe(run.Game)
	roles := make([]string, 0, len(run.Players))
	if err == nil {
		roles = desc.Roles
		for _, o := range desc.Outcomes {
			sum.Outcomes = append(sum.Outcomes, eval.OutcomeCount{Outcome: o.Name, Count: st.Outcomes[o.Name], RuleBreak: o.RuleBreak})
		}
	} else {
		for role := range run.Players {
			roles = append(roles, role)
		}
		sort.Strings(roles)
		for name, n := range st.Outcomes {
			sum.Outcomes = append(sum.Outcomes, eval.OutcomeCount{Outcome: name, Count: n})
		}
		sort.Slice(sum.Outcomes, func(i, j int) bool { return sum.Outcomes[i].Outcome < sum.Outcomes[j].Outcome })
	}
	for _, role := range roles {
		sum.Players = append(sum.Players, eval.Player{Role: role, Spec: run.Players[role]})
	}
	rules := make([]string, 0, len(st.Rules))
	for r := range st.Rules {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		sum.Rules = append(sum.Rules, eval.Bar{Label: r, Count: st.Rules[r]})
	}
	sum.Details = []eval.Detail{
		{Name: "created", Value: run.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC")},
		{Name: "seed", Value: fmt.Sprint(run.Seed)},
		{Name: "episodes", Value: fmt.Sprintf("%d of %d planned", st.Episodes, run.Total)},
		{Name: "code version", Value: run.CodeVersion},
	}
	return sum, nil
}

func roundState(r episodes.Round) (tabooloop.RoundState, error) {
	var st tabooloop.RoundState
	if err := json.Unmarshal(r.State, &st); err != nil {
		return st, fmt.Errorf("round %d: stored state unreadable: %w", r.Round, err)
	}
	return st, nil
}
