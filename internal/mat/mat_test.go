package mat

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naive is the reference product in float64: C = alpha·op(A)·op(B) +
// beta·C, and for each element the sum of |terms| that bounds its
// rounding error.
func naive(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, bound []float64) {
	want = make([]float64, m*n)
	bound = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s, abs := 0.0, 0.0
			for p := 0; p < k; p++ {
				var av, bv float32
				if tA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				t := float64(av) * float64(bv)
				s += t
				abs += math.Abs(t)
			}
			cv := 0.0
			if beta != 0 {
				cv = float64(beta) * float64(c[i*ldc+j])
			}
			want[i*n+j] = float64(alpha)*s + cv
			bound[i*n+j] = math.Abs(float64(alpha))*abs + math.Abs(cv)
		}
	}
	return want, bound
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// sentinel marks elements outside the matrices that must not change.
const sentinel = 12345.5

// gemmCase runs one product on im with padded leading dimensions and
// checks it against naive, and that nothing outside C changed.
func gemmCase(t testing.TB, im *impl, r *rand.Rand, tA, tB bool, m, n, k, pad int, alpha, beta float32) {
	t.Helper()
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+pad, bc+pad, n+pad
	a := randSlice(r, max(0, (ar-1)*lda+ac))
	b := randSlice(r, max(0, (br-1)*ldb+bc))
	c := randSlice(r, max(0, (m-1)*ldc+n))
	for i := range c {
		if i%ldc >= n {
			c[i] = sentinel
		} else if beta == 0 && i%7 == 0 {
			c[i] = float32(math.NaN()) // beta 0 must not read C
		}
	}
	want, bound := naive(tA, tB, m, n, k, alpha, a, max(lda, 1), b, max(ldb, 1), beta, c, max(ldc, 1))
	c0 := append([]float32(nil), c...)
	c1 := append([]float32(nil), c...)
	im.sgemm(tA, tB, m, n, k, alpha, a, max(lda, 1), b, max(ldb, 1), beta, c, max(ldc, 1))
	if !tA && !tB {
		// Read in place at any height, the same bits.
		im.sgemmInPlace(m, n, k, alpha, a, max(lda, 1), b, max(ldb, 1), beta, c1, max(ldc, 1))
		for i := range c {
			if c1[i] != c[i] && !(c1[i] != c1[i] && c[i] != c[i]) {
				t.Fatalf("%s %d×%d×%d: SgemmInPlace gives C[%d] = %v, Sgemm %v", im.name, m, n, k, i, c1[i], c[i])
			}
		}
	}
	if !tA && k > 0 && n > 0 {
		// The same product with B packed must agree bit for bit.
		pb := Pack(tB, k, n, b, max(ldb, 1))
		if u := pb.Unpack(); len(u) != k*n || (k > 0 && n > 0 && u[(k-1)*n+n-1] != want0(tB, b, ldb, k-1, n-1)) {
			t.Fatalf("Unpack of a packed %d×%d B lost its last element", k, n)
		}
		im.sgemmPacked(m, alpha, a, max(lda, 1), pb, beta, c0, max(ldc, 1))
		for i := range c {
			if c0[i] != c[i] && !(c0[i] != c0[i] && c[i] != c[i]) {
				t.Fatalf("%s tB=%v %d×%d×%d: packed B gives C[%d] = %v, Sgemm %v", im.name, tB, m, n, k, i, c0[i], c[i])
			}
		}
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n+pad && i*ldc+j < len(c); j++ {
			got := c[i*ldc+j]
			if j >= n {
				if got != sentinel {
					t.Fatalf("%s tA=%v tB=%v %d×%d×%d: C[%d,%d] outside C changed to %v", im.name, tA, tB, m, n, k, i, j, got)
				}
				continue
			}
			w, e := want[i*n+j], bound[i*n+j]
			if d := math.Abs(float64(got) - w); !(d <= 1e-5*e+1e-6) {
				t.Fatalf("%s tA=%v tB=%v %d×%d×%d pad %d alpha %v beta %v: C[%d,%d] = %v, want %v (bound %v)",
					im.name, tA, tB, m, n, k, pad, alpha, beta, i, j, got, w, 1e-5*e)
			}
		}
	}
}

// want0 is element (p, j) of op(B).
func want0(tB bool, b []float32, ldb, p, j int) float32 {
	if tB {
		return b[j*ldb+p]
	}
	return b[p*ldb+j]
}

// shapes cover single elements, odd sizes around the tile (6×16) and
// block (96, 256, 4096) edges, the direct path (up to 18 rows) and the
// blocked one, serial and split across goroutines.
var shapes = [][3]int{
	{1, 1, 1}, {1, 17, 63}, {3, 65, 17}, {17, 129, 65}, {63, 63, 63}, {65, 3, 129},
	{129, 17, 3}, {7, 300, 257}, {19, 33, 600}, {100, 129, 300}, {1, 1000, 256},
	{8, 2000, 256}, {129, 129, 129}, {200, 4100, 3}, {6, 16, 0}, {0, 5, 5}, {2, 2, 1},
	{2, 100, 300}, {1, 200, 17}, {2, 64, 5}, {1, 48, 33}, {16, 100, 70}, {15, 33, 40},
}

var scalars = [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {0, 0.5}, {2, 0}}

