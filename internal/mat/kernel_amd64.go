//go:build amd64 && !purego

package mat

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The assembly kernels of kernel_amd64.s; strides are in bytes.
//
//go:noescape
func tile1x16(k int, a *float32, arow, astep int, b *float32, bstep int, c *float32, ldc int, alpha float32)

//go:noescape
func tile2x16(k int, a *float32, arow, astep int, b *float32, bstep int, c *float32, ldc int, alpha float32)

//go:noescape
func tile3x16(k int, a *float32, arow, astep int, b *float32, bstep int, c *float32, ldc int, alpha float32)

//go:noescape
func tile4x16(k int, a *float32, arow, astep int, b *float32, bstep int, c *float32, ldc int, alpha float32)

//go:noescape
func tile5x16(k int, a *float32, arow, astep int, b *float32, bstep int, c *float32, ldc int, alpha float32)

//go:noescape
func tile6x16(k int, a *float32, arow, astep int, b *float32, bstep int, c *float32, ldc int, alpha float32)

//go:noescape
func tile1x64(k int, a *float32, arow, astep int, b *float32, bstep, sstride int, c *float32, ldc int, alpha float32)

//go:noescape
func tile1x32(k int, a *float32, arow, astep int, b *float32, bstep, sstride int, c *float32, ldc int, alpha float32)

//go:noescape
func tile2x32(k int, a *float32, arow, astep int, b *float32, bstep, sstride int, c *float32, ldc int, alpha float32)

//go:noescape
func dotAVX(n int, a, b *float32) float32

var tilesAVX = [...]func(k int, a *float32, arow, astep int, b *float32, bstep int, c *float32, ldc int, alpha float32){
	tile1x16, tile2x16, tile3x16, tile4x16, tile5x16, tile6x16,
}

// avx2 is the AVX2/FMA implementation, or nil where the CPU (or the
// operating system's saving of YMM registers) does not support it.
var avx2 = func() *impl {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return nil
	}
	return &impl{name: "avx2-fma", tile: tileAVX2, wide: wideAVX2, dot: dotAVX2}
}()

// tileAVX2 checks what the kernel will touch, so that a mistake in the
// blocking code panics instead of reading outside a slice.
func tileAVX2(rows, k int, a []float32, arow, astep int, b []float32, bstep int, c []float32, ldc int, alpha float32) {
	if rows < 1 || rows > mr || k < 1 ||
		len(a) <= (rows-1)*arow+(k-1)*astep || len(b) < (k-1)*bstep+nr || len(c) < (rows-1)*ldc+nr {
		panic("mat: tile out of range")
	}
	tilesAVX[rows-1](k, unsafe.SliceData(a), 4*arow, 4*astep, unsafe.SliceData(b), 4*bstep, unsafe.SliceData(c), 4*ldc, alpha)
}

// wideAVX2 checks what the kernel will touch, as tileAVX2 does.
func wideAVX2(rows, strips, k int, a []float32, arow, astep int, b []float32, bstep, sstride int, c []float32, ldc int, alpha float32) {
	var f func(k int, a *float32, arow, astep int, b *float32, bstep, sstride int, c *float32, ldc int, alpha float32)
	switch {
	case rows == 1 && strips == 4:
		f = tile1x64
	case rows == 1 && strips == 2:
		f = tile1x32
	case rows == 2 && strips == 2:
		f = tile2x32
	}
	if f == nil || k < 1 ||
		len(a) <= (rows-1)*arow+(k-1)*astep || len(b) < (strips-1)*sstride+(k-1)*bstep+nr || len(c) < (rows-1)*ldc+strips*nr {
		panic("mat: wide tile out of range")
	}
	f(k, unsafe.SliceData(a), 4*arow, 4*astep, unsafe.SliceData(b), 4*bstep, 4*sstride, unsafe.SliceData(c), 4*ldc, alpha)
}

func dotAVX2(a, b []float32) float32 {
	if len(a) == 0 {
		return 0
	}
	b = b[:len(a)]
	return dotAVX(len(a), unsafe.SliceData(a), unsafe.SliceData(b))
}

// impls lists the implementations this CPU can run, best first.
func impls() []*impl {
	if avx2 != nil {
		return []*impl{avx2, generic}
	}
	return []*impl{generic}
}
