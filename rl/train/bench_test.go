package train

import (
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spag-go/spag/internal/mat"
	"github.com/spag-go/spag/rl/model"
)

// BenchmarkTrainStep measures training throughput (forward + backward +
// clipped AdamW update) for the reference configuration of the README:
// width 256, 4 layers, 8 heads, ffn 688, vocabulary 2000, context 256,
// batch 16. Compare with testdata/bench_torch.py at the same thread count:
//
//	GOMAXPROCS=2 go test -run '^$' -bench TrainStep -benchtime 3x ./rl/train/
//	/usr/bin/python3 rl/train/testdata/bench_torch.py --threads 2 --steps 3
//
// It also reports the roofline fraction: the step's arithmetic, counted
// from the shapes (three times the forward pass's, the usual count for
// forward + backward: each product's two gradients cost as much as it
// does), per second, over the best internal/mat product rate measured in
// the same run.
func BenchmarkTrainStep(b *testing.B) {
	step, err := trainBench()
	if err != nil {
		b.Fatal(err)
	}
	peak := mat.PeakGFLOPS(200 * time.Millisecond)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := step(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	elapsed := b.Elapsed().Seconds()
	peak = max(peak, mat.PeakGFLOPS(200*time.Millisecond))
	cfg, err := model.Preset("small")
	if err != nil {
		b.Fatal(err)
	}
	// Every sequence is benchLength tokens; token t attends to t+1
	// positions.
	tokens := int64(benchBatch * benchLength)
	pairs := int64(benchBatch * benchLength * (benchLength + 1) / 2)
	flops := 3 * cfg.FLOPs(tokens, pairs, tokens) * float64(b.N) / elapsed / 1e9
	b.ReportMetric(float64(tokens)*float64(b.N)/elapsed, "tokens/s")
	b.ReportMetric(flops, "GFLOP/s")
	b.ReportMetric(peak, "mat-peak-GFLOP/s")
	b.ReportMetric(100*flops/peak, "roofline-%")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-rss-MiB")
	}
}

const benchBatch, benchLength = 16, 256

// trainBench builds the benchmark's model, runner and optimizer once per
// process and returns its training step, warmed up (the first run
// allocates the kernels' buffers). The testing package calls a benchmark
// function more than once (b.N = 1 first); building a second model would
// put two in the process's peak memory, which is compared with PyTorch's
// one.
var trainBench = sync.OnceValues(func() (func() error, error) {
	cfg, err := model.Preset("small")
	if err != nil {
		return nil, err
	}
	p, err := model.Init(cfg, 1)
	if err != nil {
		return nil, err
	}
	r, err := model.NewRunner(p, benchBatch, benchLength, true)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	in, tg := make([]int, benchBatch*benchLength), make([]int, benchBatch*benchLength)
	for i := range in {
		in[i], tg[i] = rng.IntN(cfg.Vocab), rng.IntN(cfg.Vocab)
	}
	var sizes []int
	var grads, weights [][]float32
	for _, w := range p.Tensors {
		sizes = append(sizes, w.Shape().TotalSize())
		grads = append(grads, make([]float32, w.Shape().TotalSize()))
		weights = append(weights, w.Data().([]float32))
	}
	opt := NewAdam(sizes, nil)
	opt.WeightDecay = 0.01
	meanNLL := func(lp []float64) (float64, []float64, error) {
		g := make([]float64, len(lp))
		s := 0.0
		for i, v := range lp {
			s -= v / float64(len(lp))
			g[i] = -1 / float64(len(lp))
		}
		return s, g, nil
	}
	step := func() error {
		if _, _, err := r.Run(in, tg, meanNLL); err != nil {
			return err
		}
		if err := r.AddGrads(grads); err != nil {
			return err
		}
		opt.Update(weights, grads, 1e-3)
		for _, g := range grads {
			clear(g)
		}
		return nil
	}
	return step, step()
})
