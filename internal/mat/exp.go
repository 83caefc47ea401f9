package mat

import "math"

// The constants of Expf; gen_amd64.go repeats them for the kernel.
const (
	expLog2e float32 = 1.44269504088896341
	// ln 2 in two parts, so that k·expLn2Hi is exact for the k that
	// occur.
	expLn2Hi float32 = 0.693359375
	expLn2Lo float32 = -2.12194440e-4
	expLow   float32 = -87
	expHigh  float32 = 88
)

// Expf is e^x in float32 arithmetic, within 1.5e-7 relative of the exact
// value for x in [-87, 88]: 0 below, +Inf above, NaN for NaN. A decoder's
// softmax and SiLU take it millions of times per run; math.Exp's float64
// accuracy is wasted on float32 activations and costs several times more.
// Every operation is rounded to float32 on its own (no fused
// multiply-add), so that [Exp]'s vector kernels give the same bits.
func Expf(x float32) float32 {
	switch {
	case x != x:
		return x
	case x < expLow:
		return 0
	case x > expHigh:
		return float32(math.Inf(1))
	}
	// x = k·ln2 + r with |r| ≤ ln2/2, k rounded to the nearest even.
	k := float32(math.RoundToEven(float64(float32(x * expLog2e))))
	r := x - float32(k*expLn2Hi)
	r -= float32(k * expLn2Lo)
	// Taylor series to degree 7: the first omitted term is below 6e-9
	// relative on |r| ≤ 0.347.
	p := float32(1.0 / 5040)
	p = float32(p*r) + 1.0/720
	p = float32(p*r) + 1.0/120
	p = float32(p*r) + 1.0/24
	p = float32(p*r) + 1.0/6
	p = float32(p*r) + 1.0/2
	p = float32(p*r) + 1
	p = float32(p*r) + 1
	return p * math.Float32frombits(uint32(int32(k)+127)<<23)
}

// Exp sets every x[i] to [Expf](x[i]), eight at a time where the CPU
// has AVX2.
func Exp(x []float32) { best.exp(x) }

func expGeneric(x []float32) {
	for i, v := range x {
		x[i] = Expf(v)
	}
}
