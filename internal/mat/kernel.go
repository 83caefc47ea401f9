package mat

// impl is one implementation of the innermost loops. The package uses
// the best one the CPU supports (see [Path]); tests run every one.
type impl struct {
	name string
	// tile adds alpha·Â·B̂ to the rows×16 block at c, where
	// Â[r][p] = a[r*arow+p*astep] and B̂[p][j] = b[p*bstep+j] for
	// r < rows ≤ 6, p < k and j < 16. Every element it reads or writes
	// must be in range; the caller sees to it.
	tile func(rows, k int, a []float32, arow, astep int, b []float32, bstep int, c []float32, ldc int, alpha float32)
	// wide is tile over strips strips of 16 columns at once, strip s of
	// B starting at b[s*sstride] and of C at c[s*16], for the row and
	// strip counts of wideShapes: enough independent sums to hide the
	// FMA latency. Every element is computed exactly as tile computes it.
	wide func(rows, strips, k int, a []float32, arow, astep int, b []float32, bstep, sstride int, c []float32, ldc int, alpha float32)
	// dot is the dot product of a and b[:len(a)].
	dot func(a, b []float32) float32
	// exp sets every element to its Expf.
	exp func(x []float32)
	// tileRows is the most rows of a tile in the direct path (the
	// blocked one packs A in panels of mr).
	tileRows int
	// strips lists, for each row count of a tile (index rows), the
	// strip counts wide supports, widest first; none: tile only.
	strips [maxTileRows + 1][]int
	// pairStrips: wide takes any row count with two strips, which the
	// blocked path uses for pairs of whole strips.
	pairStrips bool
}

// generic is the portable implementation, used where no assembly kernel
// applies and as the reference the fast paths are tested against.
var generic = &impl{name: "generic", tile: tileGeneric, wide: wideGeneric, dot: dotGeneric, exp: expGeneric,
	tileRows: mr, strips: [maxTileRows + 1][]int{1: {4, 2}, 2: {2}}}

// maxTileRows is the most rows any implementation's tile takes.
const maxTileRows = 8

// wideGeneric is wide as a loop over tileGeneric.
func wideGeneric(rows, strips, k int, a []float32, arow, astep int, b []float32, bstep, sstride int, c []float32, ldc int, alpha float32) {
	for s := 0; s < strips; s++ {
		tileGeneric(rows, k, a, arow, astep, b[s*sstride:], bstep, c[s*nr:], ldc, alpha)
	}
}

// tileGeneric works on two rows and four columns at a time, eight
// scalar sums the compiler keeps in registers.
func tileGeneric(rows, k int, a []float32, arow, astep int, b []float32, bstep int, c []float32, ldc int, alpha float32) {
	r := 0
	for ; r+2 <= rows; r += 2 {
		for j := 0; j < nr; j += 4 {
			var s00, s01, s02, s03, s10, s11, s12, s13 float32
			ai, bi := r*arow, j
			for p := 0; p < k; p++ {
				a0, a1 := a[ai], a[ai+arow]
				bb := b[bi : bi+4 : bi+4]
				s00 += a0 * bb[0]
				s01 += a0 * bb[1]
				s02 += a0 * bb[2]
				s03 += a0 * bb[3]
				s10 += a1 * bb[0]
				s11 += a1 * bb[1]
				s12 += a1 * bb[2]
				s13 += a1 * bb[3]
				ai += astep
				bi += bstep
			}
			c0 := c[r*ldc+j : r*ldc+j+4 : r*ldc+j+4]
			c1 := c[(r+1)*ldc+j : (r+1)*ldc+j+4 : (r+1)*ldc+j+4]
			c0[0] += alpha * s00
			c0[1] += alpha * s01
			c0[2] += alpha * s02
			c0[3] += alpha * s03
			c1[0] += alpha * s10
			c1[1] += alpha * s11
			c1[2] += alpha * s12
			c1[3] += alpha * s13
		}
	}
	if r < rows {
		for j := 0; j < nr; j += 4 {
			var s0, s1, s2, s3 float32
			ai, bi := r*arow, j
			for p := 0; p < k; p++ {
				a0 := a[ai]
				bb := b[bi : bi+4 : bi+4]
				s0 += a0 * bb[0]
				s1 += a0 * bb[1]
				s2 += a0 * bb[2]
				s3 += a0 * bb[3]
				ai += astep
				bi += bstep
			}
			c0 := c[r*ldc+j : r*ldc+j+4 : r*ldc+j+4]
			c0[0] += alpha * s0
			c0[1] += alpha * s1
			c0[2] += alpha * s2
			c0[3] += alpha * s3
		}
	}
}

// dotGeneric is a four-way unrolled dot product.
func dotGeneric(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
