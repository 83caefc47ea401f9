package train

import (
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/spag-go/spag/rl/model"
)

// BenchmarkTrainStep measures training throughput (forward + backward +
// clipped AdamW update) for the reference configuration of the README:
// width 256, 4 layers, 8 heads, ffn 688, vocabulary 2000, context 256,
// batch 16. Compare with testdata/bench_torch.py at the same thread count:
//
//	GOMAXPROCS=2 go test -run '^$' -bench TrainStep -benchtime 3x ./rl/train/
//	/usr/bin/python3 rl/train/testdata/bench_torch.py --threads 2 --steps 3
func BenchmarkTrainStep(b *testing.B) {
	cfg, err := model.Preset("small")
	if err != nil {
		b.Fatal(err)
	}
	const batch, length = 16, 256
	p, err := model.Init(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	r, err := model.NewRunner(p, batch, length, true)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	in, tg := make([]int, batch*length), make([]int, batch*length)
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
	step := func() {
		if _, _, err := r.Run(in, tg, meanNLL); err != nil {
			b.Fatal(err)
		}
		if err := r.AddGrads(grads); err != nil {
			b.Fatal(err)
		}
		opt.Update(weights, grads, 1e-3)
		for _, g := range grads {
			clear(g)
		}
	}
	step() // warm-up: first run allocates the tape's registers
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	b.StopTimer()
	b.ReportMetric(float64(batch*length*b.N)/b.Elapsed().Seconds(), "tokens/s")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-rss-MiB")
	}
}
