package model

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// kernel is one block of the model (RMSNorm, rotary embedding, attention,
// SwiGLU, log-softmax head) with a hand-written forward and backward pass
// over flat row-major slices. A kernel may keep what its backward pass needs
// from the forward pass (softmax statistics, attention probabilities) in
// its own buffers; it must not keep its input or output slices, which the
// tape machine reuses for other nodes once their last reader has run.
type kernel[T float] interface {
	String() string
	// shapes are the inputs' and the output's shapes, fixed at build time.
	shapes() (in []tensor.Shape, out tensor.Shape)
	forward(in [][]T, out []T)
	// backward overwrites dIn[i] with the gradient of the loss with
	// respect to input i, given the inputs of the forward pass that ran
	// last and dOut, the gradient with respect to its output.
	backward(in [][]T, dOut []T, dIn [][]T)
}

// blockOp makes a kernel a gorgonia operator. The forward pass writes into a
// buffer the op allocates on its first run and reuses afterwards; its
// symbolic derivative is a blockGradOp node (the gradient with respect to
// input 0) followed by one pickOp node per further input, all reading the
// buffers of one backward call. Each instance hashes by its address so that
// gorgonia never merges two of them.
type blockOp[T float] struct {
	k   kernel[T]
	out *tensor.Dense
}

func newBlock[T float](k kernel[T]) *blockOp[T] { return &blockOp[T]{k: k} }

// apply adds the block to the graph.
func (op *blockOp[T]) apply(inputs ...*G.Node) (*G.Node, error) {
	n, err := G.ApplyOp(op, inputs...)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op.k, err)
	}
	return n, nil
}

func tensorType(s tensor.Shape, of hm.Type) hm.Type {
	if len(s) == 0 {
		return of
	}
	return G.TensorType{Dims: len(s), Of: of}
}

func (op *blockOp[T]) Arity() int {
	in, _ := op.k.shapes()
	return len(in)
}

func (op *blockOp[T]) Type() hm.Type {
	a := hm.TypeVariable('a')
	in, out := op.k.shapes()
	ts := make([]hm.Type, 0, len(in)+1)
	for _, s := range in {
		ts = append(ts, tensorType(s, a))
	}
	return hm.NewFnType(append(ts, tensorType(out, a))...)
}

func (op *blockOp[T]) InferShape(...G.DimSizer) (tensor.Shape, error) {
	_, out := op.k.shapes()
	return out.Clone(), nil
}
func (op *blockOp[T]) ReturnsPtr() bool      { return false }
func (op *blockOp[T]) CallsExtern() bool     { return false }
func (op *blockOp[T]) OverwritesInput() int  { return -1 }
func (op *blockOp[T]) WriteHash(h hash.Hash) { fmt.Fprintf(h, "spag.%v.%p", op.k, op) }
func (op *blockOp[T]) Hashcode() uint32      { return hashOf(op) }
func (op *blockOp[T]) String() string        { return op.k.String() }

func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// elements returns the element slices of vals, checking their sizes against
// shapes.
func elements[T float](name fmt.Stringer, vals []G.Value, shapes []tensor.Shape) ([][]T, error) {
	out := make([][]T, len(vals))
	for i, v := range vals {
		d, ok := v.Data().([]T)
		if !ok {
			return nil, fmt.Errorf("%v: input %d holds %T, want %T", name, i, v.Data(), []T(nil))
		}
		if len(d) != shapes[i].TotalSize() {
			return nil, fmt.Errorf("%v: input %d has %d elements, want shape %v", name, i, len(d), shapes[i])
		}
		out[i] = d
	}
	return out, nil
}

// buffer returns *d, allocating it with shape s on first use.
func buffer[T float](d **tensor.Dense, s tensor.Shape) *tensor.Dense {
	if *d == nil {
		*d = tensor.New(tensor.WithShape(s.Clone()...), tensor.WithBacking(make([]T, s.TotalSize())))
	}
	return *d
}

// Do runs the forward pass into the op's output buffer.
func (op *blockOp[T]) Do(vals ...G.Value) (G.Value, error) {
	in, outShape := op.k.shapes()
	xs, err := elements[T](op, vals, in)
	if err != nil {
		return nil, err
	}
	out := buffer[T](&op.out, outShape)
	op.k.forward(xs, out.Data().([]T))
	return out, nil
}

