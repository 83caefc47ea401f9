package model

import (
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
)

// float is the element type of a model: float32 for training and serving,
// float64 for the gradient checks of the tests.
type float interface{ ~float32 | ~float64 }

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// sgemm computes c = alpha·op(a)·op(b) + beta·c for row-major float32
// matrices, op transposing when tA/tB is set. Every single-precision matrix
// product of the model's own operators goes through here, so one change
// points them all at another implementation; for now it is the BLAS that
// gorgonia uses for its own products, the one this package's blas_*.go
// file installs with gorgonia.Use.
func sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	G.WhichBLAS().Sgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemm is [sgemm] for either element type; float64 (the tests' type) goes
// to the double-precision routine of the same BLAS.
func gemm[T float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch a := any(a).(type) {
	case []float32:
		sgemm(tA, tB, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		G.WhichBLAS().Dgemm(trans(tA), trans(tB), m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

// parallel runs fn over [0, n) split into one contiguous range per worker
// (at most GOMAXPROCS of them) and waits; worker numbers are below
// [workers]() so that callers can index per-worker scratch space.
func parallel(n int, fn func(worker, lo, hi int)) {
	w := min(workers(), n)
	if w <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < w; i++ {
		lo, hi := i*n/w, (i+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i, lo, hi)
		}()
	}
	wg.Wait()
}

func workers() int { return runtime.GOMAXPROCS(0) }

// workspace is scratch space kept between runs, one slice per worker.
type workspace[T float] struct{ bufs [][]T }

// parallel is [parallel] handing each worker its scratch slice of size
// elements.
func (ws *workspace[T]) parallel(n, size int, fn func(s []T, lo, hi int)) {
	if w := workers(); len(ws.bufs) < w {
		ws.bufs = append(ws.bufs, make([][]T, w-len(ws.bufs))...)
	}
	parallel(n, func(w, lo, hi int) {
		if len(ws.bufs[w]) < size {
			ws.bufs[w] = make([]T, size)
		}
		fn(ws.bufs[w][:size], lo, hi)
	})
}

// expInto sets dst[i] = exp(src[i]); float32 uses [exp32], float64
// math.Exp. dst and src may be the same slice.
func expInto[T float](dst, src []T) {
	switch d := any(dst).(type) {
	case []float32:
		s := any(src).([]float32)
		for i := range d {
			d[i] = exp32(s[i])
		}
	case []float64:
		s := any(src).([]float64)
		for i := range d {
			d[i] = math.Exp(s[i])
		}
	}
}

// exp32 is exp for float32 without a round trip through float64's math.Exp,
// which dominates softmax otherwise. It splits x = n·ln2 + r with |r| ≤
// ln2/2 and evaluates e^r by its Taylor polynomial to degree 7 (truncation
// error below 3e-9 relative) in float32; the result is within 2 ulp of the
// correctly rounded value (TestExp32 compares it with math.Exp).
func exp32(x float32) float32 {
	const (
		ln2Hi = 0.693359375 // ln2 split so that n·ln2Hi is exact
		ln2Lo = -2.12194440e-4
		log2e = 1.44269504088896341
	)
	switch {
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -103.97208:
		return 0
	case x != x:
		return x
	}
	n := float32(math.Floor(float64(x*log2e + 0.5)))
	r := x - n*ln2Hi - n*ln2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	// Scale by 2^n in two steps so that subnormal results stay right.
	ni := int32(n)
	if ni < -126 {
		p *= math.Float32frombits(uint32(ni+126+127) << 23)
		return p * math.Float32frombits(1<<23) // 2^-126
	}
	if ni > 127 {
		return p * 2 * math.Float32frombits(uint32(ni-1+127)<<23)
	}
	return p * math.Float32frombits(uint32(ni+127)<<23)
}
