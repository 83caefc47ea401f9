package train

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Metrics describes one optimizer step.
type Metrics struct {
	Step      int     `json:"step"` // 1-based number of the step just taken
	Epoch     int     `json:"epoch"`
	Objective string  `json:"objective"`
	Loss      float64 `json:"loss"`
	// KL is the mean of l_i - r_i (policy minus reference mean token
	// log-likelihood) over the samples the objective regularises; 0 when
	// the objective uses no reference (sft with beta 0).
	KL float64 `json:"kl"`
	// ClipFrac is the fraction of game samples outside the clip range
	// (SPAG objective; 0 otherwise).
	ClipFrac float64 `json:"clip_frac"`
	// GradNorm is the global gradient norm before clipping.
	GradNorm float64 `json:"grad_norm"`
	LR       float64 `json:"lr"`
	// Tokens counts the non-padding positions processed in the step.
	Tokens       int     `json:"tokens"`
	TokensPerSec float64 `json:"tokens_per_sec"`
	Samples      int     `json:"samples"`
	// Score is the batch's mean sequence score (mean token log-likelihood
	// of the targets) under the policy before the update.
	Score float64 `json:"score"`
	// PrefAccuracy is the fraction of the batch's preference pairs that the
	// scores rank correctly before the update (apo objective only).
	PrefAccuracy *float64 `json:"pref_accuracy,omitempty"`
	// HeldOut is the reward model's evaluation on the held-out items after
	// the step, on the last step of every epoch and of the run (apo
	// objective with held-out items only).
	HeldOut *RMEval `json:"heldout,omitempty"`
	// EpochsDone is the number of complete passes over the data after the
	// step, set with HeldOut: the held-out line names it, not Epoch, which
	// is the pass a step began in (a step may end one pass and begin the
	// next, so Epoch alone repeats or skips an epoch's number).
	EpochsDone int `json:"epochs_done,omitempty"`
}

// RMEval is a reward model's evaluation on a set of items.
type RMEval struct {
	// PrefAccuracy is the fraction of ordered preference pairs scored in
	// the right order.
	PrefAccuracy float64 `json:"pref_accuracy"`
	// ECE is the expected calibration error of the Bradley–Terry
	// probabilities sigmoid(s_a - s_b) over ECEBins equal-width bins
	// (objective.CalibrationError).
	ECE   float64 `json:"ece"`
	Pairs int     `json:"pairs"` // ordered preference pairs
}

// ECEBins is the number of equal-width probability bins of RMEval.ECE.
const ECEBins = 10

// MetricsSink receives the metrics of every step. The SQLite store can
// implement it; [JSONL] and [Console] are provided here.
type MetricsSink interface {
	WriteMetrics(ctx context.Context, m Metrics) error
}

// JSONL writes one JSON object per step. It is safe for concurrent use.
type JSONL struct {
	mu sync.Mutex
	w  io.Writer
}

// NewJSONL returns a sink writing JSON Lines to w.
func NewJSONL(w io.Writer) *JSONL { return &JSONL{w: w} }

// WriteMetrics writes m as one line.
func (j *JSONL) WriteMetrics(_ context.Context, m Metrics) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode metrics of step %d: %w", m.Step, err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write metrics of step %d: %w", m.Step, err)
	}
	return nil
}

// Console prints a short human-readable line per step, every Every steps
// (and always for step 1 and step Last). It is safe for concurrent use.
type Console struct {
	// Last is the run's last step, printed whatever Every is, so that a
	// run's final metrics are always shown; 0 for none.
	Last int

	mu    sync.Mutex
	w     io.Writer
	every int
}

// NewConsole returns a sink printing to w every every steps (at least 1).
func NewConsole(w io.Writer, every int) *Console { return &Console{w: w, every: max(every, 1)} }

// WriteMetrics prints m.
func (c *Console) WriteMetrics(_ context.Context, m Metrics) error {
	// Every held-out evaluation (each epoch's end) is shown, with its
	// step's line, whether or not the step falls on the schedule.
	if m.Step != 1 && m.Step%c.every != 0 && m.Step != c.Last && m.HeldOut == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if m.PrefAccuracy != nil {
		_, err = fmt.Fprintf(c.w, "step %5d  epoch %2d  loss %9.5f  acc %4.2f  gnorm %8.4f  lr %.2e  tok/s %7.0f\n",
			m.Step, m.Epoch, m.Loss, *m.PrefAccuracy, m.GradNorm, m.LR, m.TokensPerSec)
	} else {
		_, err = fmt.Fprintf(c.w, "step %5d  epoch %2d  loss %9.5f  kl %+8.5f  clip %4.2f  gnorm %8.4f  lr %.2e  tok/s %7.0f\n",
			m.Step, m.Epoch, m.Loss, m.KL, m.ClipFrac, m.GradNorm, m.LR, m.TokensPerSec)
	}
	if err == nil && m.HeldOut != nil {
		_, err = fmt.Fprintf(c.w, "held-out: acc %.4f  ece %.4f  (%d pairs after epoch %d)\n", m.HeldOut.PrefAccuracy, m.HeldOut.ECE, m.HeldOut.Pairs, m.EpochsDone)
	}
	if err != nil {
		return fmt.Errorf("print metrics: %w", err)
	}
	return nil
}