func (op *blockOp[T]) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

func (op *blockOp[T]) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	bwd := &blockGradOp[T]{of: op}
	d0, err := G.ApplyOp(bwd, append(append(G.Nodes{}, inputs...), grad)...)
	if err != nil {
		return nil, fmt.Errorf("%v gradient: %w", op.k, err)
	}
	out := G.Nodes{d0}
	for i := 1; i < len(inputs); i++ {
		d, err := G.ApplyOp(&pickOp[T]{of: bwd, i: i}, d0)
		if err != nil {
			return nil, fmt.Errorf("%v gradient %d: %w", op.k, i, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// blockGradOp runs a kernel's backward pass: its inputs are the forward
// inputs and the output's gradient, its value the gradient with respect to
// the first input; the others wait in dIn for their pickOps.
type blockGradOp[T float] struct {
	of  *blockOp[T]
	dIn []*tensor.Dense
}

func (op *blockGradOp[T]) Arity() int { return op.of.Arity() + 1 }
func (op *blockGradOp[T]) Type() hm.Type {
	a := hm.TypeVariable('a')
	in, out := op.of.k.shapes()
	ts := make([]hm.Type, 0, len(in)+2)
	for _, s := range in {
		ts = append(ts, tensorType(s, a))
	}
	return hm.NewFnType(append(ts, tensorType(out, a), tensorType(in[0], a))...)
}
func (op *blockGradOp[T]) InferShape(...G.DimSizer) (tensor.Shape, error) {
	in, _ := op.of.k.shapes()
	return in[0].Clone(), nil
}
func (op *blockGradOp[T]) ReturnsPtr() bool      { return false }
func (op *blockGradOp[T]) CallsExtern() bool     { return false }
func (op *blockGradOp[T]) OverwritesInput() int  { return -1 }
func (op *blockGradOp[T]) WriteHash(h hash.Hash) { fmt.Fprintf(h, "spag.%v.grad.%p", op.of.k, op) }
func (op *blockGradOp[T]) Hashcode() uint32      { return hashOf(op) }
func (op *blockGradOp[T]) String() string        { return op.of.k.String() + "Grad" }

func (op *blockGradOp[T]) Do(vals ...G.Value) (G.Value, error) {
	in, out := op.of.k.shapes()
	xs, err := elements[T](op, vals, append(append([]tensor.Shape{}, in...), out))
	if err != nil {
		return nil, err
	}
	if op.dIn == nil {
		op.dIn = make([]*tensor.Dense, len(in))
	}
	ds := make([][]T, len(in))
	for i, s := range in {
		ds[i] = buffer[T](&op.dIn[i], s).Data().([]T)
	}
	op.of.k.backward(xs[:len(in)], xs[len(in)], ds)
	return op.dIn[0], nil
}

// pickOp hands on the gradient with respect to input i that its
// blockGradOp (its only input, so the tape runs it first) computed.
type pickOp[T float] struct {
	of *blockGradOp[T]
	i  int
}

func (op *pickOp[T]) Arity() int { return 1 }
func (op *pickOp[T]) Type() hm.Type {
	a := hm.TypeVariable('a')
	in, _ := op.of.of.k.shapes()
	return hm.NewFnType(tensorType(in[0], a), tensorType(in[op.i], a))
}
func (op *pickOp[T]) InferShape(...G.DimSizer) (tensor.Shape, error) {
	in, _ := op.of.of.k.shapes()
	return in[op.i].Clone(), nil
}
func (op *pickOp[T]) ReturnsPtr() bool     { return false }
func (op *pickOp[T]) CallsExtern() bool    { return false }
func (op *pickOp[T]) OverwritesInput() int { return -1 }
func (op *pickOp[T]) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "spag.%v.grad%d.%p", op.of.of.k, op.i, op)
}
func (op *pickOp[T]) Hashcode() uint32 { return hashOf(op) }
func (op *pickOp[T]) String() string   { return fmt.Sprintf("%vGrad%d", op.of.of.k, op.i) }

func (op *pickOp[T]) Do(...G.Value) (G.Value, error) {
	if op.of.dIn == nil {
		return nil, fmt.Errorf("%v: backward pass has not run", op)
	}
	return op.of.dIn[op.i], nil
}
