// Package rejudge judges stored Adversarial Taboo episodes again, with
// either judge, and records the new verdicts beside the old ones.
package rejudge

import (
	"context"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/dataset"
)

// Line is an episode whose new verdict differs from the stored one, in the
// key names of episodes export --format jsonl.
type Line struct {
	ID       int64        `json:"id"`
	RunID    string       `json:"run_id"`
	Index    int          `json:"index"`
	Subject  string       `json:"subject"`
	Stored   game.Verdict `json:"stored"`
	Rejudged game.Verdict `json:"rejudged"`
}

// Result counts what [Stored] did.
type Result struct {
	// Judged counts the episodes judged again, Differ those whose verdict
	// changed.
	Judged, Differ int
	// Skipped counts the episodes of other games, by the game's title:
	// their own rules decide them, not a judge of Adversarial Taboo.
	Skipped map[string]int
}

// batch is how many verdicts are stored in one transaction: memory stays
// flat and an interrupt keeps every committed batch.
const batch = 512

// Stored judges the stored, non-errored episodes of run runID (every run
// when empty) with j, calls differ for each whose outcome or deciding
// utterance changed and, with record, stores every new verdict beside the
// old one. Episodes of other games are counted, not judged.
func Stored(ctx context.Context, store *episodes.Store, j judge.Judge, runID string, record bool, differ func(Line) error) (Result, error) {
	res := Result{Skipped: map[string]int{}}
	runs, err := store.RunInfos(ctx)
	if err != nil {
		return res, err
	}
	maxTurns := map[string]int{}
	otherGame := map[string]string{}
	for i, r := range runs {
		maxTurns[r.ID] = r.MaxTurns
		if game.NameOf(r.Game) != taboo.Name {
			d, _ := game.Games.Lookup(game.NameOf(r.Game))
			otherGame[r.ID] = game.NameOf(runs[i].Game)
			if d != nil {
				otherGame[r.ID] = d.Title
			}
		}
	}
	judgeID := taboo.JudgeID(j)
	notErrored := false
	var pending []episodes.Verdict
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := store.AddVerdicts(ctx, pending)
		pending = pending[:0]
		return err
	}
	for rec, err := range store.Iter(ctx, episodes.Filter{RunID: runID, Errored: &notErrored, Turns: true}) {
		if err != nil {
			return res, err
		}
		if title, other := otherGame[rec.RunID]; other {
			res.Skipped[title]++
			continue
		}
		mt := maxTurns[rec.RunID]
		if mt < 1 {
			mt = dataset.ImportedMaxTurns(rec.Extra)
		}
		h := taboo.Utterances(rec.Turns)
		gv := taboo.JudgeVerdict(j.Judge(rec.Subject, mt, h), judgeID, h)
		res.Judged++
		if record {
			pending = append(pending, episodes.Verdict{EpisodeID: rec.ID, Verdict: gv})
			if len(pending) == batch {
				if err := flush(); err != nil {
					return res, err
				}
			}
		}
		if gv.Outcome == rec.Verdict.Outcome && gv.DecidedAt == rec.Verdict.DecidedAt {
			continue
		}
		res.Differ++
		if err := differ(Line{ID: rec.ID, RunID: rec.RunID, Index: rec.Index, Subject: rec.Subject, Stored: rec.Verdict, Rejudged: gv}); err != nil {
			return res, err
		}
	}
	return res, flush()
}
