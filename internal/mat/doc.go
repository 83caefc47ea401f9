// Package mat is spag's matrix layer: single-precision products on
// row-major matrices for the trainer (through gorgonia's BLAS hook) and
// the native decoder, in pure Go with an AVX2/FMA micro-kernel where the
// CPU has one and a portable Go kernel elsewhere.
//
// [Sgemm] follows BLAS's row-major sgemm: C = alpha·op(A)·op(B) + beta·C
// with either operand transposed and leading dimensions larger than the
// widths. Large products are blocked and packed (GotoBLAS style: a B
// panel in the last-level cache, an A block in L2, a 6×16 tile of C in
// registers); products with few rows, such as one decoding stream or a
// small batch of them, read the operands in place. Work is split across
// GOMAXPROCS goroutines when it is large enough to pay for the hand-off.
// [Path] names the kernel in use.
package mat

//go:generate go run gen_amd64.go
