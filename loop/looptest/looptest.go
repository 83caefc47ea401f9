// Package looptest holds fakes for testing a game's loop in process
// (package loop), without training a model.
package looptest

import (
	"context"
	"errors"
	"os"

	"github.com/spag-go/spag/rl/trainer"
)

// ErrFailed is the error of a [Trainer] set to fail.
var ErrFailed = errors.New("fake training failed")

// Trainer is a fake trainer: the trained model is a copy of the initial
// checkpoint, made at once, so that the loop's later stages play and
// measure a real checkpoint. While Fail is set it fails instead, as a
// trainer out of memory would. Trained counts the trainings it made.
type Trainer struct {
	Fail    bool
	Trained int
}

// Train implements [trainer.Trainer].
func (c *Trainer) Train(ctx context.Context, job trainer.Job) (trainer.Result, error) {
	if c.Fail {
		return trainer.Result{}, ErrFailed
	}
	in, err := os.ReadFile(job.Init.Checkpoint)
	if err != nil {
		return trainer.Result{}, err
	}
	if err := os.WriteFile(job.Out, in, 0o644); err != nil {
		return trainer.Result{}, err
	}
	c.Trained++
	return trainer.Result{Policy: trainer.Policy{Checkpoint: job.Out}, Step: 1, Total: 1}, nil
}
