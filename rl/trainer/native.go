package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/train"
)

// Native trains spag's native model in process with rl/train. It reads
// Job.Data, Job.Init.Checkpoint and Job.Ref.Checkpoint, writes Job.Out
// atomically (also every Job.SaveEvery steps and when it stops early), and
// records the run's reference (path and weights digest) in the checkpoint,
// so that a resumed run uses, and checks, the same one.
type Native struct{}

var _ Trainer = Native{}

// ErrReference reports a resumed run whose reference is missing or is not
// the one the run started with.
var ErrReference = errors.New("reference model differs from the run's")

// Train runs job. On a stop before the last step (Job.StopAfter, Job.Stop)
// it returns a nil error and a Result with Step < Total; when ctx is
// cancelled it saves the last finished step and returns an error wrapping
// ctx.Err(). Whenever a step finished, Result.Policy.Checkpoint names the
// saved file, also on error.
func (Native) Train(ctx context.Context, job Job) (Result, error) {
	cfg := job.Config
	switch {
	case job.Init.Checkpoint == "" && !job.Init.IsZero():
		return Result{}, fmt.Errorf("train: the native trainer trains native checkpoints, not %+v: import the model first (spag model import)", job.Init)
	case job.Ref.Checkpoint == "" && !job.Ref.IsZero():
		return Result{}, fmt.Errorf("train: the native trainer needs the reference as a native checkpoint, not %+v: import it first (spag model import)", job.Ref)
	case job.Data == "" || job.Init.Checkpoint == "" || job.Out == "":
		return Result{}, errors.New("train: the job needs Data, Init.Checkpoint and Out")
	case (cfg.Steps > 0) == (job.Epochs > 0):
		return Result{}, fmt.Errorf("train: give exactly one of steps (%d) and epochs (%v), positive", cfg.Steps, job.Epochs)
	}
	examples, units, err := ReadData(job.Data, cfg.Objective)
	if err != nil {
		return Result{}, fmt.Errorf("train: %w", err)
	}
	if cfg.Objective == train.ObjectiveAPO {
		p := cfg.APO
		if p == nil {
			p = train.DefaultConfig(train.ObjectiveAPO).APO
		}
		if p.Samples == 0 {
			q := *p
			q.Samples = samplesPerQuery(examples)
			p = &q
		}
		cfg.APO = p
	}
	if job.Epochs > 0 {
		cfg.Steps = train.StepsForEpochs(job.Epochs, units, cfg.BatchSize)
	}
	log := job.Log
	if log == nil {
		log = io.Discard
	}

	init, err := checkpoint.Load(job.Init.Checkpoint)
	if err != nil {
		return Result{}, err
	}
	ref, refRec, err := reference(job, cfg, init, log)
	if err != nil {
		return Result{}, err
	}
	tr, err := train.New(ctx, cfg, init, ref, examples)
	if err != nil {
		return Result{}, fmt.Errorf("train: %w", err)
	}
	defer tr.Close()
	if job.HeldOut != "" {
		if cfg.Objective != train.ObjectiveAPO {
			return Result{}, fmt.Errorf("train: held-out items are reward-model items, for the apo objective only")
		}
		held, _, err := ReadData(job.HeldOut, cfg.Objective)
		if err != nil {
			return Result{}, err
		}
		if err := tr.SetHeldOut(held); err != nil {
			return Result{}, fmt.Errorf("train: held-out items: %w", err)
		}
	}

	var final lastMetrics
	sinks := []train.MetricsSink{&final}
	if job.LogEvery > 0 {
		console := train.NewConsole(log, job.LogEvery)
		console.Last = tr.Total() // the last step's line, whatever LogEvery is
		sinks = append(sinks, console)
	}
	if job.MetricsFile != "" {
		mf, err := atomicfile.Append(job.MetricsFile)
		if err != nil {
			return Result{}, fmt.Errorf("train: metrics file: %w", err)
		}
		defer mf.Close()
		sinks = append(sinks, train.NewJSONL(mf))
	}
	res := Result{Total: tr.Total(), Step: tr.Step()}
	if job.Store != nil {
		id, err := trainingRecord(ctx, job, cfg, "native")
		if err != nil {
			return Result{}, err
		}
		res.TrainingID = id
		sinks = append(sinks, storeSink{store: job.Store, training: id})
		fmt.Fprintf(log, "train: metrics recorded as training %s\n", id)
		if job.Recorded != nil {
			if err := job.Recorded(id); err != nil {
				return res, err
			}
		}
	}
	sinks = append(sinks, job.Sinks...)

	fmt.Fprintf(log, "train: %d samples, objective %s, steps %d..%d of %d\n", len(examples), cfg.Objective, tr.Step()+1, tr.Total(), tr.Total())
	out, err := filepath.Abs(job.Out)
	if err != nil {
		return Result{}, fmt.Errorf("train: out: %w", err)
	}
	save := func(c *checkpoint.Checkpoint) error {
		c.Train.Reference = refRec
		return checkpoint.Save(out, c)
	}
	last := tr.Total()
	if job.StopAfter > 0 {
		last = job.StopAfter
	}
	saved := time.Now()
	due := func(step int) bool {
		return job.SaveEvery > 0 && step%job.SaveEvery == 0 || job.SaveInterval > 0 && time.Since(saved) >= job.SaveInterval
	}
	interim := func(c *checkpoint.Checkpoint) error {
		if err := save(c); err != nil {
			return err
		}
		saved = time.Now()
		fmt.Fprintf(log, "train: saved step %d of %d to %s\n", c.Train.Step, c.Train.Total, job.Out)
		return nil
	}
	runErr := tr.RunUntilDue(ctx, last, job.Stop, sinks, due, interim)
	res.Step, res.Final = tr.Step(), final.m
	if tr.Step() > 0 {
		c, err := tr.Checkpoint()
		if err == nil {
			err = save(c)
		}
		if err != nil {
			return res, errors.Join(runErr, err)
		}
		res.Policy = Policy{Checkpoint: out}
	}
	if runErr != nil {
		if res.Policy.Checkpoint != "" {
			return res, fmt.Errorf("train (state at step %d saved to %s): %w", res.Step, job.Out, runErr)
		}
		return res, fmt.Errorf("train: %w", runErr)
	}
	return res, nil
}

