package native

import (
	"math"
	"testing"
)

// TestExpf compares expf with math.Exp across its range, every 1/997,
// and at the edges.
func TestExpf(t *testing.T) {
	worst := 0.0
	for i := -87 * 997; i <= 88*997; i++ {
		x := float32(float64(i) / 997)
		want := math.Exp(float64(x))
		got := float64(expf(x))
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	if worst > 2.5e-7 {
		t.Fatalf("expf: worst relative error %.3g, want ≤ 2.5e-7", worst)
	}
	for _, tc := range []struct{ x, want float32 }{
		{0, 1}, {-100, 0}, {float32(math.Inf(-1)), 0}, {100, float32(math.Inf(1))}, {float32(math.Inf(1)), float32(math.Inf(1))},
	} {
		if got := expf(tc.x); got != tc.want {
			t.Errorf("expf(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	if got := expf(float32(math.NaN())); got == got {
		t.Errorf("expf(NaN) = %v, want NaN", got)
	}
}

func BenchmarkExpf(b *testing.B) {
	s := float32(0)
	for i := 0; b.Loop(); i++ {
		s += expf(-float32(i%1000) / 100)
	}
	_ = s
}

func BenchmarkMathExp(b *testing.B) {
	s := float32(0)
	for i := 0; b.Loop(); i++ {
		s += float32(math.Exp(float64(-float32(i%1000) / 100)))
	}
	_ = s
}
