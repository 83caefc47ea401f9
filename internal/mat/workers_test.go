package mat

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestParallel checks that the parts cover [0, n) exactly once, that
// part numbers are distinct and below the limit, and that parts run
// concurrently with the caller when there are processors for it.
func TestParallel(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 100, 1001} {
		for _, maxParts := range []int{1, 2, 3, 8} {
			seen := make([]atomic.Int32, n)
			var mu sync.Mutex
			parts := map[int][2]int{}
			Parallel(n, maxParts, func(part, lo, hi int) {
				mu.Lock()
				if _, dup := parts[part]; dup {
					t.Errorf("n=%d maxParts=%d: part %d ran twice", n, maxParts, part)
				}
				parts[part] = [2]int{lo, hi}
				mu.Unlock()
				for i := lo; i < hi; i++ {
					seen[i].Add(1)
				}
			})
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Fatalf("n=%d maxParts=%d: index %d covered %d times", n, maxParts, i, c)
				}
			}
			limit := min(maxParts, runtime.GOMAXPROCS(0))
			for p := range parts {
				if p < 0 || p >= limit {
					t.Errorf("n=%d maxParts=%d: part number %d outside [0, %d)", n, maxParts, p, limit)
				}
			}
		}
	}
}

// TestParallelNested runs split products inside the parts of a Parallel
// loop, from several goroutines at once: a part is never queued behind
// a busy worker, so this cannot deadlock, and every product must equal
// the serial one.
func TestParallelNested(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const m, n, k = 64, 96, 128 // large enough to split
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	want := make([]float32, m*n)
	generic.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			out := make([][]float32, 6)
			for i := range out {
				out[i] = make([]float32, m*n)
			}
			for range 20 {
				Parallel(len(out), 3, func(part, lo, hi int) {
					for i := lo; i < hi; i++ {
						best.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, out[i], n)
					}
				})
				for i, c := range out {
					for j := range c {
						if d := c[j] - want[j]; d > 1e-3 || d < -1e-3 {
							t.Errorf("goroutine %d, product %d: C[%d] = %v, want %v", g, i, j, c[j], want[j])
							return
						}
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestParallelAllocs: with a func value made once, a loop allocates
// nothing (the decoder calls it several times per token).
func TestParallelAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	sum := make([]float32, 64)
	fn := func(part, lo, hi int) {
		for i := lo; i < hi; i++ {
			sum[i]++
		}
	}
	Parallel(len(sum), 2, fn) // start the workers
	if n := testing.AllocsPerRun(100, func() { Parallel(len(sum), 2, fn) }); n != 0 {
		t.Errorf("%v allocations per Parallel call, want 0", n)
	}
	a, b, c := make([]float32, 8*256), make([]float32, 256*512), make([]float32, 8*512)
	if n := testing.AllocsPerRun(100, func() { Sgemm(false, false, 8, 512, 256, 1, a, 256, b, 512, 0, c, 512) }); n != 0 {
		t.Errorf("%v allocations per split product, want 0", n)
	}
}
