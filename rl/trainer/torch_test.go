package trainer

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/spag-go/spag/internal/torchtest"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/hf"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/objective"
	"github.com/spag-go/spag/rl/train"
)

// torchTrainer is examples/torch/train.py run by Debian's Python, which
// python3-torch installs into.
func torchTrainer(t *testing.T, flags string) Exec {
	t.Helper()
	torchtest.Require(t)
	script, err := filepath.Abs("../../examples/torch/train.py")
	if err != nil {
		t.Fatal(err)
	}
	return Exec{Command: torchtest.Python + " " + script + " " + flags}
}

// refFixture writes a reference model of the fixture's shape with other
// weights, so that the ratios of the spag and zerosum objectives move
// away from 1 and their clipping shows.
func refFixture(t *testing.T, dir, init string) (string, *model.Params) {
	t.Helper()
	c, err := checkpoint.Load(init)
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Init(c.Params.Config, 99)
	if err != nil {
		t.Fatal(err)
	}
	c.Params = p
	path := filepath.Join(dir, "ref.ckpt")
	if err := checkpoint.Save(path, c); err != nil {
		t.Fatal(err)
	}
	return path, p
}

// TestTorchTrainerMatchesNative takes one step of each objective the
// PyTorch trainer implements on the same batch (all of the data) with the
// native trainer and with examples/torch/train.py, and wants the same loss
// and gradient norm within 1e-5.
func TestTorchTrainerMatchesNative(t *testing.T) {
	tr := torchTrainer(t, "")
	dir, data, init := fixture(t)
	refPath, refParams := refFixture(t, dir, init)
	for _, name := range []string{train.ObjectiveSFT, train.ObjectiveSPAG, train.ObjectiveZeroSum} {
		t.Run(name, func(t *testing.T) {
			cfg := train.DefaultConfig(name)
			cfg.Steps, cfg.BatchSize, cfg.MicroBatch, cfg.Buckets = 1, 16, 4, []int{16, 32}
			if name == train.ObjectiveZeroSum {
				zs := objective.DefaultZeroSum()
				cfg.ZeroSum = &zs
			}
			examples, _, err := ReadData(data, name)
			if err != nil {
				t.Fatal(err)
			}
			ck, err := checkpoint.Load(init)
			if err != nil {
				t.Fatal(err)
			}
			nt, err := train.New(context.Background(), cfg, ck, refParams, examples)
			if err != nil {
				t.Fatal(err)
			}
			defer nt.Close()
			want, err := nt.TrainStep(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, name+".ckpt")
			res, err := tr.Train(context.Background(), Job{Config: cfg, Data: data, Init: Policy{Checkpoint: init}, Ref: Policy{Checkpoint: refPath}, Out: out})
			if err != nil {
				t.Fatal(err)
			}
			got := res.Metrics
			t.Logf("loss torch %.9g native %.9g; grad norm torch %.9g native %.9g", got["loss"], want.Loss, got["grad_norm"], want.GradNorm)
			if math.Abs(got["loss"]-want.Loss) > 1e-5 || math.Abs(got["grad_norm"]-want.GradNorm) > 1e-5*math.Max(1, want.GradNorm) {
				t.Errorf("torch loss %v, grad norm %v; native %v, %v", got["loss"], got["grad_norm"], want.Loss, want.GradNorm)
			}
			if res.Policy.Checkpoint != out {
				t.Errorf("policy %+v: the returned directory was not imported as %s", res.Policy, out)
			}
		})
	}
}

// TestTorchTrainerDDP trains 20 steps with one worker and with two
// (DistributedDataParallel over gloo, the trainer's own processes) on the
// same global batches and wants the same weights within 1e-5.
func TestTorchTrainerDDP(t *testing.T) {
	dir, data, init := fixture(t)
	weights := map[int]map[string]hf.Tensor{}
	for _, n := range []int{1, 2} {
		cfg := train.DefaultConfig(train.ObjectiveSPAG)
		cfg.Steps, cfg.BatchSize, cfg.MicroBatch, cfg.LR, cfg.WarmupFrac = 20, 8, 2, 1e-2, 0.1
		out := filepath.Join(dir, fmt.Sprintf("ddp%d.ckpt", n))
		res, err := torchTrainer(t, fmt.Sprintf("--nproc %d", n)).Train(context.Background(), Job{Config: cfg, Data: data, Init: Policy{Checkpoint: init}, Out: out})
		if err != nil {
			t.Fatal(err)
		}
		if res.Step != 20 {
			t.Fatalf("%d workers: %d steps", n, res.Step)
		}
		if weights[n], err = hf.ReadSafetensors(filepath.Join(res.Policy.HF, hf.WeightsFile)); err != nil {
			t.Fatal(err)
		}
	}
	initW, err := checkpoint.Load(init)
	if err != nil {
		t.Fatal(err)
	}
	moved, worst := 0.0, 0.0
	for name, a := range weights[1] {
		b := weights[2][name]
		for i := range a.Data {
			worst = math.Max(worst, math.Abs(float64(a.Data[i]-b.Data[i])))
		}
	}
	emb := model.Float64s(initW.Params.Tensors[0])
	for i, v := range weights[1]["model.embed_tokens.weight"].Data {
		moved = math.Max(moved, math.Abs(float64(v)-emb[i]))
	}
	t.Logf("max |1 worker - 2 workers| = %.3g over the weights; the embedding moved up to %.3g", worst, moved)
	if moved < 1e-3 {
		t.Fatalf("training did not move the weights (%g)", moved)
	}
	if worst > 1e-5 {
		t.Fatalf("2 workers' weights differ from 1 worker's by %g", worst)
	}
}
