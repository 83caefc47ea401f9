package loop

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/rl/trainer"
	"github.com/spag-go/spag/selfplay"
)

// Play plays plan in round r: the recorded run when run is not nil
// (resumed), else a new run. As soon as a new run has begun, before a
// game is played, record is given its ID, which the caller puts in the
// round's state, and the round is saved, so that a resumed round plays
// the same run; only then is begun told the run's ID and the games it
// has left (a line of the log, which a watcher may take to mean that the
// run is recorded). what names the run in errors ("self-play"). A drained
// or cancelled run returns [ErrInterrupted]; a run with errored games an
// error saying that a resume plays them.
func (r *Round[S]) Play(ctx context.Context, plan *selfplay.Plan, run *episodes.Run, what string, record func(run string), begun func(run string, pending int)) error {
	resumed := run != nil
	if resumed {
		if err := selfplay.CheckResumable(run, plan); err != nil {
			return err
		}
	}
	run, pending, err := r.env.Session.Begin(ctx, plan, run)
	if err != nil {
		return err
	}
	if !resumed {
		record(run.ID)
		if err := r.Save(ctx); err != nil {
			return err
		}
	}
	begun(run.ID, pending.Len())
	res, err := r.env.Session.Play(ctx, run, plan, pending, r.env.Options)
	if err != nil {
		return err
	}
	switch {
	case res.Interrupted:
		return ErrInterrupted
	case res.Errored > 0:
		return fmt.Errorf("%s: %d of %d games errored (first: %s); resume the loop to play them", what, res.Errored, res.Planned, res.FirstError)
	}
	return nil
}

// Train is [Train] of job in round r, with the loop's trainer, stop,
// log and store: the round is saved when the training is recorded.
func (r *Round[S]) Train(ctx context.Context, job trainer.Job, trainingID *string, starting func(resumed bool), what string) (string, error) {
	job.Stop, job.Log, job.LogEvery, job.Store, job.CodeVersion = r.env.Stop, r.env.Log, 10, r.store, r.env.CodeVersion
	return Train(ctx, r.env.Trainer, job, trainingID, func() error { return r.Save(ctx) }, starting, what)
}

// Plot writes the charts of the loop's results, other measures and
// training curves so far to its directory, and logs where they are; with
// no result or measure yet it writes none. The charts name the loop
// unless c names one.
func (r *Round[S]) Plot(c eval.LoopCharts) error {
	if len(c.Rounds) == 0 && len(c.Values) == 0 {
		return nil
	}
	if c.WinRate.Loop == "" {
		c.WinRate.Loop = r.loop
	}
	links, err := eval.SaveLoopFigures(r.out, c)
	if err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	for _, f := range links {
		r.Logf("%s: %s", f.Caption, f.Path)
	}
	return nil
}

// SaveInterval is how often a loop's training saves its checkpoint
// between steps when the job sets no interval of its own: a killed loop
// (kill -9) resumes its training from the last save, losing at most about
// this much training.
const SaveInterval = time.Minute

// Train runs job, or resumes the interrupted run that job.Out holds
// unfinished (from that checkpoint, with Job.Resume); starting is told
// which before training begins. The checkpoint is saved every
// [SaveInterval] unless job sets SaveEvery or SaveInterval. The training's
// ID goes to *trainingID as soon as the trainer records it, and record
// (which saves the round's state) is called then, so that a resumed
// training continues the same record rather than leaving the killed one's
// behind. It returns the trained native checkpoint; a stop between steps
// or a cancellation returns [ErrInterrupted] (the checkpoint resumes it),
// other errors name what.
func Train(ctx context.Context, t trainer.Trainer, job trainer.Job, trainingID *string, record func() error, starting func(resumed bool), what string) (string, error) {
	if job.SaveEvery == 0 && job.SaveInterval == 0 {
		job.SaveInterval = SaveInterval
	}
	job.TrainingID = *trainingID
	job.Recorded = func(id string) error {
		if id == *trainingID {
			return nil
		}
		*trainingID = id
		return record()
	}
	resumed, err := trainer.Resumable(job.Out)
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w", what, job.Out, err)
	}
	if resumed {
		job.Init, job.Resume = trainer.Policy{Checkpoint: job.Out}, true
	}
	starting(resumed)
	res, err := t.Train(ctx, job)
	if res.TrainingID != "" && *trainingID == "" {
		*trainingID = res.TrainingID
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return "", ErrInterrupted
		}
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if !res.Done() && res.Total > 0 {
		return "", ErrInterrupted // stopped between steps; the checkpoint resumes it
	}
	if res.Policy.Checkpoint == "" {
		return "", fmt.Errorf("%s: the trainer produced no native checkpoint (policy %+v); the loop plays native checkpoints", what, res.Policy)
	}
	return res.Policy.Checkpoint, nil
}
