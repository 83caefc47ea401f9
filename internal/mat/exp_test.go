package mat

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpf compares Expf with math.Exp across its range, every 1/997,
// and at the edges.
func TestExpf(t *testing.T) {
	worst := 0.0
	for i := -87 * 997; i <= 88*997; i++ {
		x := float32(float64(i) / 997)
		want := math.Exp(float64(x))
		got := float64(Expf(x))
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	if worst > 1.5e-7 {
		t.Fatalf("Expf: worst relative error %.3g, want ≤ 1.5e-7", worst)
	}
	t.Logf("worst relative error %.3g", worst)
	for _, tc := range []struct{ x, want float32 }{
		{0, 1}, {-100, 0}, {float32(math.Inf(-1)), 0}, {100, float32(math.Inf(1))}, {float32(math.Inf(1)), float32(math.Inf(1))},
	} {
		if got := Expf(tc.x); got != tc.want {
			t.Errorf("Expf(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	if got := Expf(float32(math.NaN())); got == got {
		t.Errorf("Expf(NaN) = %v, want NaN", got)
	}
}

// TestExp checks every path's Exp against Expf bit for bit (NaN for
// NaN), on lengths around the kernels' groups of eight, random values
// over and beyond the range, and the edges.
func TestExp(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	edges := []float32{0, -0.0, 1, -1, -87, -87.0001, 88, 88.0001, -100, 100, 0.34657359, -0.34657359,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, 1e-30, -1e-30}
	for _, im := range impls() {
		for _, n := range []int{0, 1, 7, 8, 9, 16, 31, 1000, 4099} {
			x := make([]float32, n)
			for i := range x {
				if i < len(edges) && n > 100 {
					x[i] = edges[i]
				} else {
					x[i] = float32(r.Float64()*200 - 100)
				}
			}
			got := append([]float32(nil), x...)
			im.exp(got)
			for i, v := range x {
				want := Expf(v)
				if math.Float32bits(got[i]) != math.Float32bits(want) && !(want != want && got[i] != got[i]) {
					t.Fatalf("%s n=%d: exp(%v) = %v (%#x), Expf gives %v (%#x)", im.name, n, v, got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
				}
			}
		}
	}
}

func BenchmarkExp(b *testing.B) {
	x := make([]float32, 688)
	for _, im := range impls() {
		b.Run(im.name, func(b *testing.B) {
			for b.Loop() {
				for i := range x {
					x[i] = -float32(i%1000) / 100
				}
				im.exp(x)
			}
		})
	}
}
