package model

// This file routes gorgonia's single-precision matrix products, the bulk
// of a training step, to internal/mat (an AVX2/FMA kernel in pure Go
// where the CPU has one); the rest of the BLAS interface stays gonum's.
// gorgonia's BLAS choice is process-wide, so it is set once when the
// package loads.

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"

	"github.com/spag-go/spag/internal/mat"
)

// matBLAS is gonum's implementation with Sgemm replaced.
type matBLAS struct{ gonum.Implementation }

// Sgemm computes C = alpha·op(A)·op(B) + beta·C in row-major order.
func (matBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mat.Sgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func init() { G.Use(matBLAS{}) }

// BLASName reports which matrix kernel training and decoding use:
// "mat-avx2-fma" or "mat-generic" (see internal/mat.Path).
var BLASName = "mat-" + mat.Path()
