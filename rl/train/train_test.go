package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/objective"
	"github.com/spag-go/spag/rl/tokenizer"
)

var words = []string{"apple", "river", "stone", "cloud", "tiger", "piano"}

// corpus is a small synthetic imitation task: repeat the word twice.
func corpus() []Example {
	var ex []Example
	for _, w := range words {
		ex = append(ex, Example{Query: "say " + w + ":", Target: w + " " + w, Weight: 1, SFT: true})
	}
	return ex
}

func initCheckpoint(t testing.TB, ex []Example) *checkpoint.Checkpoint {
	t.Helper()
	var texts []string
	for _, e := range ex {
		texts = append(texts, e.Query, e.Target)
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
	return &checkpoint.Checkpoint{Vocab: v, Params: p}
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func testConfig(obj string, steps int) Config {
	c := DefaultConfig(obj)
	c.Steps, c.BatchSize, c.MicroBatch, c.LR, c.WarmupFrac = steps, 6, 4, 1e-2, 0.1
	c.Buckets = []int{8, 16, 32}
	return c
}

// TestSFTLearns fails if imitation learning breaks: the loss falls and the
// targets' likelihood rises.
func TestSFTLearns(t *testing.T) {
	ctx := context.Background()
	ex := corpus()
	tr, err := New(ctx, testConfig(ObjectiveSFT, 40), initCheckpoint(t, ex), nil, ex)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	before, err := tr.Scores(ctx, tr.Params(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var first, last Metrics
	for tr.Step() < tr.Total() {
		m, err := tr.TrainStep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Step == 1 {
			first = m
		}
		last = m
	}
	after, err := tr.Scores(ctx, tr.Params(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loss %.3f -> %.3f, mean target log-likelihood %.3f -> %.3f", first.Loss, last.Loss, mean(before), mean(after))
	if last.Loss > first.Loss/3 {
		t.Errorf("loss fell only from %.3f to %.3f", first.Loss, last.Loss)
	}
	for i := range before {
		if after[i] <= before[i]+1 {
			t.Errorf("example %d: log-likelihood %.3f -> %.3f, want a rise of more than 1 nat a token", i, before[i], after[i])
		}
	}
}

// TestSPAGRaisesWinnersLowersLosers: relative to the reference model, the
// SPAG objective raises positively rewarded responses and lowers negatively
// rewarded ones.
func TestSPAGRaisesWinnersLowersLosers(t *testing.T) {
	ctx := context.Background()
	ex := wonAndLost()
	cfg := testConfig(ObjectiveSPAG, 12)
	cfg.LR = 3e-3
	cfg.BatchSize = 12
	tr, err := New(ctx, cfg, initCheckpoint(t, ex), nil, ex)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	before := make([]float64, len(ex))
	for i := range ex {
		before[i] = tr.samples[i].Ref
	}
	trainMoves(t, tr, ex, before)
}

// trainMoves runs tr to its end and checks that every example's score
// rose from before when its reward is positive and fell when negative.
func trainMoves(t *testing.T, tr *Trainer, ex []Example, before []float64) {
	t.Helper()
	ctx := context.Background()
	if err := tr.Run(ctx, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	after, err := tr.Scores(ctx, tr.Params(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range ex {
		delta := after[i] - before[i]
		if e.Reward > 0 && delta <= 0 || e.Reward < 0 && delta >= 0 {
			t.Errorf("example %d (reward %v): score moved by %.4f", i, e.Reward, delta)
		}
	}
}

// TestClippingStopsUpdate: with the KL coefficient at 0, once every ratio
// has left [1-eps, 1+eps] in its reward's direction the gradient is zero.
func TestClippingStopsUpdate(t *testing.T) {
	ctx := context.Background()
	ex := []Example{{Query: "say apple:", Target: "apple apple", Reward: 1, Weight: 1}}
	cfg := testConfig(ObjectiveSPAG, 60)
	cfg.SPAG.Beta, cfg.SPAG.Eps, cfg.WeightDecay, cfg.BatchSize, cfg.WarmupFrac = 0, 0.05, 0, 1, 0
	tr, err := New(ctx, cfg, initCheckpoint(t, ex), nil, ex)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	sawUpdate, sawClip := false, false
	for tr.Step() < tr.Total() {
		m, err := tr.TrainStep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ratio := math.Exp(m.Score - tr.samples[0].Ref) // score before this step's update
		switch {
		case ratio <= 1+cfg.SPAG.Eps:
			if m.GradNorm == 0 || m.ClipFrac != 0 {
				t.Fatalf("step %d: ratio %.4f inside the range but grad norm %v, clip %v", m.Step, ratio, m.GradNorm, m.ClipFrac)
			}
			sawUpdate = true
		default:
			if m.GradNorm != 0 || m.ClipFrac != 1 {
				t.Fatalf("step %d: ratio %.4f outside the range but grad norm %v, clip %v", m.Step, ratio, m.GradNorm, m.ClipFrac)
			}
			sawClip = true
		}
	}
	if !sawUpdate || !sawClip {
		t.Errorf("saw an unclipped update %v, saw clipping %v; want both", sawUpdate, sawClip)
	}
}

// TestResumeIsExact: 2 steps, checkpoint, reload, 2 more steps gives the
// same weights as 4 uninterrupted steps; a changed configuration is refused.
func TestResumeIsExact(t *testing.T) {
	ctx := context.Background()
	ex := corpus()
	cfg := testConfig(ObjectiveSFT, 4)
	cfg.BatchSize = 4 // epochs wrap inside the run
	init := initCheckpoint(t, ex)

	straight, err := New(ctx, cfg, &checkpoint.Checkpoint{Vocab: init.Vocab, Params: init.Params.Clone()}, nil, ex)
	if err != nil {
		t.Fatal(err)
	}
	defer straight.Close()
	if err := straight.Run(ctx, nil, 0, nil); err != nil {
		t.Fatal(err)
	}

	sampling := []string{"temperature=0.3"} // the model's decoding defaults, which training keeps
	first, err := New(ctx, cfg, &checkpoint.Checkpoint{Vocab: init.Vocab, Params: init.Params.Clone(), Sampling: sampling}, nil, ex)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	path := filepath.Join(t.TempDir(), "mid.ckpt")
	if err := first.RunUntil(ctx, 2, nil, nil, 0, nil); err != nil || first.Step() != 2 {
		t.Fatalf("RunUntil(2): step %d, error %v", first.Step(), err)
	}
	// A closed stop channel ends the run before another step.
	stop := make(chan struct{})
	close(stop)
	if err := first.RunUntil(ctx, cfg.Steps, stop, nil, 0, nil); err != nil || first.Step() != 2 {
		t.Fatalf("RunUntil with stop closed: step %d, error %v", first.Step(), err)
	}
	// A step that fails part-way (its batch drawn, the epoch possibly
	// wrapped) must leave no trace in the checkpoint.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := first.TrainStep(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("TrainStep with a cancelled context: %v", err)
	}
	c, err := first.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Save(path, c); err != nil {
		t.Fatal(err)
	}
	loaded, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded.Sampling, sampling) {
		t.Errorf("the run's checkpoint has sampling %q, want the init's %q", loaded.Sampling, sampling)
	}
	resumed, err := New(ctx, cfg, loaded, init.Params.Clone(), ex)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	if resumed.Step() != 2 {
		t.Fatalf("resumed at step %d, want 2", resumed.Step())
	}
	if err := resumed.Run(ctx, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	for i := range straight.Params().Tensors {
		if !reflect.DeepEqual(straight.Params().Tensors[i].Data(), resumed.Params().Tensors[i].Data()) {
			t.Fatalf("tensor %d differs after resuming", i)
		}
	}

	for _, tc := range []struct {
		name   string
		change func(*Config)
		data   []Example
	}{
		{"learning rate", func(c *Config) { c.LR *= 2 }, ex},
		{"objective", func(c *Config) { c.Objective = ObjectiveVAR }, ex},
		{"data", func(*Config) {}, ex[:3]},
	} {
		t.Run("mismatch "+tc.name, func(t *testing.T) {
			bad := cfg
			tc.change(&bad)
			loaded, err := checkpoint.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := New(ctx, bad, loaded, nil, tc.data); !errors.Is(err, ErrMismatch) {
				t.Errorf("New error = %v, want ErrMismatch", err)
			}
		})
	}
}

func TestVARTrains(t *testing.T) {
	ctx := context.Background()
	var ex []Example
	for _, w := range words[:3] {
		ex = append(ex,
			Example{Query: "say " + w + ":", Target: w + " " + w, Reward: 1, Weight: 1},
			Example{Query: "say " + w + ":", Target: "no", Reward: -1, Weight: 1})
	}
	cfg := testConfig(ObjectiveVAR, 15)
	cfg.VARLambda = 0.25
	tr, err := New(ctx, cfg, initCheckpoint(t, ex), nil, ex)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := tr.Run(ctx, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	after, err := tr.Scores(ctx, tr.Params(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(ex); i += 2 {
		if gain := after[i] - tr.samples[i].Ref; gain <= 0 {
			t.Errorf("rewarded example %d: l - r = %.3f, want a rise", i, gain)
		}
	}
}

func TestAdamAgainstDirectFormula(t *testing.T) {
	w := [][]float32{{1, -2, 3}, {0.5}}
	g := [][]float32{{3, 0, -4}, {12}} // global norm 13
	a := NewAdam([]int{3, 1}, []bool{true, false})
	a.WeightDecay, a.ClipNorm, a.Beta1, a.Beta2, a.Eps = 0.1, 6.5, 0.9, 0.99, 1e-8
	want := [][]float64{{1, -2, 3}, {0.5}}
	m := [][]float64{{0, 0, 0}, {0}}
	v := [][]float64{{0, 0, 0}, {0}}
	for step := 1; step <= 3; step++ {
		lr := 0.01 * float64(step)
		norm := a.Update(w, g, lr)
		if math.Abs(norm-13) > 1e-9 {
			t.Fatalf("norm %v, want 13", norm)
		}
		for i := range want {
			for j := range want[i] {
				gj := float64(g[i][j]) * 0.5 // clipped to norm 6.5
				m[i][j] = 0.9*m[i][j] + 0.1*gj
				v[i][j] = 0.99*v[i][j] + 0.01*gj*gj
				mh := m[i][j] / (1 - math.Pow(0.9, float64(step)))
				vh := v[i][j] / (1 - math.Pow(0.99, float64(step)))
				decay := 0.0
				if i == 0 {
					decay = 0.1
				}
				want[i][j] -= lr*decay*want[i][j] + lr*mh/(math.Sqrt(vh)+1e-8)
				if math.Abs(float64(w[i][j])-want[i][j]) > 1e-5 {
					t.Fatalf("step %d w[%d][%d] = %v, want %v", step, i, j, w[i][j], want[i][j])
				}
			}
		}
	}
}

func TestSchedule(t *testing.T) {
	s := Schedule{Peak: 1, Min: 0.1, Warmup: 4, Total: 20}
	tests := []struct {
		step int
		want float64
	}{{0, 0.25}, {3, 1}, {4, 1}, {19, 0.1}, {11, 0.1 + 0.9*0.5*(1+math.Cos(math.Pi*7/15))}, {25, 0.1}}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.step), func(t *testing.T) {
			if got := s.LR(tc.step); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("LR(%d) = %v, want %v", tc.step, got, tc.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	ex := corpus()
	init := initCheckpoint(t, ex)
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string // in the error
	}{
		{"objective", func(c *Config) { c.Objective = "ppo" }, "objective"},
		{"lr", func(c *Config) { c.LR = 0 }, "lr"},
		{"buckets", func(c *Config) { c.Buckets = []int{16, 8} }, "buckets"},
		{"steps", func(c *Config) { c.Steps = 0 }, "steps"},
		{"spag kl coefficient", func(c *Config) { c.Objective = ObjectiveSPAG; c.SPAG.Beta = -1 }, "KL coefficient -1"},
		{"spag clip range", func(c *Config) { c.Objective = ObjectiveSPAG; c.SPAG.Eps = 0 }, "clip range 0"},
		{"spag imitation weight", func(c *Config) { c.Objective = ObjectiveSPAG; c.SPAG.Alpha = -0.5 }, "imitation weight -0.5"},
		{"zerosum without coefficients", func(c *Config) { c.Objective = ObjectiveZeroSum }, "zerosum coefficients"},
		{"zerosum coefficients for spag", func(c *Config) { c.Objective = ObjectiveSPAG; c.ZeroSum = &objective.ZeroSumParams{Eps: 0.2} }, "zerosum coefficients"},
		{"zerosum kl coefficient", func(c *Config) { *c = testConfig(ObjectiveZeroSum, 2); c.ZeroSum.Beta = -1 }, "KL coefficient -1"},
		{"zerosum clip range", func(c *Config) { *c = testConfig(ObjectiveZeroSum, 2); c.ZeroSum.Eps = 0 }, "clip range 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(ObjectiveSFT, 2)
			tc.change(&c)
			if _, err := New(ctx, c, init, nil, ex); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one about %q", err, tc.want)
			}
		})
	}
	if _, err := New(ctx, testConfig(ObjectiveSFT, 2), init, nil, nil); err == nil {
		t.Error("empty data accepted")
	}
	other := init.Params.Clone()
	other.Config.RopeTheta = 500
	if _, err := New(ctx, testConfig(ObjectiveSFT, 2), init, other, ex); !errors.Is(err, ErrMismatch) {
		t.Errorf("mismatched reference: %v", err)
	}
}

// wonAndLost is a won and a lost answer per word, rewards (or the zero-sum
// rule's advantages) +1 and -1.
func wonAndLost() []Example {
	var ex []Example
	for i, w := range words {
		good, bad := w+" "+w, w+" no"
		if i%2 == 1 {
			good, bad = bad, good
		}
		ex = append(ex,
			Example{Query: "say " + w + ":", Target: good, Reward: 1, Weight: 1},
			Example{Query: "say " + w + ":", Target: bad, Reward: -1, Weight: 1})
	}
	return ex
}

// TestZeroSumTrainsAgainstThePolicyThatPlayed: the zerosum objective's
// l^old are the starting weights' scores (not the reference's, which here
// is another model), wins rise and losses fall relative to them (with no
// KL penalty: it would pull towards that unrelated reference).
func TestZeroSumTrainsAgainstThePolicyThatPlayed(t *testing.T) {
	ctx := context.Background()
	ex := wonAndLost()
	cfg := testConfig(ObjectiveZeroSum, 12)
	cfg.LR, cfg.BatchSize, cfg.ZeroSum.Beta = 3e-3, 12, 0
	init := initCheckpoint(t, ex)
	ref, err := model.Init(init.Params.Config, 99)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(ctx, cfg, init, ref, ex)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	before, err := tr.Scores(ctx, tr.Params(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ex {
		if s := tr.samples[i]; s.Old != before[i] || s.Old == s.Ref {
			t.Fatalf("example %d: old %v, want the starting score %v (reference %v)", i, s.Old, before[i], s.Ref)
		}
	}
	trainMoves(t, tr, ex, before)
}

// TestZeroSumResumeIsExact: a zerosum run resumed from its checkpoint
// compares with the scores of the policy that played, stored there, not
// with its own moved weights: 2 + 2 steps equal 4 straight ones.
func TestZeroSumResumeIsExact(t *testing.T) {
	ctx := context.Background()
	ex := wonAndLost()
	cfg := testConfig(ObjectiveZeroSum, 4)
	cfg.LR, cfg.BatchSize = 3e-2, 12
	init := initCheckpoint(t, ex)
	fresh := func() *checkpoint.Checkpoint {
		return &checkpoint.Checkpoint{Vocab: init.Vocab, Params: init.Params.Clone()}
	}
	straight, err := New(ctx, cfg, fresh(), nil, ex)
	if err != nil {
		t.Fatal(err)
	}
	defer straight.Close()
	if err := straight.Run(ctx, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	first, err := New(ctx, cfg, fresh(), nil, ex)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if err := first.RunUntil(ctx, 2, nil, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	c, err := first.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mid.ckpt")
	if err := checkpoint.Save(path, c); err != nil {
		t.Fatal(err)
	}
	loaded, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := New(ctx, cfg, loaded, init.Params.Clone(), ex)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	if err := resumed.Run(ctx, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	for i := range straight.Params().Tensors {
		if !reflect.DeepEqual(straight.Params().Tensors[i].Data(), resumed.Params().Tensors[i].Data()) {
			t.Fatalf("tensor %d differs after resuming", i)
		}
	}
	loaded, err = checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	loaded.Train.OldScores = nil
	if _, err := New(ctx, cfg, loaded, init.Params.Clone(), ex); !errors.Is(err, ErrMismatch) {
		t.Errorf("a checkpoint without the old policy's scores resumed: %v", err)
	}
}
