package model

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// rmsNorm is y = x / sqrt(mean(x²) + eps) · g over the rows of x (rows ×
// dim) with the gain g (dim). It keeps the reciprocal root of each row for
// the backward pass. The squares are summed in float64, as the other long
// reductions of the forward pass are (see [logSumExp]): at no measurable
// cost next to the products, wide rows keep float32's precision.
type rmsNorm[T float] struct {
	rows, dim int
	eps       float64
	inv       []T
}

func (k *rmsNorm[T]) String() string { return fmt.Sprintf("rmsNorm(%d×%d)", k.rows, k.dim) }
func (k *rmsNorm[T]) shapes() ([]tensor.Shape, tensor.Shape) {
	return []tensor.Shape{{k.rows, k.dim}, {k.dim}}, tensor.Shape{k.rows, k.dim}
}

func (k *rmsNorm[T]) forward(in [][]T, y []T) {
	x, g, D := in[0], in[1], k.dim
	if k.inv == nil {
		k.inv = make([]T, k.rows)
	}
	parallel(k.rows, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			xr, yr := x[i*D:(i+1)*D], y[i*D:(i+1)*D]
			var ss float64
			for _, v := range xr {
				ss += float64(v) * float64(v)
			}
			r := T(1 / math.Sqrt(ss/float64(D)+k.eps))
			k.inv[i] = r
			for j, v := range xr {
				yr[j] = v * r * g[j]
			}
		}
	})
}

// backward: with r the reciprocal root and c = Σ_j g_j·dy_j·x_j of a row,
// dx_j = r·g_j·dy_j − r³·x_j·c/dim and dg_j = Σ_rows dy_j·x_j·r.
func (k *rmsNorm[T]) backward(in [][]T, dy []T, d [][]T) {
	x, g, D := in[0], in[1], k.dim
	dx, dg := d[0], d[1]
	parallel(k.rows, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			xr, dyr, dxr := x[i*D:(i+1)*D], dy[i*D:(i+1)*D], dx[i*D:(i+1)*D]
			r := k.inv[i]
			var c T
			for j, v := range xr {
				c += g[j] * dyr[j] * v
			}
			s := r * r * r * c / T(D)
			for j, v := range xr {
				dxr[j] = r*g[j]*dyr[j] - s*v
			}
		}
	})
	clear(dg)
	for i := 0; i < k.rows; i++ {
		xr, dyr, r := x[i*D:(i+1)*D], dy[i*D:(i+1)*D], k.inv[i]
		for j, v := range xr {
			dg[j] += dyr[j] * v * r
		}
	}
}

// rope rotates the interleaved pairs (x[2i], x[2i+1]) of every head of x
// (batch·length × heads·headDim, row b·length+t at position t) by the angle
// t·theta^(-2i/headDim).
type rope[T float] struct {
	rows, length, heads, headDim int
	cos, sin                     []T // length × headDim/2
}

// rotaryTables returns cos and sin of the angles t·theta^(-2i/headDim),
// length × headDim/2, for [rope] blocks to share.
func rotaryTables[T float](length, headDim int, theta float64) (cos, sin []T) {
	half := headDim / 2
	cos, sin = make([]T, length*half), make([]T, length*half)
	for t := 0; t < length; t++ {
		for i := 0; i < half; i++ {
			angle := float64(t) * math.Pow(theta, -2*float64(i)/float64(headDim))
			cos[t*half+i], sin[t*half+i] = T(math.Cos(angle)), T(math.Sin(angle))
		}
	}
	return cos, sin
}

func (k *rope[T]) String() string {
	return fmt.Sprintf("rope(%d×%d×%d)", k.rows, k.heads, k.headDim)
}
func (k *rope[T]) shapes() ([]tensor.Shape, tensor.Shape) {
	s := tensor.Shape{k.rows, k.heads * k.headDim}
	return []tensor.Shape{s}, s
}

// rotate applies the rotation by the angles' sine times sign (+1 forward,
// −1 for the transpose that the backward pass needs).
func (k *rope[T]) rotate(x, y []T, sign T) {
	W, half := k.heads*k.headDim, k.headDim/2
	parallel(k.rows, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			t := r % k.length
			cos, sin := k.cos[t*half:(t+1)*half], k.sin[t*half:(t+1)*half]
			xr, yr := x[r*W:(r+1)*W], y[r*W:(r+1)*W]
			for h := 0; h < k.heads; h++ {
				xh, yh := xr[h*k.headDim:(h+1)*k.headDim], yr[h*k.headDim:(h+1)*k.headDim]
				for i := 0; i < half; i++ {
					a, b, c, s := xh[2*i], xh[2*i+1], cos[i], sign*sin[i]
					yh[2*i], yh[2*i+1] = a*c-b*s, a*s+b*c
				}
			}
		}
	})
}

func (k *rope[T]) forward(in [][]T, y []T)           { k.rotate(in[0], y, 1) }
func (k *rope[T]) backward(_ [][]T, dy []T, d [][]T) { k.rotate(dy, d[0], -1) }

// swiGLU is act = silu(gate)·up elementwise, silu(g) = g·sigmoid(g).
type swiGLU[T float] struct {
	rows, width int
	sig         workspace[T] // one row of sigmoids
}

func (k *swiGLU[T]) String() string { return fmt.Sprintf("swiGLU(%d×%d)", k.rows, k.width) }
func (k *swiGLU[T]) shapes() ([]tensor.Shape, tensor.Shape) {
	s := tensor.Shape{k.rows, k.width}
	return []tensor.Shape{s, s}, s
}

