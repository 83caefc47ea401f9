// Package loopkit holds what every game's loop of rounds does the same way
// (package iterate for Taboo, apo/apoloop for APO): the loop's record in
// the episodes store, with each round's stage and state saved as it
// finishes; a run played or resumed so that its ID is recorded as soon as
// it begins; and a training stage that resumes its own interrupted run.
// A loop built on it resumes after a kill at the stage it was in, without
// replaying a finished game; a killed training resumes from its checkpoint,
// saved every [SaveInterval], repeating at most the steps since that save,
// in the same training record. One process at a time runs a loop
// ([Hold]).
package loopkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
	"github.com/spag-go/spag/selfplay"
)

// ErrInterrupted is returned when a loop stopped for a drain or a
// cancellation; what finished is recorded and the loop can be resumed.
var ErrInterrupted = errors.New("loop interrupted")

// Record is a loop's record in the store, held by this process: its
// lease keeps a second process from running the same loop at once (a
// second --resume), which would play and train every remaining stage
// again. Close releases it.
type Record struct {
	ID    string
	Store *episodes.Store
	// Log receives a line per stage; nil discards them.
	Log     io.Writer
	release func() error
}

// Create records a new loop whose configuration is config (as JSON) and
// takes its lease.
func Create(ctx context.Context, store *episodes.Store, config any, codeVersion string, log io.Writer) (*Record, error) {
	raw, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	rec := &episodes.Loop{Config: raw, CodeVersion: codeVersion}
	if err := store.CreateLoop(ctx, rec); err != nil {
		return nil, err
	}
	return Hold(ctx, store, rec.ID, log)
}

// Hold takes the lease of the recorded loop id, to resume it. A loop run
// by another live process is refused with an error naming that process
// (an [*episodes.BusyError]); one left by a process that died on this
// host (killed) is taken over.
func Hold(ctx context.Context, store *episodes.Store, id string, log io.Writer) (*Record, error) {
	release, err := store.AcquireLoop(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Record{ID: id, Store: store, Log: log, release: release}, nil
}

// Close releases the loop's lease; it is safe to call more than once.
func (r *Record) Close() error {
	if r.release == nil {
		return nil
	}
	return r.release()
}

// GameOf is the game a recorded loop configuration names in its "game"
// field: "" for a Taboo loop of package iterate, which records none, or
// for a configuration that is not JSON.
func GameOf(config json.RawMessage) string {
	var g struct {
		Game string `json:"game"`
	}
	if json.Unmarshal(config, &g) != nil {
		return ""
	}
	return g.Game
}

// Logf writes a line about the loop.
func (r *Record) Logf(format string, args ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, "loop %s: "+format+"\n", append([]any{r.ID}, args...)...)
	}
}

// Save records round's stage and state (as JSON); a loop calls it after
// each stage finishes and as soon as a stage has begun a run, so a crash
// loses at most the stage in flight, whose own work (stored episodes,
// saved steps) the resumed stage takes up.
func (r *Record) Save(ctx context.Context, round *episodes.Round, state any) error {
	raw, err := json.Marshal(state)
	if err != nil {
		return err
	}
	round.State = raw
	return r.Store.SaveRound(ctx, r.ID, *round)
}

// Find returns round n of the recorded rounds and decodes its state into
// state; ok is false when round n was not recorded.
func Find(rounds []episodes.Round, n int, state any) (round episodes.Round, ok bool, err error) {
	for _, r := range rounds {
		if r.Round == n {
			if err := json.Unmarshal(r.State, state); err != nil {
				return r, true, fmt.Errorf("round %d: stored state unreadable: %w", n, err)
			}
			return r, true, nil
		}
	}
	return episodes.Round{}, false, nil
}

