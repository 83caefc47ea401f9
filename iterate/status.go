// Package iterate reads recorded loops for the views of other processes:
// a Taboo loop's status as it runs (spag watch) and a loop's page with
// its tables and plots (spag report). The loops themselves run in
// taboo/tabooloop and apo/apoloop.
package iterate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/taboo/tabooloop"
)

// Stages returns the stages of a round in the order they run.
func Stages() []string {
	return []string{tabooloop.StageSelfplay, tabooloop.StageRewards, tabooloop.StageTrain, tabooloop.StageEval, tabooloop.StagePlot}
}

// Status is a loop as its store records it, for a view that follows a
// loop another process runs.
type Status struct {
	ID        string
	CreatedAt time.Time
	// Rounds is the number of rounds the loop runs.
	Rounds int
	// Round is the latest round recorded (from 1), 0 before the first;
	// Stage is the next stage it runs ([tabooloop.StageDone] once it is over).
	Round int
	Stage string
	// Run is the run the stage plays: the round's self-play run, or the
	// newest of its arena runs; "" in the other stages and before the
	// stage has begun its run.
	Run string
	// Runs are every run the loop recorded.
	Runs []string
	// Results are the evaluation results of every round so far, those of
	// an evaluation in progress included.
	Results []eval.RoundResult
}

// Done reports whether the loop has finished its last round.
func (s *Status) Done() bool { return s.Round >= s.Rounds && s.Stage == tabooloop.StageDone }

// ReadStatus reads the status of loop id, or of the latest loop for "",
// from store. It only reads, so the store may be opened read-only while
// another process runs the loop.
func ReadStatus(ctx context.Context, store *episodes.Store, id string) (*Status, error) {
	rec, cfg, err := tabooloop.Recorded(ctx, store, id)
	if err != nil {
		return nil, err
	}
	rounds, err := store.Rounds(ctx, rec.ID)
	if err != nil {
		return nil, err
	}
	s := &Status{ID: rec.ID, CreatedAt: rec.CreatedAt, Rounds: cfg.Rounds, Stage: tabooloop.StageSelfplay}
	var last tabooloop.RoundState
	for _, r := range rounds {
		st, err := roundState(r)
		if err != nil {
			return nil, fmt.Errorf("loop %s: %w", rec.ID, err)
		}
		s.Round, s.Stage, last = r.Round, r.Stage, st
		s.Results = append(s.Results, st.Results...)
		if st.SelfplayRun != "" {
			s.Runs = append(s.Runs, st.SelfplayRun)
		}
		for _, opp := range slices.Sorted(maps.Keys(st.Arenas)) {
			for _, label := range slices.Sorted(maps.Keys(st.Arenas[opp])) {
				s.Runs = append(s.Runs, st.Arenas[opp][label])
			}
		}
	}
	switch s.Stage {
	case tabooloop.StageSelfplay:
		s.Run = last.SelfplayRun
	case tabooloop.StageEval:
		if s.Run, err = newestArena(ctx, store, last.Arenas); err != nil {
			return nil, fmt.Errorf("loop %s round %d: %w", rec.ID, s.Round, err)
		}
	}
	return s, nil
}

// newestArena returns the most recently created of a round's arena runs:
// the arena plays its pairings one after the other, so it is the one in
// play.
func newestArena(ctx context.Context, store *episodes.Store, arenas map[string]map[string]string) (string, error) {
	var newest *episodes.Run
	for _, runs := range arenas {
		for _, id := range runs {
			run, err := store.RunInfo(ctx, id)
			if err != nil {
				return "", err
			}
			if newest == nil || run.CreatedAt.After(newest.CreatedAt) || run.CreatedAt.Equal(newest.CreatedAt) && run.ID > newest.ID {
				newest = run
			}
		}
	}
	if newest == nil {
		return "", nil
	}
	return newest.ID, nil
}

// NewestStatus returns the status of the store's newest loop when the
// loop is the newest thing in the store: the store's newest run is one of
// the loop's, or there is none newer than the loop. ok is false when the
// store holds no loop, or runs made since by something else.
func NewestStatus(ctx context.Context, store *episodes.Store) (s *Status, ok bool, err error) {
	s, err = ReadStatus(ctx, store, "")
	if errors.Is(err, episodes.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	run, err := store.LatestRunInfo(ctx)
	if errors.Is(err, episodes.ErrNotFound) {
		return s, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return s, slices.Contains(s.Runs, run.ID) || !run.CreatedAt.After(s.CreatedAt), nil
}