// sigmoidRows calls fn for every row with the row's sigmoid(gate).
func (k *swiGLU[T]) sigmoidRows(gate []T, fn func(row int, s []T)) {
	F := k.width
	k.sig.parallel(k.rows, F, func(s []T, lo, hi int) {
		for r := lo; r < hi; r++ {
			g := gate[r*F : (r+1)*F]
			for j, v := range g {
				s[j] = -v
			}
			expInto(s, s)
			for j, e := range s {
				s[j] = 1 / (1 + e)
			}
			fn(r, s)
		}
	})
}

func (k *swiGLU[T]) forward(in [][]T, y []T) {
	gate, up, F := in[0], in[1], k.width
	k.sigmoidRows(gate, func(r int, s []T) {
		o := r * F
		for j, sj := range s {
			y[o+j] = gate[o+j] * sj * up[o+j]
		}
	})
}

// backward: dgate = dy·up·s·(1 + g·(1−s)), dup = dy·g·s with s = sigmoid(g).
func (k *swiGLU[T]) backward(in [][]T, dy []T, d [][]T) {
	gate, up, F := in[0], in[1], k.width
	dg, du := d[0], d[1]
	k.sigmoidRows(gate, func(r int, s []T) {
		o := r * F
		for j, sj := range s {
			g, e := gate[o+j], dy[o+j]
			dg[o+j] = e * up[o+j] * sj * (1 + g*(1-sj))
			du[o+j] = e * g * sj
		}
	})
}

// logSoftmaxPick maps logits (rows × vocab) to the log-probability of each
// row's target, log softmax(logits[r])[target[r]]. It keeps each row's
// log-sum-exp for the backward pass; the targets are set before each run.
type logSoftmaxPick[T float] struct {
	rows, vocab int
	targets     []int
	lse         []T
	scratch     workspace[T] // one row
}

func (k *logSoftmaxPick[T]) String() string {
	return fmt.Sprintf("logSoftmaxPick(%d×%d)", k.rows, k.vocab)
}
func (k *logSoftmaxPick[T]) shapes() ([]tensor.Shape, tensor.Shape) {
	return []tensor.Shape{{k.rows, k.vocab}}, tensor.Shape{k.rows}
}

func (k *logSoftmaxPick[T]) forward(in [][]T, y []T) {
	x, V := in[0], k.vocab
	if k.lse == nil {
		k.lse = make([]T, k.rows)
	}
	k.scratch.parallel(k.rows, V, func(e []T, lo, hi int) {
		for r := lo; r < hi; r++ {
			xr := x[r*V : (r+1)*V]
			m, logSum := logSumExp(xr, e)
			k.lse[r] = m + T(logSum)
			y[r] = T(float64(xr[k.targets[r]]-m) - logSum)
		}
	})
}

// logSumExp returns the largest of x, m, and log Σ exp(x − m), so that
// log Σ exp(x) = m + logSum; e is scratch of len(x). The exponentials are
// summed in float64: a float32 running sum over a vocabulary of thousands
// loses about the square root of its length in ulps, which made the
// float32 log-probabilities 2.8e-5 from exact on the shipped model (4e-6
// summed in float64), and logSum stays in float64 for the caller's
// subtraction.
func logSumExp[T float](x, e []T) (m T, logSum float64) {
	m = x[0]
	for _, v := range x {
		m = max(m, v)
	}
	for j, v := range x {
		e[j] = v - m
	}
	expInto(e, e)
	var s float64
	for _, v := range e {
		s += float64(v)
	}
	return m, math.Log(s)
}

// backward: dlogits[r][j] = dy[r]·(1[j = target] − softmax(logits[r])[j]).
func (k *logSoftmaxPick[T]) backward(in [][]T, dy []T, d [][]T) {
	x, dx, V := in[0], d[0], k.vocab
	parallel(k.rows, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, dr := x[r*V:(r+1)*V], dx[r*V:(r+1)*V]
			for j, v := range xr {
				dr[j] = v - k.lse[r]
			}
			expInto(dr, dr)
			g := dy[r]
			for j := range dr {
				dr[j] *= -g
			}
			dr[k.targets[r]] += g
		}
	})
}

// linear is the projection y = x·w of x (rows × in) by w (in × out), or
// with residual set y = r + x·w for a third input r (rows × out), the
// residual stream, so that the sum needs no tensor of its own. Its output
// and gradients live in buffers kept between runs rather than gorgonia's
// fresh tensors; all products go through [gemm].
type linear[T float] struct {
	rows, in, out int
	residual      bool
}

func (k *linear[T]) String() string {
	return fmt.Sprintf("linear(%d×%d·%d×%d, residual %v)", k.rows, k.in, k.in, k.out, k.residual)
}
func (k *linear[T]) shapes() ([]tensor.Shape, tensor.Shape) {
	in := []tensor.Shape{{k.rows, k.in}, {k.in, k.out}}
	if k.residual {
		in = append(in, tensor.Shape{k.rows, k.out})
	}
	return in, tensor.Shape{k.rows, k.out}
}

func (k *linear[T]) forward(in [][]T, y []T) {
	var beta T
	if k.residual {
		copy(y, in[2])
		beta = 1
	}
	gemm(false, false, k.rows, k.out, k.in, 1, in[0], k.in, in[1], k.out, beta, y, k.out)
}

// backward: dx = dy·wᵀ, dw = xᵀ·dy, dr = dy.
func (k *linear[T]) backward(in [][]T, dy []T, d [][]T) {
	gemm(false, true, k.rows, k.in, k.out, 1, dy, k.out, in[1], k.out, 0, d[0], k.in)
	gemm(true, false, k.in, k.out, k.rows, 1, in[0], k.in, dy, k.out, 0, d[1], k.out)
	if k.residual {
		copy(d[2], dy)
	}
}
