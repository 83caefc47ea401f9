package trainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
	"github.com/spag-go/spag/rl/train"
)

var words = []string{"apple", "river", "stone", "cloud", "tiger", "piano", "ember", "maple"}

// fixture writes a small SPAG training file (self-play samples with
// rewards of both signs and imitation samples) and a tiny initial model.
func fixture(t testing.TB) (dir, data, init string) {
	t.Helper()
	dir = t.TempDir()
	type item struct {
		Query  string   `json:"query"`
		Target string   `json:"target"`
		Reward *float64 `json:"reward,omitempty"`
		Weight float64  `json:"weight"`
		Type   string   `json:"type,omitempty"`
		Judge  string   `json:"judge,omitempty"`
		Run    string   `json:"run,omitempty"`
	}
	var items []item
	var texts []string
	for i, w := range words {
		r := 1 - 0.25*float64(i%5)
		items = append(items, item{Query: "clue for " + w + ":", Target: w + " is near", Reward: &r, Weight: 0.5 + float64(i%3), Judge: "strict@1", Run: "r-test"})
		items = append(items, item{Query: "say " + w + ":", Target: w + " " + w, Weight: 1, Type: "sft"})
		texts = append(texts, "clue for "+w+": "+w+" is near", "say "+w+": "+w+" "+w)
	}
	raw, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	data = filepath.Join(dir, "train.json")
	if err := os.WriteFile(data, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := tokenizer.Train(context.Background(), texts, tokenizer.TrainOptions{VocabSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	cfg := model.Config{Vocab: v.Size(), Dim: 32, Layers: 1, Heads: 2, KVHeads: 2, FFN: 64, Context: 32, NormEps: 1e-5, RopeTheta: 10000}
	p, err := model.Init(cfg, 11)
	if err != nil {
		t.Fatal(err)
	}
	init = filepath.Join(dir, "init.ckpt")
	if err := checkpoint.Save(init, &checkpoint.Checkpoint{Vocab: v, Params: p}); err != nil {
		t.Fatal(err)
	}
	return dir, data, init
}

// spagJob is a 20-step run of the SPAG objective from init, with the
// reference left to default (init's weights), as in issue 15's report.
func spagJob(data, init, out string) Job {
	cfg := train.DefaultConfig(train.ObjectiveSPAG)
	cfg.Steps, cfg.BatchSize, cfg.MicroBatch, cfg.LR, cfg.WarmupFrac = 20, 4, 4, 1e-2, 0.1
	cfg.Buckets = []int{16, 32}
	return Job{Config: cfg, Data: data, Init: Policy{Checkpoint: init}, Out: out}
}

func mustTrain(t *testing.T, job Job) Result {
	t.Helper()
	res, err := Native{}.Train(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestResumeEqualsStraightRun: 20 steps stopped after 8 and resumed give
// the checkpoint of a straight 20-step run byte for byte, with the
// reference being the original init weights although the resumed
// checkpoint holds other ones.
func TestResumeEqualsStraightRun(t *testing.T) {
	dir, data, init := fixture(t)
	straight := mustTrain(t, spagJob(data, init, filepath.Join(dir, "straight.ckpt")))
	if !straight.Done() || straight.Step != 20 || straight.Final == nil || straight.Final.Step != 20 {
		t.Fatalf("straight run: %+v", straight)
	}

	parts := filepath.Join(dir, "parts.ckpt")
	job := spagJob(data, init, parts)
	job.StopAfter = 8
	first := mustTrain(t, job)
	if first.Done() || first.Step != 8 || first.Total != 20 || first.Policy.Checkpoint != parts {
		t.Fatalf("first part: %+v", first)
	}
	for path, want := range map[string]bool{parts: true, straight.Policy.Checkpoint: false, init: false, filepath.Join(dir, "none.ckpt"): false} {
		if got, err := Resumable(path); got != want || err != nil {
			t.Errorf("Resumable(%s) = %v, %v; want %v", filepath.Base(path), got, err, want)
		}
	}
	job = spagJob(data, parts, parts)
	job.Resume = true
	var log bytes.Buffer
	job.Log = &log
	second := mustTrain(t, job)
	if !second.Done() || !strings.Contains(log.String(), "steps 9..20 of 20") {
		t.Fatalf("second part: %+v\n%s", second, log.String())
	}
	if !bytes.Equal(readFile(t, straight.Policy.Checkpoint), readFile(t, parts)) {
		t.Fatal("a run stopped after 8 steps and resumed differs from a straight 20-step run")
	}
	h, err := checkpoint.ReadHeader(parts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := checkpoint.Load(init)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := checkpoint.WeightsDigest(c.Params)
	if r := h.Train.Reference; r == nil || r.Path != init || r.Digest != want {
		t.Fatalf("recorded reference %+v, want %s %s", r, init, want)
	}
}

// TestSaveInterval saves by the clock between steps: with an interval
// shorter than any step, after every step but the last (which the run's
// end saves), each save logged; the saved run is resumable.
func TestSaveInterval(t *testing.T) {
	dir, data, init := fixture(t)
	out := filepath.Join(dir, "timed.ckpt")
	job := spagJob(data, init, out)
	job.SaveInterval = time.Nanosecond
	job.StopAfter = 3
	var log bytes.Buffer
	job.Log = &log
	mustTrain(t, job)
	for _, want := range []string{"train: saved step 1 of 20 to " + out, "train: saved step 2 of 20 to "} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if strings.Contains(log.String(), "saved step 4") {
		t.Errorf("saved past the stop:\n%s", log.String())
	}
}

// TestInitSaysWhatTheEarlierRunWas: a new run from a trained checkpoint
// says whether the run that wrote it ended: an unfinished one can be
// continued instead, with the flag that does it named; a finished one (the
// shipped model stripped to a file is one, at step 1200 of 1200) cannot,
// and no resume is suggested.
func TestInitSaysWhatTheEarlierRunWas(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stopAfter int // 0: the earlier run ends
		want      string
		not       string
	}{
		{"unfinished", 3, "(step 3 of 20 of an earlier run; to continue that run instead, give --resume ", ""},
		{"finished", 0, "(the end of an earlier run of 20 steps)", "resume"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, data, init := fixture(t)
			job := spagJob(data, init, filepath.Join(dir, "a.ckpt"))
			job.StopAfter = tc.stopAfter
			a := mustTrain(t, job)
			job = spagJob(data, a.Policy.Checkpoint, filepath.Join(dir, "b.ckpt"))
			job.Config.Steps = 1
			var log bytes.Buffer
			job.Log = &log
			mustTrain(t, job)
			if !strings.Contains(log.String(), tc.want) || tc.not != "" && strings.Contains(log.String(), tc.not) {
				t.Errorf("log:\n%s\nwant %q, without %q", log.String(), tc.want, tc.not)
			}
		})
	}
}

// TestInitStartsFresh: a trained checkpoint given as Init (not Resume)
// starts a new run from its weights, with them as the reference.
func TestInitStartsFresh(t *testing.T) {
	dir, data, init := fixture(t)
	job := spagJob(data, init, filepath.Join(dir, "a.ckpt"))
	job.StopAfter = 3
	a := mustTrain(t, job)

	job = spagJob(data, a.Policy.Checkpoint, filepath.Join(dir, "b.ckpt"))
	job.Config.Steps, job.Config.LR = 2, 5e-3 // another run: no mismatch error
	var log bytes.Buffer
	job.Log = &log
	b := mustTrain(t, job)
	if b.Step != 2 || b.Total != 2 || !strings.Contains(log.String(), "steps 1..2 of 2") || !strings.Contains(log.String(), "starting a new run from the weights") {
		t.Fatalf("new run from a trained checkpoint: %+v\n%s", b, log.String())
	}
	h, err := checkpoint.ReadHeader(b.Policy.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if h.Optimizer.Step != 2 || h.Train.Reference.Path != a.Policy.Checkpoint {
		t.Fatalf("optimizer step %d, reference %+v", h.Optimizer.Step, h.Train.Reference)
	}
}

// TestResumeReference: resuming checks the recorded reference.
func TestResumeReference(t *testing.T) {
	dir, data, init := fixture(t)
	parts := filepath.Join(dir, "parts.ckpt")
	job := spagJob(data, init, parts)
	job.StopAfter = 2
	mustTrain(t, job)
	resume := func(ref string) error {
		job := spagJob(data, parts, filepath.Join(dir, "out.ckpt"))
		job.Resume, job.Ref, job.StopAfter = true, Policy{Checkpoint: ref}, 3
		_, err := Native{}.Train(context.Background(), job)
		return err
	}

	// A copy of the reference elsewhere has the same weights: accepted.
	moved := filepath.Join(dir, "moved.ckpt")
	if err := os.WriteFile(moved, readFile(t, init), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := resume(moved); err != nil {
		t.Fatalf("resume with a copy of the reference: %v", err)
	}
	// Other weights under the recorded path: refused, naming both digests.
	if err := os.WriteFile(init, readFile(t, parts), 0o644); err != nil {
		t.Fatal(err)
	}
	err := resume("")
	if !errors.Is(err, ErrReference) || !strings.Contains(err.Error(), init) || !strings.Contains(err.Error(), "--init") {
		t.Fatalf("resume with a changed reference: %v", err)
	}
	if err := resume(parts); !errors.Is(err, ErrReference) {
		t.Fatalf("resume with --ref of other weights: %v", err)
	}
	// The reference gone: the error says how to go on.
	os.Remove(init)
	if err := resume(""); err == nil || !strings.Contains(err.Error(), "--ref") {
		t.Fatalf("resume without the reference file: %v", err)
	}
	// A weights-only checkpoint has no run to continue.
	job = spagJob(data, moved, filepath.Join(dir, "x.ckpt"))
	job.Resume = true
	if _, err := (Native{}).Train(context.Background(), job); err == nil || !strings.Contains(err.Error(), "no training state") {
		t.Fatalf("resume of a fresh checkpoint: %v", err)
	}
}

// stopAt closes or cancels after a given step.
type stopAt struct {
	step int
	fn   func()
}

func (s stopAt) WriteMetrics(_ context.Context, m train.Metrics) error {
	if m.Step == s.step {
		s.fn()
	}
	return nil
}

// TestStopAndCancel: closing Stop ends the run after the step in flight
// with no error; cancelling ctx abandons the step in flight, saves the last
// finished one and returns the context's error. Both resume exactly.
func TestStopAndCancel(t *testing.T) {
	dir, data, init := fixture(t)
	straight := mustTrain(t, spagJob(data, init, filepath.Join(dir, "straight.ckpt")))

	stopped := filepath.Join(dir, "stopped.ckpt")
	job := spagJob(data, init, stopped)
	stop := make(chan struct{})
	job.Stop, job.Sinks = stop, []train.MetricsSink{stopAt{3, func() { close(stop) }}}
	res, err := Native{}.Train(context.Background(), job)
	if err != nil || res.Step != 3 || res.Policy.Checkpoint != stopped {
		t.Fatalf("stopped run: %+v, %v", res, err)
	}

	cancelled := filepath.Join(dir, "cancelled.ckpt")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	job = spagJob(data, init, cancelled)
	job.Sinks = []train.MetricsSink{stopAt{5, cancel}}
	res, err = Native{}.Train(ctx, job)
	if !errors.Is(err, context.Canceled) || res.Step != 5 || res.Policy.Checkpoint != cancelled || !strings.Contains(err.Error(), "step 5 saved") {
		t.Fatalf("cancelled run: %+v, %v", res, err)
	}

	for _, path := range []string{stopped, cancelled} {
		job := spagJob(data, path, path)
		job.Resume = true
		mustTrain(t, job)
		if !bytes.Equal(readFile(t, straight.Policy.Checkpoint), readFile(t, path)) {
			t.Errorf("%s resumed differs from the straight run", filepath.Base(path))
		}
	}
}

// TestJobErrors: bad jobs are refused with what to fix.
func TestJobErrors(t *testing.T) {
	dir, data, init := fixture(t)
	empty := filepath.Join(dir, "empty.json")
	os.WriteFile(empty, []byte("[]"), 0o644)
	for _, tc := range []struct {
		name string
		edit func(*Job)
		want string
	}{
		{"no data", func(j *Job) { j.Data = "" }, "needs Data"},
		{"steps and epochs", func(j *Job) { j.Epochs = 1 }, "exactly one of steps"},
		{"no steps", func(j *Job) { j.Config.Steps = 0 }, "exactly one of steps"},
		{"missing data", func(j *Job) { j.Data = filepath.Join(dir, "nope.json") }, "nope.json"},
		{"empty data", func(j *Job) { j.Data = empty }, "holds no samples"},
		{"missing init", func(j *Job) { j.Init.Checkpoint = filepath.Join(dir, "nope.ckpt") }, "nope.ckpt"},
		{"missing ref", func(j *Job) { j.Ref.Checkpoint = filepath.Join(dir, "noref.ckpt") }, "noref.ckpt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := spagJob(data, init, filepath.Join(dir, "out.ckpt"))
			tc.edit(&job)
			if _, err := (Native{}).Train(context.Background(), job); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestStopBeforeTheFirstStep: a run stopped before its first step (an
// early Ctrl-C) takes none, writes no checkpoint and reports none, so that
// the command says there is nothing to continue.
func TestStopBeforeTheFirstStep(t *testing.T) {
	dir, data, init := fixture(t)
	out := filepath.Join(dir, "never.ckpt")
	job := spagJob(data, init, out)
	stop := make(chan struct{})
	close(stop)
	job.Stop = stop
	res, err := Native{}.Train(context.Background(), job)
	if err != nil || res.Step != 0 || res.Policy.Checkpoint != "" {
		t.Fatalf("run stopped before its first step: %+v, %v", res, err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a run that took no step left %s: %v", out, err)
	}
}
