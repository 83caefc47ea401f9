package mat

import (
	"math/rand/v2"
	"time"
)

// peakShapes are the products PeakGFLOPS times: squares and the small
// preset's largest training products, the shapes where the kernels run
// best.
var peakShapes = [][3]int{{512, 512, 512}, {1024, 1024, 1024}, {4096, 688, 256}, {4096, 2000, 256}}

// PeakGFLOPS measures the best rate of this package's products on this
// machine now, in GFLOP/s: the fastest of a few large products, each
// repeated for at least d. A roofline fraction divides an achieved rate
// by it; measured in the same run, both see the same load from other
// work on the machine.
func PeakGFLOPS(d time.Duration) float64 {
	r := rand.New(rand.NewPCG(1, 1))
	best := 0.0
	for _, s := range peakShapes {
		m, n, k := s[0], s[1], s[2]
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		for i := range a {
			a[i] = r.Float32()
		}
		for i := range b {
			b[i] = r.Float32()
		}
		Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n) // warm up
		start, reps := time.Now(), 0
		for reps == 0 || time.Since(start) < d {
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			reps++
		}
		best = max(best, 2*float64(m*n*k)*float64(reps)/time.Since(start).Seconds()/1e9)
	}
	return best
}
