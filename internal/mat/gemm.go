package mat

import (
	"fmt"
	"runtime"
	"sync"
)

// Blocking parameters. A tile of C is mr×nr (6×16: twelve 8-wide
// accumulators, the most AVX2's sixteen registers allow beside the
// operands). A packed A block is mc×kc (96 KiB, for L2) and a packed B
// panel kc×nc (up to 4 MiB, for the last-level cache); a kc×nr sliver of
// it (16 KiB) stays in L1 while the tiles of one column strip are
// computed.
const (
	mr = 6
	nr = 16
	kc = 256
	mc = 96
	nc = 4096
)

// directRows is the most rows of C for which operands are read in place:
// with so few rows, packing B would cost as much as the product.
const directRows = 3 * mr

// parallelMin is the number of multiply-adds from which a product is
// split across goroutines; below it the hand-off costs more than it
// saves.
const parallelMin = 1 << 18

// best is the implementation Sgemm and Sgemv use: the first of impls.
var best = impls()[0]

// Path names the kernel the products use: "avx2-fma" on x86-64 CPUs with
// AVX2 and FMA, "generic" (portable Go) elsewhere.
func Path() string { return best.name }

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices,
// where op(X) is X or its transpose (tA, tB), op(A) is m×k, op(B) is k×n
// and C is m×n. lda, ldb and ldc are the distances between consecutive
// rows as stored (A is stored k×m when tA). With beta 0, C is not read,
// so it may hold NaNs. Sgemm panics, as BLAS does, on a dimension or
// slice too small for the shapes given.
func Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	best.sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// operand describes op(X) of a product: element (i, j) is at
// d[i*rs+j*cs], or, for a B packed by [Pack] (pk > 0, its k), at
// d[(j/nr)*pk*nr+i*nr+j%nr].
type operand struct {
	d      []float32
	rs, cs int
	pk     int
	// inPlace asks for the direct path at any height (see [SgemmInPlace]).
	inPlace bool
}

func newOperand(d []float32, ld int, trans bool) operand {
	if trans {
		return operand{d: d, rs: 1, cs: ld}
	}
	return operand{d: d, rs: ld, cs: 1}
}

// at is the operand from element (i, j) on.
func (o operand) at(i, j int) operand {
	if o.pk > 0 { // j is a multiple of nr
		o.d = o.d[(j/nr)*o.pk*nr+i*nr:]
		return o
	}
	if off := i*o.rs + j*o.cs; off < len(o.d) {
		o.d = o.d[off:]
	} else {
		o.d = nil
	}
	return o
}

// check panics on shapes BLAS would reject.
func check(name string, rows, cols int, d []float32, ld int, trans bool) {
	sr, sc := rows, cols // as stored
	if trans {
		sr, sc = cols, rows
	}
	if ld < max(1, sc) {
		panic(fmt.Sprintf("mat: ld%s %d is less than the %d columns of %s", name, ld, sc, name))
	}
	if sr > 0 && sc > 0 && len(d) < (sr-1)*ld+sc {
		panic(fmt.Sprintf("mat: %s has %d elements, its %d×%d shape with leading dimension %d needs %d", name, len(d), sr, sc, ld, (sr-1)*ld+sc))
	}
}

func (im *impl) sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	im.gemm(tA, tB, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemm checks a product's shapes and runs it, on the direct path at any
// height when inPlace.
func (im *impl) gemm(tA, tB, inPlace bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("mat: negative dimension in %d×%d×%d product", m, n, k))
	}
	check("A", m, k, a, lda, tA)
	check("B", k, n, b, ldb, tB)
	check("C", m, n, c, ldc, false)
	if m == 0 || n == 0 {
		return
	}
	B := newOperand(b, ldb, tB)
	B.inPlace = inPlace
	im.run(m, n, k, alpha, newOperand(a, lda, tA), B, beta, c, ldc)
}

