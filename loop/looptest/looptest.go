// Package looptest holds fakes for testing a game's loop in process
// (package loop), without training a model.
package looptest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/loop"
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

// Runner is a game's loop as [FailThenResume] runs it.
type Runner interface {
	Run(ctx context.Context) error
	Close() error
}

// FailThenResume runs l, a new loop whose trainer tr fails, and checks
// that the error names round 1's stage and contains want; it then mends
// tr, takes the loop up again with resume (given the loop's record, read
// from store) and runs it to its end. The caller closes what it returns.
func FailThenResume[L Runner](t *testing.T, tr *Trainer, l L, store *episodes.Store, id, stage, want string, resume func(*episodes.Loop) (L, error)) L {
	t.Helper()
	ctx := context.Background()
	err := l.Run(ctx)
	var se *loop.StageError
	if !errors.As(err, &se) || se.Round != 1 || se.Stage != stage || !strings.Contains(err.Error(), want) {
		t.Fatalf("Run: %v; want round 1's %s named, with %q", err, stage, want)
	}
	l.Close()
	tr.Fail = false
	rec, err := store.Loop(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := resume(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := resumed.Run(ctx); err != nil {
		resumed.Close()
		t.Fatal(err)
	}
	return resumed
}
