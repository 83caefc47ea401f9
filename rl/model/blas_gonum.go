//go:build !openblas

package model

// BLASName reports which BLAS the build uses: gonum's pure Go by default,
// "openblas" when built with -tags openblas.
const BLASName = "gonum"