// SgemmInPlace is [Sgemm] (neither operand transposed) computed without
// packing either operand, whatever the height of A: the tiles read A's
// rows and B's strips where they lie. It gives the same bits as Sgemm.
// It suits products whose B is short (k up to a few hundred) and read
// once, such as attention's scores and weighted sums over a key/value
// cache, where packing would copy as much memory as the product reads;
// large products are faster through Sgemm.
func SgemmInPlace(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	best.sgemmInPlace(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (im *impl) sgemmInPlace(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	im.gemm(false, false, true, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// run computes a checked product, split across goroutines when large.
func (im *impl) run(m, n, k int, alpha float32, A, B operand, beta float32, c []float32, ldc int) {
	if alpha == 0 || k == 0 {
		scale(c, ldc, 0, m, 0, n, beta)
		return
	}
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || m*n*k < parallelMin {
		im.serial(m, n, k, alpha, A, B, beta, c, ldc)
		return
	}
	// Split along the longer side of C, in whole tiles, one part per
	// worker; the caller's goroutine takes the first.
	split, unit := m, mr
	if n > m {
		split, unit = n, nr
	}
	per := (split + workers - 1) / workers
	per = (per + unit - 1) / unit * unit
	j := joins.Get().(*join)
	defer joins.Put(j)
	for s0 := per; s0 < split; s0 += per {
		p := part{im: im, m: m, n: n, k: k, alpha: alpha, A: A, B: B, beta: beta, c: c, ldc: ldc}
		cnt := min(per, split-s0)
		if split == m {
			p.m, p.A, p.c = cnt, A.at(s0, 0), c[s0*ldc:]
		} else {
			p.n, p.B, p.c = cnt, B.at(0, s0), c[s0:]
		}
		j.hand(p, workers-1)
	}
	if split == m {
		im.serial(min(per, m), n, k, alpha, A, B, beta, c, ldc)
	} else {
		im.serial(m, min(per, n), k, alpha, A, B, beta, c, ldc)
	}
	j.wait()
}

// scale sets C[i0:i1, j0:j1] to beta times itself, or to zero when beta
// is zero (so that NaNs in an unread C do not survive).
func scale(c []float32, ldc, i0, i1, j0, j1 int, beta float32) {
	if beta == 1 {
		return
	}
	for i := i0; i < i1; i++ {
		row := c[i*ldc+j0 : i*ldc+j1]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// buffers is one goroutine's packing space.
type buffers struct {
	a, b []float32
	tmp  [maxTileRows * nr]float32
}

var bufPool = sync.Pool{New: func() any { return new(buffers) }}

// serial computes the product on the calling goroutine.
func (im *impl) serial(m, n, k int, alpha float32, A, B operand, beta float32, c []float32, ldc int) {
	scale(c, ldc, 0, m, 0, n, beta)
	buf := bufPool.Get().(*buffers)
	defer bufPool.Put(buf)
	// A packed B is read in place either way, and the direct path's
	// tiles take eight rows where the blocked path's take six, without
	// copying A: it is the faster one for packed products of any height
	// (10 – 25% faster from 24 rows on, on one core). SgemmInPlace asks
	// for it too.
	if m <= directRows || B.pk > 0 || B.inPlace {
		im.direct(m, n, k, alpha, A, B, c, ldc, buf)
		return
	}
	im.blocked(m, n, k, alpha, A, B, c, ldc, buf)
}

// direct adds alpha·A·B to C for a C of few rows, reading A and B in
// place: every column strip of B is read once, straight from the
// caller's memory when its rows are contiguous (B not transposed) and
// whole, else through a packed copy. The sum over k runs in blocks of kc
// as in [impl.blocked], so that every element of C is computed with the
// same operations whichever path and however many rows: a row of a
// batched product is bit for bit the row computed alone.
func (im *impl) direct(m, n, k int, alpha float32, A, B operand, c []float32, ldc int, buf *buffers) {
	// Tiles of equal height (eight rows are one tile where the kernels
	// take eight, else 4+4 rather than 6+2): a short tile does as many
	// loads per multiply-add as it has rows, so an even split runs at
	// the best rate.
	tiles := (m + im.tileRows - 1) / im.tileRows
	tileRows := func(t int) int {
		if t < m%tiles {
			return m/tiles + 1
		}
		return m / tiles
	}
	j0 := 0
	// Where B is read in place (packed, or rows contiguous), the tiles
	// take several whole strips of B at a time, as many as the kernels
	// have for their height.
	if B.pk > 0 || B.cs == 1 {
		sstride, bstep := nr, B.rs
		if B.pk > 0 {
			sstride, bstep = B.pk*nr, nr
		}
		for _, ws := range im.strips[tileRows(0)] {
			for ; j0+ws*nr <= n; j0 += ws * nr {
				for p0 := 0; p0 < k; p0 += kc {
					kk := min(kc, k-p0)
					for t, i0 := 0, 0; t < tiles; t++ {
						rows := tileRows(t)
						im.wide(rows, ws, kk, A.at(i0, p0).d, A.rs, A.cs, B.at(p0, j0).d, bstep, sstride, c[i0*ldc+j0:], ldc, alpha)
						i0 += rows
					}
				}
			}
		}
	}
	for ; j0 < n; j0 += nr {
		cols := min(nr, n-j0)
		for p0 := 0; p0 < k; p0 += kc {
			kk := min(kc, k-p0)
			bs, bstep := B.at(p0, j0).d, B.rs
			switch {
			case B.pk > 0:
				bstep = nr
			case B.cs != 1 || cols < nr:
				buf.b = grow(buf.b, kk*nr)
				packB(buf.b, B, p0, kk, j0, cols)
				bs, bstep = buf.b, nr
			}
			for t, i0 := 0, 0; t < tiles; t++ {
				rows := tileRows(t)
				im.store(rows, cols, kk, A.at(i0, p0).d, A.rs, A.cs, bs, bstep, c[i0*ldc+j0:], ldc, alpha, buf)
				i0 += rows
			}
		}
	}
}

// store runs one tile into C, through buf.tmp when the tile is narrower
// than nr columns.
func (im *impl) store(rows, cols, k int, a []float32, arow, astep int, b []float32, bstep int, c []float32, ldc int, alpha float32, buf *buffers) {
	if cols == nr {
		im.tile(rows, k, a, arow, astep, b, bstep, c, ldc, alpha)
		return
	}
	t := buf.tmp[:]
	clear(t)
	im.tile(rows, k, a, arow, astep, b, bstep, t, nr, alpha)
	for r := 0; r < rows; r++ {
		cr := c[r*ldc : r*ldc+cols]
		for j := range cr {
			cr[j] += t[r*nr+j]
		}
	}
}

// blocked adds alpha·A·B to C with packed blocks of both operands.
func (im *impl) blocked(m, n, k int, alpha float32, A, B operand, c []float32, ldc int, buf *buffers) {
	for j0 := 0; j0 < n; j0 += nc {
		ncols := min(nc, n-j0)
		strips := (ncols + nr - 1) / nr
		for p0 := 0; p0 < k; p0 += kc {
			kk := min(kc, k-p0)
			// A packed B is read in place: strip s from panel[s*pstride].
			panel, pstride := B.at(p0, j0).d, B.pk*nr
			if B.pk == 0 {
				buf.b = grow(buf.b, strips*kk*nr)
				for s := 0; s < strips; s++ {
					packB(buf.b[s*kk*nr:], B, p0, kk, j0+s*nr, min(nr, ncols-s*nr))
				}
				panel, pstride = buf.b, kk*nr
			}
			for i0 := 0; i0 < m; i0 += mc {
				mrows := min(mc, m-i0)
				panels := (mrows + mr - 1) / mr
				buf.a = grow(buf.a, panels*kk*mr)
				for q := 0; q < panels; q++ {
					packA(buf.a[q*kk*mr:], A, i0+q*mr, min(mr, mrows-q*mr), p0, kk)
				}
				for s := 0; s < strips; {
					cols := min(nr, ncols-s*nr)
					bs := panel[s*pstride:]
					// Two whole strips at once where the kernels have
					// them: twice the independent sums per loaded A.
					if im.pairStrips && ncols-s*nr >= 2*nr {
						for q := 0; q < panels; q++ {
							rows := min(mr, mrows-q*mr)
							ci := (i0+q*mr)*ldc + j0 + s*nr
							im.wide(rows, 2, kk, buf.a[q*kk*mr:], 1, mr, bs, nr, pstride, c[ci:], ldc, alpha)
						}
						s += 2
						continue
					}
					for q := 0; q < panels; q++ {
						rows := min(mr, mrows-q*mr)
						ci := (i0+q*mr)*ldc + j0 + s*nr
						im.store(rows, cols, kk, buf.a[q*kk*mr:], 1, mr, bs, nr, c[ci:], ldc, alpha, buf)
					}
					s++
				}
			}
		}
	}
}

// packB copies B[p0:p0+kk, j0:j0+cols] to dst as kk rows of nr, padding
// with zeros.
func packB(dst []float32, B operand, p0, kk, j0, cols int) {
	dst = dst[:kk*nr]
	if B.cs == 1 {
		for p := 0; p < kk; p++ {
			row := dst[p*nr : p*nr+nr]
			n := copy(row[:cols], B.d[(p0+p)*B.rs+j0:])
			clear(row[n:])
		}
		return
	}
	if cols < nr {
		clear(dst)
	}
	// Transposed B: column j of op(B) is contiguous.
	for j := 0; j < cols; j++ {
		col := B.d[(j0+j)*B.cs+p0*B.rs:]
		for p := 0; p < kk; p++ {
			dst[p*nr+j] = col[p]
		}
	}
}

// packA copies A[i0:i0+rows, p0:p0+kk] to dst as kk columns of mr.
// Rows past the last are left as they are: the tile ignores them.
func packA(dst []float32, A operand, i0, rows, p0, kk int) {
	dst = dst[:kk*mr]
	if A.rs == 1 {
		// Transposed A: the rows of a column are contiguous.
		for p := 0; p < kk; p++ {
			copy(dst[p*mr:p*mr+rows], A.d[(p0+p)*A.cs+i0:])
		}
		return
	}
	for r := 0; r < rows; r++ {
		row := A.d[(i0+r)*A.rs+p0:]
		row = row[:kk]
		for p, v := range row {
			dst[p*mr+r] = v
		}
	}
}

// grow returns s with room for n elements.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
