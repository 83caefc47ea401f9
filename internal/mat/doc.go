// Package mat is spag's matrix layer: single-precision products on
// row-major matrices for the trainer (through gorgonia's BLAS hook) and
// the native decoder, in pure Go with AVX-512 and AVX2/FMA micro-kernels
// where the CPU has them and a portable Go kernel elsewhere.
//
// [Sgemm] follows BLAS's row-major sgemm: C = alpha·op(A)·op(B) + beta·C
// with either operand transposed and leading dimensions larger than the
// widths. Large products are blocked and packed (GotoBLAS style: a B
// panel in the last-level cache, an A block in L2, a tile of C in
// registers); products with few rows, such as one decoding stream or a
// small batch of them, read the operands in place. Work is split across
// GOMAXPROCS goroutines when it is large enough to pay for the hand-off;
// the helper goroutines stay awake briefly between parts, and [Parallel]
// runs a decoder's per-row loops on them. [Exp] takes float32
// exponentials several at a time with the same bits as [Expf]. [Path]
// names the kernel in use.
//
// Every path computes each element of a product as the same chain of
// fused multiply-adds in the same order (the portable one excepted,
// which does not fuse), so a row's result does not depend on the rows
// computed with it nor on the kernel that computed it.
package mat

//go:generate go run gen_amd64.go
