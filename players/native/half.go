package native

import "math"

// halfRound rounds f to the nearest float16 value (ties to even), as a
// conversion to IEEE binary16 and back would; out-of-range values become
// infinities.
func halfRound(f float32) float32 {
	b := math.Float32bits(f)
	exp := int32(b>>23&0xff) - 127
	switch {
	case exp == 128: // Inf or NaN
		return f
	case exp > 15:
		return float32(math.Copysign(math.Inf(1), float64(f)))
	case exp < -25:
		return float32(math.Copysign(0, float64(f)))
	}
	// Keep 10 mantissa bits for normal halves, fewer for subnormals
	// (exponent below -14).
	drop := uint32(13)
	if exp < -14 {
		drop += uint32(-14 - exp)
	}
	if drop >= 24 {
		// Round to 0 or the smallest subnormal 2^-24.
		a := math.Abs(float64(f))
		r := 0.0
		if a > 0x1p-25 {
			r = 0x1p-24
		}
		return float32(math.Copysign(r, float64(f)))
	}
	mant := b&0x7fffff | 0x800000 // explicit leading one
	half := uint32(1) << (drop - 1)
	rem := mant & (1<<drop - 1)
	mant >>= drop
	if rem > half || rem == half && mant&1 == 1 {
		mant++
	}
	v := math.Ldexp(float64(mant), int(exp)-23+int(drop))
	return float32(math.Copysign(v, float64(f)))
}