func TestSgemm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, im := range impls() {
		for si, s := range shapes {
			for tt := 0; tt < 4; tt++ {
				tA, tB := tt&1 != 0, tt&2 != 0
				ab := scalars[(si+tt)%len(scalars)]
				pad := (si + tt) % 3 * 5
				t.Run(fmt.Sprintf("%s/%dx%dx%d/tA=%v,tB=%v", im.name, s[0], s[1], s[2], tA, tB), func(t *testing.T) {
					gemmCase(t, im, r, tA, tB, s[0], s[1], s[2], pad, ab[0], ab[1])
				})
			}
		}
	}
}

// TestPathsAgree checks the fast path against the generic one bit for
// bit where their sums run in the same order would not hold; instead it
// checks Path names the first implementation, which TestSgemm covers.
func TestPath(t *testing.T) {
	if got, want := Path(), impls()[0].name; got != want {
		t.Fatalf("Path() = %q, want %q", got, want)
	}
	if len(impls()) == 0 || impls()[len(impls())-1] != generic {
		t.Fatal("the generic implementation is not among the paths tested")
	}
}

// TestRowsIndependent checks that a row of a product does not depend on
// the other rows computed with it, bit for bit: the native decoder's
// batched streams rely on it. Row counts cover the direct path, the
// blocked one and the split across goroutines; k spans several blocks.
func TestRowsIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n, k = 102, 600 // 64 + 32 + 6 columns: every width of kernel
	for _, im := range impls() {
		for _, tA := range []bool{false, true} {
			for _, m := range []int{1, 2, 7, 8, 13, 16, 18, 19, 130} {
				lda := k
				if tA {
					lda = m
				}
				a, b := randSlice(r, m*k), randSlice(r, k*n)
				c := make([]float32, m*n)
				im.sgemm(tA, false, m, n, k, 1, a, lda, b, n, 0, c, n)
				for i := 0; i < m; i++ {
					row := make([]float32, k)
					for p := range row {
						if tA {
							row[p] = a[p*lda+i]
						} else {
							row[p] = a[i*lda+p]
						}
					}
					one := make([]float32, n)
					im.sgemm(false, false, 1, n, k, 1, row, k, b, n, 0, one, n)
					for j, v := range one {
						if c[i*n+j] != v {
							t.Fatalf("%s tA=%v m=%d: C[%d,%d] = %v in the batch, %v alone", im.name, tA, m, i, j, c[i*n+j], v)
						}
					}
				}
			}
		}
	}
}

func TestSgemv(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, im := range impls() {
		for _, s := range [][2]int{{1, 1}, {3, 17}, {17, 3}, {63, 65}, {256, 768}, {1000, 700}, {0, 3}, {4, 0}} {
			for _, tA := range []bool{false, true} {
				for _, inc := range []int{1, 3} {
					m, n := s[0], s[1]
					pad := inc
					lda := n + pad
					a := randSlice(r, max(0, (m-1)*lda+n))
					lx, ly := n, m
					if tA {
						lx, ly = m, n
					}
					x := randSlice(r, max(0, (lx-1)*inc+1))
					y := randSlice(r, max(0, (ly-1)*inc+1))
					alpha, beta := float32(1.5), float32(-1)
					if inc == 1 {
						beta = 0
					}
					// The reference is a product with x as a one-row
					// matrix; increments are gathered first.
					xc, yc := make([]float32, lx), make([]float32, ly)
					for i := range xc {
						xc[i] = x[i*inc]
					}
					for i := range yc {
						yc[i] = y[i*inc]
					}
					var want, bound []float64
					if tA {
						want, bound = naive(false, false, 1, n, m, alpha, xc, max(m, 1), a, max(lda, 1), beta, yc, max(n, 1))
					} else {
						want, bound = naive(false, true, 1, m, n, alpha, xc, max(n, 1), a, max(lda, 1), beta, yc, max(m, 1))
					}
					im.sgemv(tA, m, n, alpha, a, max(lda, 1), x, inc, beta, y, inc)
					for i := 0; i < ly; i++ {
						got := y[i*inc]
						if d := math.Abs(float64(got) - want[i]); !(d <= 1e-5*bound[i]+1e-6) {
							t.Fatalf("%s tA=%v %d×%d inc %d: y[%d] = %v, want %v", im.name, tA, m, n, inc, i, got, want[i])
						}
					}
				}
			}
		}
	}
}

func TestSgemmPanics(t *testing.T) {
	a := make([]float32, 6)
	cases := []struct {
		name string
		f    func()
	}{
		{"short A", func() { Sgemm(false, false, 2, 2, 4, 1, a, 4, a, 2, 0, a, 2) }},
		{"small lda", func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) }},
		{"short C", func() { Sgemm(false, false, 3, 3, 1, 1, a, 1, a, 3, 0, a[:5], 3) }},
		{"negative", func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) }},
		{"gemv inc", func() { Sgemv(false, 2, 2, 1, a, 2, a, 0, 0, a, 1) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			c.f()
		})
	}
}

// FuzzSgemm compares every path with the reference on shapes and
// options drawn by the fuzzer.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(5), uint8(17), uint8(9), uint8(3), uint8(2), int8(4), int8(1), uint64(1))
	f.Add(uint8(40), uint8(3), uint8(200), uint8(0), uint8(0), int8(-2), int8(0), uint64(2))
	f.Fuzz(func(t *testing.T, m, n, k, flags, pad uint8, alpha, beta int8, seed uint64) {
		r := rand.New(rand.NewPCG(seed, 7))
		for _, im := range impls() {
			gemmCase(t, im, r, flags&1 != 0, flags&2 != 0, int(m), int(n), int(k)%300, int(pad%8), float32(alpha)/4, float32(beta)/4)
		}
	})
}
