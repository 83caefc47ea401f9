package mat_test

import (
	"fmt"

	"github.com/spag-go/spag/internal/mat"
)

// C = A·Bᵀ for a 2×3 A and a 2×3 B stored row-major (so op(B) is 3×2).
func ExampleSgemm() {
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 1, 0, 1, 0}
	c := make([]float32, 4)
	mat.Sgemm(false, true, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c)
	// Output: [4 2 10 5]
}

// A weight matrix packed once, then multiplied by one activation row per
// step, as the native decoder does.
func ExampleSgemmPacked() {
	w := mat.Pack(false, 3, 2, []float32{1, 2, 3, 4, 5, 6}, 2) // 3×2
	x := []float32{1, 1, 1}
	y := make([]float32, 2)
	mat.SgemmPacked(1, 1, x, 3, w, 0, y, 2)
	fmt.Println(y)
	// Output: [9 12]
}

// y = Aᵀx: the sum of A's rows weighted by x.
func ExampleSgemv() {
	a := []float32{1, 2, 3, 4, 5, 6} // 2×3
	y := make([]float32, 3)
	mat.Sgemv(true, 2, 3, 1, a, 3, []float32{1, 10}, 1, 0, y, 1)
	fmt.Println(y)
	// Output: [41 52 63]
}
