package mat

import "fmt"

// Sgemv computes y = alpha·op(A)·x + beta·y, where A is an m×n
// row-major matrix with leading dimension lda and op(A) is A or, with
// tA, its transpose; incx and incy are the positive distances between
// consecutive elements of x and y. It is the one-stream case of a
// decoder's products: Aᵀx reads A row by row with the Sgemm kernel, Ax
// is one dot product per row, on the calling goroutine (a
// matrix-vector product is too short to split with profit). With beta 0, y is not read.
func Sgemv(tA bool, m, n int, alpha float32, a []float32, lda int, x []float32, incx int, beta float32, y []float32, incy int) {
	best.sgemv(tA, m, n, alpha, a, lda, x, incx, beta, y, incy)
}

func (im *impl) sgemv(tA bool, m, n int, alpha float32, a []float32, lda int, x []float32, incx int, beta float32, y []float32, incy int) {
	if m < 0 || n < 0 {
		panic(fmt.Sprintf("mat: negative dimension in %d×%d matrix-vector product", m, n))
	}
	if incx < 1 || incy < 1 {
		panic(fmt.Sprintf("mat: vector increments %d and %d must be positive", incx, incy))
	}
	check("A", m, n, a, lda, false)
	lx, ly := n, m
	if tA {
		lx, ly = m, n
	}
	checkVec("x", lx, x, incx)
	checkVec("y", ly, y, incy)
	if ly == 0 {
		return
	}
	if incx != 1 || incy != 1 {
		// Gather into contiguous copies, compute, scatter back.
		xc, yc := make([]float32, lx), make([]float32, ly)
		for i := range xc {
			xc[i] = x[i*incx]
		}
		if beta != 0 {
			for i := range yc {
				yc[i] = y[i*incy]
			}
		}
		im.sgemv(tA, m, n, alpha, a, lda, xc, 1, beta, yc, 1)
		for i, v := range yc {
			y[i*incy] = v
		}
		return
	}
	if tA {
		im.sgemm(false, false, 1, n, m, alpha, x, max(1, m), a, lda, beta, y, max(1, n))
		return
	}
	rows := func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			v := float32(0)
			if n > 0 {
				v = alpha * im.dot(x[:n], a[i*lda:])
			}
			if beta != 0 {
				v += beta * y[i]
			}
			y[i] = v
		}
	}
	rows(0, m)
}

func checkVec(name string, n int, v []float32, inc int) {
	if n > 0 && len(v) < (n-1)*inc+1 {
		panic(fmt.Sprintf("mat: %s has %d elements, %d with increment %d need %d", name, len(v), n, inc, (n-1)*inc+1))
	}
}

// Dot is the dot product of a and b[:len(a)], as Sgemv's rows compute
// it.
func Dot(a, b []float32) float32 { return best.dot(a, b) }
