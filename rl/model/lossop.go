package model

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lossOp is a custom gorgonia op that hands the per-token log-probabilities
// to a Go [LossFunc] and returns its scalar value. Its symbolic derivative
// is lossGradOp, which returns the gradient the LossFunc computed during the
// same forward pass (the tape runs the forward op before its derivative), so
// objectives are plain float64 Go code verified on their own, and one tape
// run does forward and backward. Each instance hashes by its address so
// gorgonia never merges two of them.
type lossOp struct {
	n int // number of token log-probabilities

	fn    LossFunc
	value float64
	logp  []float64
	grad  []float64
	err   error
}

func (op *lossOp) Arity() int { return 1 }
func (op *lossOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 1, Of: a}, a)
}
func (op *lossOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (op *lossOp) ReturnsPtr() bool                               { return false }
func (op *lossOp) CallsExtern() bool                              { return false }
func (op *lossOp) OverwritesInput() int                           { return -1 }
func (op *lossOp) WriteHash(h hash.Hash)                          { fmt.Fprintf(h, "spag.loss.%p", op) }
func (op *lossOp) Hashcode() uint32                               { return hashOf(op) }
func (op *lossOp) String() string                                 { return fmt.Sprintf("spagLoss(%d)", op.n) }

// Do calls the loss function on the log-probabilities.
func (op *lossOp) Do(vals ...G.Value) (G.Value, error) {
	t, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("loss op: input is %T, want *tensor.Dense", vals[0])
	}
	op.logp = appendFloat64s(op.logp[:0], t) // reused: Run hands out a copy
	value, grad, err := op.fn(op.logp)
	if err == nil && len(grad) != len(op.logp) {
		err = fmt.Errorf("loss function returned %d gradient entries for %d log-probabilities", len(grad), len(op.logp))
	}
	if err != nil {
		op.err = err
		return nil, err
	}
	op.value, op.grad = value, grad
	if t.Dtype() == tensor.Float64 {
		return G.NewF64(value), nil
	}
	return G.NewF32(float32(value)), nil
}

func (op *lossOp) DiffWRT(int) []bool { return []bool{true} }

func (op *lossOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	d, err := G.ApplyOp(&lossGradOp{of: op}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d}, nil
}

// lossGradOp returns d loss / d logp scaled by the upstream gradient.
type lossGradOp struct {
	of  *lossOp
	out *tensor.Dense // kept between runs
}

func (op *lossGradOp) Arity() int { return 2 }
func (op *lossGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: 1, Of: a}
	return hm.NewFnType(t, a, t)
}
func (op *lossGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("loss gradient op: input shape is %T", in[0])
	}
	return s.Clone(), nil
}
func (op *lossGradOp) ReturnsPtr() bool      { return false }
func (op *lossGradOp) CallsExtern() bool     { return false }
func (op *lossGradOp) OverwritesInput() int  { return -1 }
func (op *lossGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "spag.lossgrad.%p", op.of) }
func (op *lossGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *lossGradOp) String() string        { return "spagLossGrad" }

// Do returns the stored gradient times the upstream scalar.
func (op *lossGradOp) Do(vals ...G.Value) (G.Value, error) {
	t, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("loss gradient op: input is %T", vals[0])
	}
	var up float64
	switch s := vals[1].(type) {
	case *G.F32:
		up = float64(*s)
	case *G.F64:
		up = float64(*s)
	case *tensor.Dense:
		up = Float64s(s)[0]
	default:
		return nil, fmt.Errorf("loss gradient op: upstream gradient is %T", vals[1])
	}
	g := op.of.grad
	if len(g) != t.Shape().TotalSize() {
		return nil, fmt.Errorf("loss gradient op: %d stored gradients for %d inputs (forward not run?)", len(g), t.Shape().TotalSize())
	}
	if t.Dtype() == tensor.Float64 {
		return scaleInto[float64](&op.out, g, up), nil
	}
	return scaleInto[float32](&op.out, g, up), nil
}

// scaleInto sets *out (allocated on first use) to g·up.
func scaleInto[T float](out **tensor.Dense, g []float64, up float64) *tensor.Dense {
	d := buffer[T](out, tensor.Shape{len(g)}).Data().([]T)
	for i, v := range g {
		d[i] = T(v * up)
	}
	return *out
}
