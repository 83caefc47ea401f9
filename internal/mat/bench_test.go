package mat

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchShapes are squares and the products of the small preset (dim 256,
// FFN 688, vocabulary 2000): training at batch 16 × 256 tokens forward
// (NN), its weight gradients (TN) and input gradients (NT), and decoding
// one stream and eight.
var benchShapes = []struct {
	name    string
	tA, tB  bool
	m, n, k int
}{
	{"square256", false, false, 256, 256, 256},
	{"square1024", false, false, 1024, 1024, 1024},
	{"train-ffn-fwd", false, false, 4096, 688, 256},
	{"train-ffn-dW", true, false, 256, 688, 4096},
	{"train-ffn-dX", false, true, 4096, 256, 688},
	{"train-head-fwd", false, false, 4096, 2000, 256},
	{"decode1-ffn", false, false, 1, 688, 256},
	{"decode8-ffn", false, false, 8, 688, 256},
	{"decode1-head", false, false, 1, 2000, 256},
}

// BenchmarkSgemm reports GFLOP/s for every path of this package and for
// gonum's Sgemm (which gorgonia used before), on the same shapes in one
// run:
//
//	go test -run '^$' -bench Sgemm ./internal/mat/
func BenchmarkSgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	type sgemmFunc func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	paths := []struct {
		name string
		f    sgemmFunc
	}{}
	for _, im := range impls() {
		paths = append(paths, struct {
			name string
			f    sgemmFunc
		}{"mat-" + im.name, im.sgemm})
	}
	paths = append(paths, struct {
		name string
		f    sgemmFunc
	}{"gonum", func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, bb []float32, ldb int, beta float32, c []float32, ldc int) {
		t := func(x bool) blas.Transpose {
			if x {
				return blas.Trans
			}
			return blas.NoTrans
		}
		gonum.Implementation{}.Sgemm(t(tA), t(tB), m, n, k, alpha, a, lda, bb, ldb, beta, c, ldc)
	}})
	for _, s := range benchShapes {
		a, bm, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
		lda, ldb := s.k, s.n
		if s.tA {
			lda = s.m
		}
		if s.tB {
			ldb = s.k
		}
		for _, p := range paths {
			b.Run(fmt.Sprintf("%s/%s", s.name, p.name), func(b *testing.B) {
				for b.Loop() {
					p.f(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSgemmPacked reports GFLOP/s of products by packed weights, as
// a decoder runs them: the small preset's fused Q/K/V (256 × 768), output
// (256 × 256), fused gate/up (256 × 1376) and down (688 × 256)
// projections, for a batch of rows (decoding streams, or a prefill's
// tokens):
//
//	go test -run '^$' -bench SgemmPacked ./internal/mat/
func BenchmarkSgemmPacked(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range []struct {
		name string
		k, n int
	}{{"qkv", 256, 768}, {"out", 256, 256}, {"gateup", 256, 1376}, {"down", 688, 256}} {
		w := Pack(false, s.k, s.n, randSlice(r, s.k*s.n), s.n)
		for _, m := range []int{1, 8, 32, 64, 128} {
			a, c := randSlice(r, m*s.k), make([]float32, m*s.n)
			b.Run(fmt.Sprintf("%s/rows=%d", s.name, m), func(b *testing.B) {
				for b.Loop() {
					SgemmPacked(m, 1, a, s.k, w, 0, c, s.n)
				}
				b.ReportMetric(2*float64(m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
