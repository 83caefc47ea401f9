package model

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// attention is causal multi-head attention with grouped-query heads over
// right-padded batches: inputs q (batch·length × heads·headDim) and k, v
// (batch·length × kvHeads·headDim), already rotated, in the layout the
// projections produce; output the heads' contexts side by side (batch·length
// × heads·headDim), ready for the output projection. Query head h reads
// key/value head h/(heads/kvHeads).
//
// Heads are addressed in place through the leading dimensions of the matrix
// products, so nothing is transposed or copied per head, and the causal
// structure is exploited: rows are processed in blocks of attnBlock, and
// the rows of a block see only the keys up to the block's end. The
// softmax is fused into the loop over row blocks. A training kernel keeps
// the attention probabilities (batch·heads × length × length, zero above
// the diagonal) for the backward pass; an evaluation kernel keeps nothing.
type attention[T float] struct {
	batch, length, heads, kvHeads, headDim int
	scale                                  T
	keep                                   bool

	probs   []T          // batch·heads × length × length when keep
	scratch workspace[T] // length × length
}

const attnBlock = 64

func newAttention[T float](batch, length, heads, kvHeads, headDim int, keep bool) *attention[T] {
	return &attention[T]{batch: batch, length: length, heads: heads, kvHeads: kvHeads, headDim: headDim,
		scale: T(1 / math.Sqrt(float64(headDim))), keep: keep}
}

func (k *attention[T]) String() string {
	return fmt.Sprintf("attention(%d×%d, %d/%d heads of %d)", k.batch, k.length, k.heads, k.kvHeads, k.headDim)
}

func (k *attention[T]) shapes() ([]tensor.Shape, tensor.Shape) {
	rows := k.batch * k.length
	q := tensor.Shape{rows, k.heads * k.headDim}
	kv := tensor.Shape{rows, k.kvHeads * k.headDim}
	return []tensor.Shape{q, kv, kv}, q
}

// each runs fn for every (batch row, key/value head) pair across the
// workers; the pairs write disjoint parts of every output, including the
// key/value gradients that the query heads of a group accumulate.
func (k *attention[T]) each(fn func(s []T, b, kh int)) {
	k.scratch.parallel(k.batch*k.kvHeads, k.length*k.length, func(s []T, lo, hi int) {
		for j := lo; j < hi; j++ {
			fn(s, j/k.kvHeads, j%k.kvHeads)
		}
	})
}

// probsOf returns the probability matrix of batch row b, head h (ld length):
// the kept one, or the worker's scratch.
func (k *attention[T]) probsOf(scratch []T, b, h int) []T {
	if !k.keep {
		return scratch
	}
	n := k.length * k.length
	i := (b*k.heads + h) * n
	return k.probs[i : i+n]
}

func (k *attention[T]) forward(in [][]T, out []T) {
	q, kk, v := in[0], in[1], in[2]
	T_, Dh := k.length, k.headDim
	Dq, Dk := k.heads*Dh, k.kvHeads*Dh
	if k.keep && k.probs == nil {
		k.probs = make([]T, k.batch*k.heads*T_*T_)
	}
	group := k.heads / k.kvHeads
	k.each(func(s []T, b, kh int) {
		kb, vb := kk[b*T_*Dk+kh*Dh:], v[b*T_*Dk+kh*Dh:]
		for h := kh * group; h < (kh+1)*group; h++ {
			p := k.probsOf(s, b, h)
			for i0 := 0; i0 < T_; i0 += attnBlock {
				i1 := min(i0+attnBlock, T_)
				pb := p[i0*T_:]
				gemm(false, true, i1-i0, i1, Dh, k.scale, q[(b*T_+i0)*Dq+h*Dh:], Dq, kb, Dk, 0, pb, T_)
				for i := i0; i < i1; i++ {
					row := p[i*T_ : i*T_+i1]
					softmaxInPlace(row[:i+1])
					clear(row[i+1:])
				}
				gemm(false, false, i1-i0, Dh, i1, 1, pb, T_, vb, Dk, 0, out[(b*T_+i0)*Dq+h*Dh:], Dq)
			}
		}
	})
}

// softmaxInPlace replaces x by softmax(x), stably, summing in float64 so
// that long contexts keep float32's precision (see [logSumExp]).
func softmaxInPlace[T float](x []T) {
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	for j := range x {
		x[j] -= m
	}
	expInto(x, x)
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	inv := T(1 / s)
	for j := range x {
		x[j] *= inv
	}
}

// backward, per head and row block, with P the kept probabilities and dO
// the output gradient: dV += Pᵀ·dO; dP = dO·Vᵀ; dS = P∘(dP − rowsum(P∘dP));
// dQ = scale·dS·K; dK += scale·dSᵀ·Q.
func (k *attention[T]) backward(in [][]T, dOut []T, d [][]T) {
	if !k.keep {
		panic("attention: backward pass of an evaluation kernel") // NewRunner builds training kernels with keep
	}
	q, kk, v := in[0], in[1], in[2]
	dq, dk, dv := d[0], d[1], d[2]
	T_, Dh := k.length, k.headDim
	Dq, Dk := k.heads*Dh, k.kvHeads*Dh
	group := k.heads / k.kvHeads
	k.each(func(s []T, b, kh int) {
		off := b*T_*Dk + kh*Dh
		kb, vb, dkb, dvb := kk[off:], v[off:], dk[off:], dv[off:]
		for t := 0; t < T_; t++ {
			clear(dkb[t*Dk : t*Dk+Dh])
			clear(dvb[t*Dk : t*Dk+Dh])
		}
		for h := kh * group; h < (kh+1)*group; h++ {
			p := k.probsOf(nil, b, h)
			for i0 := 0; i0 < T_; i0 += attnBlock {
				i1 := min(i0+attnBlock, T_)
				pb, ds := p[i0*T_:], s[i0*T_:]
				qb, dqb, dob := q[(b*T_+i0)*Dq+h*Dh:], dq[(b*T_+i0)*Dq+h*Dh:], dOut[(b*T_+i0)*Dq+h*Dh:]
				gemm(true, false, i1, Dh, i1-i0, 1, pb, T_, dob, Dq, 1, dvb, Dk)
				gemm(false, true, i1-i0, i1, Dh, 1, dob, Dq, vb, Dk, 0, ds, T_)
				for i := i0; i < i1; i++ {
					pr, dr := p[i*T_:i*T_+i+1], s[i*T_:i*T_+i1]
					var dot T
					for j, pj := range pr {
						dot += pj * dr[j]
					}
					for j, pj := range pr {
						dr[j] = pj * (dr[j] - dot)
					}
					clear(dr[i+1:])
				}
				gemm(false, false, i1-i0, Dh, i1, k.scale, ds, T_, kb, Dk, 0, dqb, Dq)
				gemm(true, false, i1, Dh, i1-i0, k.scale, ds, T_, qb, Dq, 1, dkb, Dk)
			}
		}
	})
}
