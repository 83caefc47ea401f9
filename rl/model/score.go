package model

import (
	"fmt"

	"gorgonia.org/tensor"
)

// scoreHead is a reward model's value head: s_b = h_b·w + bias, where h_b
// is row last[b] of sequence b's final-normed hidden states x (batch·length
// × dim). last is set before every run (see [Runner.RunScores]).
type scoreHead[T float] struct {
	batch, length, dim int
	last               []int
}

func (k *scoreHead[T]) String() string {
	return fmt.Sprintf("scoreHead(%d×%d×%d)", k.batch, k.length, k.dim)
}
func (k *scoreHead[T]) shapes() ([]tensor.Shape, tensor.Shape) {
	return []tensor.Shape{{k.batch * k.length, k.dim}, {k.dim}, {1}}, tensor.Shape{k.batch}
}

// row is sequence b's last hidden state.
func (k *scoreHead[T]) row(x []T, b int) []T {
	i := b*k.length + k.last[b]
	return x[i*k.dim : (i+1)*k.dim]
}

func (k *scoreHead[T]) forward(in [][]T, s []T) {
	x, w, bias := in[0], in[1], in[2][0]
	for b := range s {
		v := bias
		for j, h := range k.row(x, b) {
			v += h * w[j]
		}
		s[b] = v
	}
}

// backward: dx is ds_b·w on row last[b] of sequence b and 0 elsewhere,
// dw = Σ_b ds_b·h_b, dbias = Σ_b ds_b.
func (k *scoreHead[T]) backward(in [][]T, ds []T, d [][]T) {
	x, w := in[0], in[1]
	dx, dw, dbias := d[0], d[1], d[2]
	clear(dx)
	clear(dw)
	dbias[0] = 0
	for b, g := range ds {
		for j, h := range k.row(x, b) {
			dw[j] += g * h
		}
		dr := k.row(dx, b)
		for j := range dr {
			dr[j] = g * w[j]
		}
		dbias[0] += g
	}
}