// Play plays plan: the recorded run when run is not nil (resumed), else a
// new run. begun is called once the run has begun, before a game is
// played, with the games it has left: the caller records a new run's ID
// there. what names the run in errors ("round 2 self-play"). A drained or
// cancelled run returns [ErrInterrupted]; a run with errored games an
// error saying that a resume plays them.
func Play(ctx context.Context, session *selfplay.Session, plan *selfplay.Plan, run *episodes.Run, begun func(run *episodes.Run, pending int) error, opts selfplay.Options, what string) error {
	if run != nil {
		if err := selfplay.CheckResumable(run, plan); err != nil {
			return err
		}
	}
	run, pending, err := session.Begin(ctx, plan, run)
	if err != nil {
		return err
	}
	if err := begun(run, pending.Len()); err != nil {
		return err
	}
	res, err := session.Play(ctx, run, plan, pending, opts)
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

// Round returns round n as recorded among rounds, with its state, or a new
// round at stage first with the state fresh.
func Round[S any](rounds []episodes.Round, n int, first string, fresh S) (episodes.Round, S, error) {
	var st S
	r, ok, err := Find(rounds, n, &st)
	switch {
	case err != nil:
		return r, st, err
	case ok:
		return r, st, nil
	}
	return episodes.Round{Round: n, Stage: first}, fresh, nil
}

// Dir is the directory of round n's files in a loop's directory out.
func Dir(out string, n int) string { return filepath.Join(out, fmt.Sprintf("round-%d", n)) }

// Stage is one stage of a round.
type Stage struct {
	Name string
	Run  func(context.Context) error
}

// RunStages runs round's stages from the one it records (round.Stage) to
// the last, each followed by save with round.Stage set to the next one,
// and the last by done. A stage not in stages is an error.
func RunStages(ctx context.Context, round *episodes.Round, stages []Stage, done string, save func() error) error {
	for i, s := range stages {
		if round.Stage != s.Name {
			continue
		}
		if err := s.Run(ctx); err != nil {
			return err
		}
		round.Stage = done
		if i+1 < len(stages) {
			round.Stage = stages[i+1].Name
		}
		if err := save(); err != nil {
			return err
		}
	}
	if round.Stage != done {
		return fmt.Errorf("round %d: unknown stage %q", round.Round, round.Stage)
	}
	return nil
}

// CheckTraining reports a training configuration of a loop's rounds that
// cannot run, before the loop is recorded: a bad number found only when
// the first training starts would cost the self-play before it and be
// stored with the loop, so that resuming could never help. Errors about a
// setting a command's flag sets are [*selfplay.SettingError]s naming the
// flag, prefix first ("rm-" gives rm-lr; apo-mu has none); steps may still be 0 when the
// loop derives them from epochs.
func CheckTraining(cfg train.Config, prefix string) error {
	bad := func(setting, want string, got any) error {
		return &selfplay.SettingError{Setting: prefix + setting, Err: fmt.Errorf("must be %s (got %v)", want, got)}
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case !(cfg.LR > 0) || !finite(cfg.LR):
		return bad("lr", "a positive number", cfg.LR)
	case cfg.BatchSize < 1:
		return bad("batch-size", "at least 1", cfg.BatchSize)
	case cfg.Steps < 0:
		return bad("steps", "at least 1", cfg.Steps)
	}
	if cfg.Objective == train.ObjectiveSPAG {
		switch p := cfg.SPAG; {
		case !(p.Beta >= 0) || !finite(p.Beta):
			return bad("beta", "0 or more", p.Beta)
		case !(p.Eps > 0) || !finite(p.Eps):
			return bad("clip-range", "a positive number", p.Eps)
		case !(p.Alpha >= 0) || !finite(p.Alpha):
			return bad("sft-coeff", "0 or more", p.Alpha)
		}
	}
	if p := cfg.APO; p != nil && (!(p.Mu >= 0) || !finite(p.Mu)) {
		// One flag of the loop sets it, not prefixed: only the reward
		// model has it.
		return &selfplay.SettingError{Setting: "apo-mu", Err: fmt.Errorf("must be 0 or more (got %v)", p.Mu)}
	}
	// The rest, which no loop flag sets, as the trainer will check it;
	// the model's context is not known yet, and buckets are checked
	// against it when training starts.
	cfg.Steps = max(cfg.Steps, 1)
	return cfg.Validate(model.Config{Context: math.MaxInt})
}
