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

//go:noescape
func expAVX2(n int, x *float32)

// expAVX2Go runs the kernel on the whole groups of eight and Expf on the
// rest, which gives the same bits.
func expAVX2Go(x []float32) {
	n := len(x) &^ 7
	if n > 0 {
		expAVX2(n, unsafe.SliceData(x))
	}
	expGeneric(x[n:])
}

var tilesAVX = [...]func(k int, a *float32, arow, astep int, b *float32, bstep int, c *float32, ldc int, alpha float32){
	tile1x16, tile2x16, tile3x16, tile4x16, tile5x16, tile6x16,
}

// avx2 is the AVX2/FMA implementation, or nil where the CPU (or the
// operating system's saving of YMM registers) does not support it.
var avx2 = func() *impl {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return nil
	}
	return &impl{name: "avx2-fma", tile: tileAVX2, wide: wideAVX2, dot: dotAVX2, exp: expAVX2Go,
		tileRows: mr, strips: [maxTileRows + 1][]int{1: {4, 2}, 2: {2}}}
}()

// avx512 is the AVX-512 implementation, or nil where the CPU (or the
// operating system's saving of ZMM registers) does not support it. A
// 16-column strip is one register, so its tiles hold up to 16 sums
// (8 rows by 2 strips: a batch of eight decoding streams in one tile)
// and load half as often per multiply-add as the AVX2 ones; each sum is
// the same chain of FMAs, so results are the same bits.
var avx512 = func() *impl {
	if !cpu.X86.HasAVX512F || avx2 == nil {
		return nil
	}
	return &impl{name: "avx512", tile: tileAVX512, wide: wideAVX512, dot: dotAVX2, exp: expAVX2Go,
		tileRows: 8, strips: [maxTileRows + 1][]int{1: {4, 2}, 2: {2}, 3: {2, 1}, 4: {2, 1}, 5: {2, 1}, 6: {2, 1}, 7: {2, 1}, 8: {2, 1}},
		pairStrips: true}
}()

// tileAVX512 checks what the kernel will touch, as tileAVX2 does. One
// or two rows (a decoding stream's products) go to the AVX2 kernels:
// they wait on loading B, not on arithmetic, and the AVX2 ones keep
// twice as many sums in flight for the same row and columns.
func tileAVX512(rows, k int, a []float32, arow, astep int, b []float32, bstep int, c []float32, ldc int, alpha float32) {
	wideAVX512(rows, 1, k, a, arow, astep, b, bstep, nr, c, ldc, alpha)
}

// wideAVX512 checks what the kernel will touch, as tileAVX2 does; one or
// two rows go to the AVX2 kernels, as in tileAVX512.
func wideAVX512(rows, strips, k int, a []float32, arow, astep int, b []float32, bstep, sstride int, c []float32, ldc int, alpha float32) {
	if rows <= 2 {
		if strips == 1 {
			tileAVX2(rows, k, a, arow, astep, b, bstep, c, ldc, alpha)
		} else {
			wideAVX2(rows, strips, k, a, arow, astep, b, bstep, sstride, c, ldc, alpha)
		}
		return
	}
	si := strips - 1
	if strips != 1 && strips != 2 || rows < 3 || rows > 8 || k < 1 ||
		len(a) <= (rows-1)*arow+(k-1)*astep || len(b) < (strips-1)*sstride+(k-1)*bstep+nr || len(c) < (rows-1)*ldc+strips*nr {
		panic("mat: AVX-512 tile out of range")
	}
	tilesZ[rows-3][si](k, unsafe.SliceData(a), 4*arow, 4*astep, unsafe.SliceData(b), 4*bstep, 4*sstride, unsafe.SliceData(c), 4*ldc, alpha)
}

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
	switch {
	case avx512 != nil:
		return []*impl{avx512, avx2, generic}
	case avx2 != nil:
		return []*impl{avx2, generic}
	}
	return []*impl{generic}
}
