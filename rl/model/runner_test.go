package model

import (
	"math"
	"testing"

	"gorgonia.org/tensor"
)

// testConfig is tiny and uses grouped-query attention (2 query heads per
// key/value head) so every code path runs.
func testConfig() Config {
	return Config{Vocab: 11, Dim: 8, Layers: 2, Heads: 4, KVHeads: 2, FFN: 12, Context: 8, NormEps: 1e-5, RopeTheta: 10000}
}

func testParams(t testing.TB, dt tensor.Dtype) *Params {
	t.Helper()
	p, err := Init(testConfig(), 7)
	if err != nil {
		t.Fatal(err)
	}
	// Larger weights than the init so that attention is far from uniform
	// and every gradient is sizeable.
	for _, w := range p.Tensors {
		d := w.Data().([]float32)
		for i := range d {
			if len(w.Shape()) == 1 {
				d[i] = 1 + 0.1*float32(math.Sin(float64(i)))
			} else {
				d[i] *= 20
			}
		}
	}
	q, err := p.Convert(dt)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// weightedSum is a loss with a known gradient: sum_i c_i * logp_i.
func weightedSum(c []float64) LossFunc {
	return func(lp []float64) (float64, []float64, error) {
		s := 0.0
		for i := range lp {
			s += c[i] * lp[i]
		}
		return s, append([]float64(nil), c...), nil
	}
}

var (
	testInputs  = []int{1, 5, 3, 9, 2, 1, 7, 7, 4, 0}
	testTargets = []int{5, 3, 9, 2, 0, 7, 7, 4, 10, 0}
	testCoef    = []float64{0.5, -1, 2, 0.25, 0, 1, -0.5, 1.5, 0.75, 0}
)

func TestGradientCentralDifference(t *testing.T) {
	p := testParams(t, tensor.Float64)
	r, err := NewRunner(p, 2, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	loss := weightedSum(testCoef)
	if _, _, err := r.Run(testInputs, testTargets, loss); err != nil {
		t.Fatal(err)
	}
	grads, err := r.Grads()
	if err != nil {
		t.Fatal(err)
	}
	ev, err := NewRunner(p, 2, 5, false)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	f := func() float64 {
		v, _, err := ev.Run(testInputs, testTargets, loss)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const h = 1e-5
	for i, w := range p.Tensors {
		d := w.Data().([]float64)
		for _, j := range []int{0, len(d) / 3, len(d) / 2, len(d) - 1} {
			orig := d[j]
			d[j] = orig + h
			up := f()
			d[j] = orig - h
			down := f()
			d[j] = orig
			num := (up - down) / (2 * h)
			if diff := math.Abs(num - grads[i][j]); diff > 1e-6*math.Max(1, math.Abs(num)) {
				t.Errorf("%s[%d]: analytic %.9g, numeric %.9g", p.Config.ParamSpecs()[i].Name, j, grads[i][j], num)
			}
		}
	}
}

func TestCausalityAndPadding(t *testing.T) {
	p := testParams(t, tensor.Float64)
	r, err := NewRunner(p, 2, 5, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, base, err := r.Run(testInputs, testTargets, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Changing the padding after position 2 of row 0 must not change
	// positions 0..2 of row 0, nor anything of row 1.
	in := append([]int(nil), testInputs...)
	in[3], in[4] = 0, 10
	_, got, err := r.Run(in, testTargets, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if i != 3 && i != 4 && got[i] != base[i] {
			t.Errorf("position %d changed (%v -> %v) though only later inputs did", i, base[i], got[i])
		}
	}
	if got[3] == base[3] {
		t.Error("position 3 did not change although its input did")
	}
	// Log-probabilities over the whole vocabulary sum to one.
	for pos := 0; pos < 10; pos++ {
		sum := 0.0
		for y := 0; y < p.Config.Vocab; y++ {
			tg := append([]int(nil), testTargets...)
			tg[pos] = y
			_, lp, err := r.Run(testInputs, tg, nil)
			if err != nil {
				t.Fatal(err)
			}
			sum += math.Exp(lp[pos])
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("position %d: probabilities sum to %v", pos, sum)
		}
	}
}

func TestRunnerReadsParamsInPlaceAndAccumulates(t *testing.T) {
	p := testParams(t, tensor.Float32)
	r, err := NewRunner(p, 2, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	loss := weightedSum(testCoef)
	v1, _, err := r.Run(testInputs, testTargets, loss)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Run(testInputs, testTargets, loss); err != nil {
		t.Fatal(err)
	}
	acc := make([][]float32, len(p.Tensors))
	for i, w := range p.Tensors {
		acc[i] = make([]float32, w.Shape().TotalSize())
	}
	if err := r.AddGrads(acc); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Run(testInputs, testTargets, loss); err != nil {
		t.Fatal(err)
	}
	single, err := r.Grads()
	if err != nil {
		t.Fatal(err)
	}
	// Two runs accumulate twice one run's gradient; AddGrads cleared them.
	for i := range acc {
		for j := range acc[i] {
			if !relClose(float64(acc[i][j]), 2*single[i][j], 1e-4) {
				t.Fatalf("param %d[%d]: two runs %v, one run %v", i, j, acc[i][j], single[i][j])
			}
		}
	}
	// Updating the weights in place changes the next run.
	out := p.Tensors[len(p.Tensors)-1].Data().([]float32)
	for j := range out {
		out[j] *= 0.5
	}
	v2, _, err := r.Run(testInputs, testTargets, loss)
	if err != nil {
		t.Fatal(err)
	}
	if v1 == v2 {
		t.Error("runner did not see the in-place weight update")
	}
}

func TestRunErrors(t *testing.T) {
	p := testParams(t, tensor.Float32)
	r, err := NewRunner(p, 2, 5, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, _, err := r.Run(testInputs[:3], testTargets, nil); err == nil {
		t.Error("short inputs accepted")
	}
	bad := append([]int(nil), testInputs...)
	bad[0] = 11
	if _, _, err := r.Run(bad, testTargets, nil); err == nil {
		t.Error("out-of-vocabulary token accepted")
	}
	failing := func([]float64) (float64, []float64, error) { return 0, nil, ErrBatchShape }
	if _, _, err := r.Run(testInputs, testTargets, failing); err == nil {
		t.Error("loss function error not returned")
	}
	if _, err := NewRunner(p, 1, 9, false); err == nil {
		t.Error("length beyond the context accepted")
	}
}

func TestPresets(t *testing.T) {
	for _, name := range PresetNames() {
		t.Run(name, func(t *testing.T) {
			c, err := Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, _ := Preset("small")
	if n := small.NumParams(); n < 3_000_000 || n > 6_000_000 {
		t.Errorf("small has %d parameters, want a few million", n)
	}
	if _, err := Preset("huge"); err == nil {
		t.Error("unknown preset accepted")
	}
	bad := testConfig()
	bad.KVHeads = 3
	if err := bad.Validate(); err == nil {
		t.Error("heads not a multiple of kv_heads accepted")
	}
}
