// Package trainer runs one training job of a SPAG round behind a small
// interface, so that the round does not care who trains: [Native] trains
// spag's own model in process with rl/train (gorgonia), [Exec] hands the job
// to an external command (a GPU trainer such as TRL) through the contract of
// docs/trainer.md. A [Job] names the objective and its parameters, the
// training data, the policy to start from, the frozen reference and where
// the new policy goes; a [Result] names the new policy as a checkpoint
// and/or a player spec.
//
// Starting and resuming are distinct: a job starts a new run from
// Init's weights (new optimizer state, the reference being Ref or those
// weights) unless Resume is set, in which case Init is the checkpoint of
// an interrupted run of the same job and the run continues exactly where
// it stopped, with the reference it started with.
//
// The package depends on rl, rl/train, rl/checkpoint, apo (the scoring text
// of reward-model data) and episodes (recording a training's metrics); it
// knows nothing about flags or terminals.
package trainer

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/rl/train"
)

// Trainer trains one job. Implementations must honour ctx: once it is
// cancelled they stop promptly, keep what is finished (the native trainer
// saves the last finished step) and return an error wrapping ctx.Err().
type Trainer interface {
	Train(ctx context.Context, job Job) (Result, error)
}

// Func adapts a function to [Trainer].
type Func func(ctx context.Context, job Job) (Result, error)

// Train calls f.
func (f Func) Train(ctx context.Context, job Job) (Result, error) { return f(ctx, job) }

// Policy names a model in the forms a trainer or a player may need; any
// subset may be set.
type Policy struct {
	// Checkpoint is a native checkpoint file (spag model init/train).
	Checkpoint string `json:"checkpoint,omitempty"`
	// GGUF is a GGUF model file.
	GGUF string `json:"gguf,omitempty"`
	// Ollama is an Ollama model name, NAME or NAME@HOST.
	Ollama string `json:"ollama,omitempty"`
	// HF is a Hugging Face llama directory (config.json,
	// model.safetensors, tokenizer.model; see package rl/hf).
	HF string `json:"hf,omitempty"`
}

// Spec is the player spec that plays the policy: "native:PATH" when there
// is a checkpoint, else "ollama:NAME", else "" (a GGUF file alone is not
// playable: import it with `spag model import` or create an Ollama model).
func (p Policy) Spec() string {
	switch {
	case p.Checkpoint != "":
		return "native:" + p.Checkpoint
	case p.Ollama != "":
		return "ollama:" + p.Ollama
	}
	return ""
}

// IsZero reports whether p names nothing.
func (p Policy) IsZero() bool { return p == Policy{} }

// ParsePolicy reads the policy forms of an exec trainer's result:
// "native:PATH" (a checkpoint), "gguf:PATH", "hf:DIR" (a Hugging Face
// directory) or "ollama:NAME[@HOST]".
// Relative paths are taken relative to dir.
func ParsePolicy(spec, dir string) (Policy, error) {
	kind, arg, ok := strings.Cut(spec, ":")
	if kind == "native" && !ok {
		// The shipped model is built in, not a file a trainer can read.
		return Policy{}, fmt.Errorf("policy %q: the shipped model is no checkpoint file; write it to one with spag model strip native --out v3.ckpt and give native:v3.ckpt", spec)
	}
	if !ok || strings.TrimSpace(arg) == "" {
		return Policy{}, fmt.Errorf("policy %q: want native:PATH, gguf:PATH, hf:DIR or ollama:NAME", spec)
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(dir, p)
	}
	switch kind {
	case "native":
		return Policy{Checkpoint: abs(arg)}, nil
	case "gguf":
		return Policy{GGUF: abs(arg)}, nil
	case "hf":
		return Policy{HF: abs(arg)}, nil
	case "ollama":
		return Policy{Ollama: arg}, nil
	}
	return Policy{}, fmt.Errorf("policy %q: unknown kind %q; want native:PATH, gguf:PATH, hf:DIR or ollama:NAME", spec, kind)
}

// ParsePolicyArg reads a policy as commands take one (spag train --init,
// --resume, --ref): native:PATH, gguf:PATH or ollama:NAME as [ParsePolicy]
// reads them, relative to the working directory, and anything else as the
// path of a native checkpoint.
func ParsePolicyArg(arg string) (Policy, error) {
	switch kind, _, _ := strings.Cut(arg, ":"); kind {
	case "native", "gguf", "ollama":
		return ParsePolicy(arg, ".")
	}
	return Policy{Checkpoint: arg}, nil
}

// Label names the policy for people: the spec that plays it, or gguf:PATH
// for a GGUF file alone.
func (p Policy) Label() string {
	if s := p.Spec(); s != "" {
		return s
	}
	if p.HF != "" {
		return "hf:" + p.HF
	}
	return "gguf:" + p.GGUF
}