// reference loads the job's frozen reference and what the checkpoints
// record of it. A new run takes Ref, or Init's weights; a resumed run takes
// the reference its checkpoint recorded (or Ref, which must have the same
// weights). A nil model means Init's weights (rl/train's default); a nil
// record means the objective uses no reference.
func reference(job Job, cfg train.Config, init *checkpoint.Checkpoint, log io.Writer) (*model.Params, *checkpoint.Reference, error) {
	if !job.Resume {
		// Only an unfinished run can be continued, so only then is the
		// resume named (a finished one, such as the shipped model made a
		// file, is just a starting point).
		switch {
		case init.Train != nil && init.Train.Step < init.Train.Total:
			fmt.Fprintf(log, "train: starting a new run from the weights of %s (step %d of %d of an earlier run; to continue that run instead, give --resume %[1]s in place of --init)\n",
				job.Init.Checkpoint, init.Train.Step, init.Train.Total)
		case init.Train != nil:
			fmt.Fprintf(log, "train: starting a new run from the weights of %s (the end of an earlier run of %d steps)\n", job.Init.Checkpoint, init.Train.Total)
		}
		// New optimizer state, step, data order and random state.
		init.Optimizer, init.Train = nil, nil
		if !usesReference(cfg) {
			return nil, nil, nil
		}
		path, params := job.Init.Checkpoint, init.Params
		if job.Ref.Checkpoint != "" {
			rc, err := checkpoint.Load(job.Ref.Checkpoint)
			if err != nil {
				return nil, nil, fmt.Errorf("train: reference: %w", err)
			}
			path, params = job.Ref.Checkpoint, rc.Params
		}
		rec, err := newReference(path, params)
		if err != nil {
			return nil, nil, err
		}
		if job.Ref.Checkpoint == "" {
			params = nil // rl/train copies init's weights
		}
		return params, rec, nil
	}

	if init.Train == nil || init.Optimizer == nil {
		return nil, nil, fmt.Errorf("train: resume %s: it holds no training state (weights only), so there is no run to continue; start a new run from its weights instead (spag train --init)", job.Init.Checkpoint)
	}
	rec := init.Train.Reference
	if !usesReference(cfg) {
		return nil, rec, nil
	}
	path := job.Ref.Checkpoint
	switch {
	case path == "" && rec == nil:
		return nil, nil, fmt.Errorf("train: resume %s: %w: the checkpoint records no reference (written by an older spag); give the run's original reference (spag train --ref)", job.Init.Checkpoint, ErrReference)
	case path == "":
		path = rec.Path
	}
	rc, err := checkpoint.Load(path)
	if err != nil {
		return nil, nil, fmt.Errorf("train: resume %s: the run's reference: %w; restore it or give a copy (spag train --ref)", job.Init.Checkpoint, err)
	}
	got, err := newReference(path, rc.Params)
	if err != nil {
		return nil, nil, err
	}
	if rec == nil {
		fmt.Fprintf(log, "train: %s records no reference (written by an older spag): using %s unchecked\n", job.Init.Checkpoint, path)
		rec = got
	} else if got.Digest != rec.Digest {
		return nil, nil, fmt.Errorf("train: resume %s: %w: the run started with the reference %s (%s), %s now holds other weights (%s); restore the original reference or give a copy (spag train --ref), or start a new run from the checkpoint's weights (spag train --init)",
			job.Init.Checkpoint, ErrReference, rec.Path, rec.Digest, path, got.Digest)
	}
	// The record keeps the path the run started with, so that a run done
	// in parts writes the same checkpoint as a straight one.
	return rc.Params, rec, nil
}

