package mat

import "fmt"

// Packed is a k×n matrix stored as Sgemm's kernel reads its right-hand
// operand: strips of 16 columns, each k rows of 16 contiguous values,
// the last strip padded with zeros. A decoder's weight matrices are
// packed once and then multiplied for every token, so the products read
// memory in order and nothing is copied per product. A Packed is
// read-only and safe for concurrent use.
type Packed struct {
	k, n int
	d    []float32
}

// Pack copies op(B) (k×n; B is stored n×k when tB) into a new Packed.
func Pack(tB bool, k, n int, b []float32, ldb int) *Packed {
	if k < 1 || n < 1 {
		panic(fmt.Sprintf("mat: cannot pack a %d×%d matrix", k, n))
	}
	check("B", k, n, b, ldb, tB)
	B := newOperand(b, ldb, tB)
	strips := (n + nr - 1) / nr
	p := &Packed{k: k, n: n, d: make([]float32, strips*k*nr)}
	for s := 0; s < strips; s++ {
		packB(p.d[s*k*nr:], B, 0, k, s*nr, min(nr, n-s*nr))
	}
	return p
}

// Dims returns the matrix's rows (k) and columns (n).
func (p *Packed) Dims() (k, n int) { return p.k, p.n }

// SgemmPacked computes C = alpha·A·B + beta·C for an m×k row-major A
// (leading dimension lda) and a packed k×n B. It gives the same results,
// bit for bit, as [Sgemm] on the matrix B was packed from.
func SgemmPacked(m int, alpha float32, a []float32, lda int, b *Packed, beta float32, c []float32, ldc int) {
	best.sgemmPacked(m, alpha, a, lda, b, beta, c, ldc)
}

func (im *impl) sgemmPacked(m int, alpha float32, a []float32, lda int, b *Packed, beta float32, c []float32, ldc int) {
	if m < 0 {
		panic(fmt.Sprintf("mat: negative dimension %d", m))
	}
	check("A", m, b.k, a, lda, false)
	check("C", m, b.n, c, ldc, false)
	if m == 0 {
		return
	}
	im.run(m, b.n, b.k, alpha, newOperand(a, lda, false), operand{d: b.d, rs: nr, cs: 1, pk: b.k}, beta, c, ldc)
}

// Unpack returns the matrix as a new row-major k×n slice.
func (p *Packed) Unpack() []float32 {
	out := make([]float32, p.k*p.n)
	for j0 := 0; j0 < p.n; j0 += nr {
		strip := p.d[(j0/nr)*p.k*nr:]
		cols := min(nr, p.n-j0)
		for i := 0; i < p.k; i++ {
			copy(out[i*p.n+j0:i*p.n+j0+cols], strip[i*nr:i*nr+cols])
		}
	}
	return out
}