// Job is one training run.
type Job struct {
	// Config holds the objective (Config.Objective: sft, spag, var or apo),
	// its coefficients, the optimizer and schedule settings, the batch
	// sizes, the seed and the number of steps (Config.Steps, unless Epochs
	// is set). Start from train.DefaultConfig. For the apo objective a nil
	// Config.APO or Config.APO.Samples 0 takes m from the data.
	Config train.Config
	// Epochs, when positive, sets the number of steps from the data: that
	// many passes over it.
	Epochs float64

	// Data is the training data file: SPAG training JSON (as `spag rewards`
	// or `spag apo rewards` write it), or for the apo objective the
	// reward-model items of `spag apo items` (JSON Lines).
	Data string
	// Chat is the same data as chat JSON Lines (`spag rewards --format
	// chat`), for external trainers; optional (an exec trainer writes one
	// from Data when it is empty). The native trainer does not read it.
	Chat string

	// Init is the policy to start from. The native trainer needs
	// Init.Checkpoint.
	Init Policy
	// Resume continues the interrupted run whose checkpoint is
	// Init.Checkpoint: optimizer state, step, data order and random state
	// come from it, Config and Data must be the run's, and the reference
	// is the one the run recorded (Ref, when set, must have the same
	// weights). Without Resume a job always starts a new run from Init's
	// weights.
	Resume bool
	// HeldOut names reward-model items (apo objective; the format of Data)
	// on which the native trainer reports preference accuracy and
	// calibration error at the end of every epoch; "" for none.
	HeldOut string
	// Ref is the frozen reference; zero means Init's weights.
	Ref Policy

	// Out is where the new policy goes: the native checkpoint file to
	// write (also the interim checkpoints). An exec trainer derives its
	// suggested GGUF path, result file and log file from it.
	Out string
	// OutOllama is the Ollama model name an exec trainer may register the
	// new policy under; empty means "spag-" and Out's base name without
	// extension (round1.ckpt: spag-round1).
	OutOllama string

	// StopAfter, when positive, ends the run after that step, saving it,
	// so that a long run can be done in parts (see Resume).
	StopAfter int
	// SaveEvery, when positive, also saves the checkpoint every that many
	// steps.
	SaveEvery int
	// SaveInterval, when positive, also saves the checkpoint after the
	// first step that ends that long after the last save (or the start),
	// so that a killed run (kill -9, which leaves no time to save) loses
	// at most about that much work: resuming Out continues from the last
	// save. The native trainer logs each such save.
	SaveInterval time.Duration
	// Stop, when closed, ends the run between steps: the step in flight
	// finishes and is saved (the first Ctrl-C of `spag train`). Cancelling
	// ctx instead abandons the step in flight and saves the last finished
	// one.
	Stop <-chan struct{}

	// Log receives progress lines (stderr in the CLI); nil discards them.
	Log io.Writer
	// LogEvery prints the metrics of every LogEvery-th step to Log (and of
	// step 1); 0 prints none.
	LogEvery int
	// MetricsFile, when set, is a JSON Lines file that every step's
	// metrics are appended to.
	MetricsFile string
	// Store, when set, records the training (its configuration and one row
	// of metrics per step) in the SQLite store.
	Store *episodes.Store
	// CodeVersion is recorded with the training in Store.
	CodeVersion string
	// TrainingID, when Store holds that training, is continued instead of
	// recording a new one: a run resumed after a kill keeps one record,
	// its steps past the last save written again. Recorded, when set, is
	// called with the training's ID before the first step, so that the
	// caller can keep it for that resume.
	TrainingID string
	Recorded   func(trainingID string) error
	// Sinks receive every step's metrics too.
	Sinks []train.MetricsSink
}

// Result is what a training job produced.
type Result struct {
	// Policy is the new policy. The native trainer sets Checkpoint (the
	// absolute path of Job.Out) whenever it saved one, also on error.
	Policy Policy
	// Step is the last finished step and Total the run's length; Step <
	// Total when the run stopped early (StopAfter, Stop, ctx or an error)
	// and can be resumed from Policy.Checkpoint.
	Step, Total int
	// Final is the last step's metrics; nil when no step ran here or the
	// trainer reports none.
	Final *train.Metrics
	// Metrics are the final metrics an exec trainer reported, by name.
	Metrics map[string]float64
	// TrainingID is the training's record in Job.Store ("" without one).
	TrainingID string
	// Log is the file holding an exec trainer's output ("" for native).
	Log string
}

// Done reports whether the run took all its steps.
func (r Result) Done() bool { return r.Total > 0 && r.Step >= r.Total }

// Open returns the trainer a spec names: "native" (or "") for [Native],
// "exec:CMD" for [Exec] running CMD with `sh -c`.
func Open(spec string) (Trainer, error) {
	switch {
	case spec == "" || spec == "native":
		return Native{}, nil
	case strings.HasPrefix(spec, "exec:"):
		cmd := strings.TrimSpace(strings.TrimPrefix(spec, "exec:"))
		if cmd == "" {
			return nil, fmt.Errorf("trainer %q: no command after exec:", spec)
		}
		return Exec{Command: cmd}, nil
	}
	return nil, fmt.Errorf("trainer %q: want native or exec:CMD", spec)
}