func newReference(path string, p *model.Params) (*checkpoint.Reference, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("train: reference %s: %w", path, err)
	}
	d, err := checkpoint.WeightsDigest(p)
	if err != nil {
		return nil, fmt.Errorf("train: reference %s: %w", path, err)
	}
	return &checkpoint.Reference{Path: abs, Digest: d}, nil
}

// usesReference reports whether an objective reads the reference model's
// scores, as rl/train decides: all but apo and sft without a KL penalty.
func usesReference(c train.Config) bool {
	switch c.Objective {
	case train.ObjectiveSFT:
		return c.SFTBeta != 0
	case train.ObjectiveAPO:
		return false
	}
	return true
}

// trainingRecord is the ID of the job's training record in its store:
// Job.TrainingID when the store holds it (a resumed run continues its
// record), else a new record's.
func trainingRecord(ctx context.Context, job Job, cfg train.Config, trainer string) (string, error) {
	if job.TrainingID != "" {
		_, err := job.Store.TrainingSteps(ctx, job.TrainingID)
		if err == nil {
			return job.TrainingID, nil
		}
		if !errors.Is(err, episodes.ErrNotFound) {
			return "", err
		}
	}
	rec, err := recordTraining(ctx, job, cfg, trainer)
	if err != nil {
		return "", err
	}
	return rec.ID, nil
}

// recordTraining creates the job's training record in its store.
func recordTraining(ctx context.Context, job Job, cfg train.Config, trainer string) (*episodes.Training, error) {
	config, err := json.Marshal(map[string]any{"trainer": trainer, "data": job.Data, "init": job.Init, "resume": job.Resume,
		"ref": job.Ref, "out": job.Out, "train": cfg})
	if err != nil {
		return nil, fmt.Errorf("train: record: %w", err)
	}
	rec := &episodes.Training{Objective: cfg.Objective, Config: config, CodeVersion: job.CodeVersion}
	if err := job.Store.CreateTraining(ctx, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// storeSink records training metrics in the SQLite store.
type storeSink struct {
	store    *episodes.Store
	training string
}

func (s storeSink) WriteMetrics(ctx context.Context, m train.Metrics) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.store.WriteTrainingStep(ctx, s.training, m.Step, raw)
}

// lastMetrics keeps the latest step's metrics.
type lastMetrics struct{ m *train.Metrics }

func (l *lastMetrics) WriteMetrics(_ context.Context, m train.Metrics) error {
	l.m = &m
	return nil
}

// Resumable reports whether path holds an unfinished native run that a
// job with Resume can continue (a checkpoint with optimizer state whose
// step is short of its total). A missing file is not resumable and no
// error, so that a loop restarted after a kill can ask about the round's
// output before it exists.
func Resumable(path string) (bool, error) {
	h, err := checkpoint.ReadHeader(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return h.Optimizer != nil && h.Train != nil && h.Train.Step < h.Train.Total, nil
}
