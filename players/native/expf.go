package native

import "math"

// expf is e^x in float32 arithmetic, within 2.5e-7 relative of the exact
// value (about two float32 ulps) for x in [-87, 88]: 0 below, +Inf above,
// NaN for NaN. The decoder's softmax and SiLU call it millions of times
// per run; math.Exp's float64 accuracy is wasted on float32 activations
// and costs several times more.
func expf(x float32) float32 {
	switch {
	case x != x:
		return x
	case x < -87:
		return 0
	case x > 88:
		return float32(math.Inf(1))
	}
	// x = k·ln2 + r with |r| ≤ ln2/2; ln2 is split in two parts so that
	// k·ln2Hi is exact.
	const (
		log2e = 1.44269504088896341
		ln2Hi = 0.693359375
		ln2Lo = -2.12194440e-4
	)
	k := float32(math.Floor(float64(x)*log2e + 0.5))
	r := x - k*ln2Hi - k*ln2Lo
	// Taylor series to degree 7: the first omitted term is below 6e-9
	// relative on |r| ≤ 0.347.
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	return p * math.Float32frombits(uint32(int32(k)+127)<<23)
}
