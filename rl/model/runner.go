package model

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LossFunc maps the per-token target log-probabilities of a batch (batch ×
// length, row-major; entries at padded positions must be ignored) to a
// scalar loss and its gradient with respect to every entry. The slices are
// owned by the caller of the function only during the call.
type LossFunc func(tokenLogp []float64) (loss float64, grad []float64, err error)

// Runner is a compiled forward (and, when built for training, backward)
// pass for one batch shape. gorgonia graphs have fixed shapes, so callers
// keep one Runner per (batch, length) bucket and pad to it. A Runner reads
// its [Params] in place on every run. It is not safe for concurrent use.
type Runner struct {
	params        *Params
	batch, length int
	train         bool
	// score marks a runner of the scalar head (see [NewScoreRunner]).
	score bool

	g          *G.ExprGraph
	vm         G.VM
	paramNodes G.Nodes
	tokens     *G.Node
	tokensT    *tensor.Dense
	targets    []int // read by the log-softmax head on every run
	last       []int // read by the scalar head on every run
	loss       *lossOp
	// graded marks the parameters the runner's output depends on (the
	// language-model head and the scalar head exclude each other); the
	// others' gradients are zero.
	graded []bool
}

// NewRunner builds the graph for batches of batch sequences of length
// tokens, with gradients when train is true.
func NewRunner(p *Params, batch, length int, train bool) (*Runner, error) {
	return newRunner(p, batch, length, train, false)
}

// NewScoreRunner builds the graph of the scalar head for batches of batch
// sequences of length tokens (see [Runner.RunScores]), with gradients when
// train is true. p must have a scalar head ([Config.ScoreHead]).
func NewScoreRunner(p *Params, batch, length int, train bool) (*Runner, error) {
	if !p.Config.ScoreHead {
		return nil, errors.New("new score runner: the model has no scalar head")
	}
	return newRunner(p, batch, length, train, true)
}

func newRunner(p *Params, batch, length int, train, score bool) (*Runner, error) {
	cfg := p.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if batch < 1 || length < 1 || length > cfg.Context {
		return nil, fmt.Errorf("new runner: batch %d and length %d must be positive, length at most the context %d", batch, length, cfg.Context)
	}
	r := &Runner{params: p, batch: batch, length: length, train: train, score: score, g: G.NewGraph()}
	r.loss = &lossOp{n: batch * length}
	if score {
		r.loss.n = batch
	}
	var err error
	switch dt := p.Dtype(); dt {
	case tensor.Float32:
		err = build[float32](r)
	case tensor.Float64:
		err = build[float64](r)
	default:
		err = fmt.Errorf("unsupported dtype %v", dt)
	}
	if err != nil {
		return nil, fmt.Errorf("build model graph (batch %d, length %d): %w", batch, length, err)
	}
	return r, nil
}

// Batch and Length are the shape the runner was built for.
func (r *Runner) Batch() int  { return r.batch }
func (r *Runner) Length() int { return r.length }

// build constructs the graph for element type T; must is a small helper
// that keeps the first error so the construction reads as straight-line
// code. Every block is one of the package's own operators (kernels.go,
// attention.go) except the embedding lookup; gorgonia orders them, sums
// gradients where a value feeds several blocks and runs the backward pass.
func build[T float](r *Runner) (err error) {
	cfg := r.params.Config
	B, T_, D, H, KV, Dh := r.batch, r.length, cfg.Dim, cfg.Heads, cfg.KVHeads, cfg.HeadDim()
	BT := B * T_
	g := r.g
	must := func(n *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	dt := r.params.Dtype()

	specs := cfg.ParamSpecs()
	byName := map[string]*G.Node{}
	for i, s := range specs {
		n := G.NewTensor(g, dt, len(s.Shape), G.WithShape(s.Shape...), G.WithName(s.Name), G.WithValue(r.params.Tensors[i]))
		r.paramNodes = append(r.paramNodes, n)
		byName[s.Name] = n
	}

	r.tokensT = tensor.New(tensor.WithShape(BT), tensor.Of(tensor.Int))
	r.tokens = G.NewVector(g, tensor.Int, G.WithShape(BT), G.WithName("in.tokens"), G.WithValue(r.tokensT))

	rmsNorm := func(x, gain *G.Node) *G.Node {
		return must(newBlock[T](&rmsNorm[T]{rows: BT, dim: D, eps: cfg.NormEps}).apply(x, gain))
	}
	mul := func(x, w *G.Node) *G.Node {
		in, out := w.Shape()[0], w.Shape()[1]
		return must(newBlock[T](&linear[T]{rows: BT, in: in, out: out}).apply(x, w))
	}
	// addMul is res + x·w.
	addMul := func(res, x, w *G.Node) *G.Node {
		in, out := w.Shape()[0], w.Shape()[1]
		return must(newBlock[T](&linear[T]{rows: BT, in: in, out: out, residual: true}).apply(x, w, res))
	}
	cos, sin := rotaryTables[T](T_, Dh, cfg.RopeTheta)
	rotary := func(x *G.Node, heads int) *G.Node {
		return must(newBlock[T](&rope[T]{rows: BT, length: T_, heads: heads, headDim: Dh, cos: cos, sin: sin}).apply(x))
	}

	x := must(G.ByIndices(byName["token_embd.weight"], r.tokens, 0))
	for l := 0; l < cfg.Layers; l++ {
		p := func(s string) *G.Node { return byName[fmt.Sprintf("blk.%d.%s.weight", l, s)] }
		h := rmsNorm(x, p("attn_norm"))
		q := rotary(mul(h, p("attn_q")), H)
		k := rotary(mul(h, p("attn_k")), KV)
		v := mul(h, p("attn_v"))
		ctx := must(newBlock[T](newAttention[T](B, T_, H, KV, Dh, r.train)).apply(q, k, v))
		x = addMul(x, ctx, p("attn_output"))

		h = rmsNorm(x, p("ffn_norm"))
		gate := mul(h, p("ffn_gate"))
		up := mul(h, p("ffn_up"))
		act := must(newBlock[T](&swiGLU[T]{rows: BT, width: cfg.FFN}).apply(gate, up))
		x = addMul(x, act, p("ffn_down"))
	}
	x = rmsNorm(x, byName["output_norm.weight"])
	var out *G.Node
	if r.score {
		head := &scoreHead[T]{batch: B, length: T_, dim: D, last: make([]int, B)}
		r.last = head.last
		out = must(newBlock[T](head).apply(x, byName[ScoreHeadWeight], byName[ScoreHeadBias]))
	} else {
		logits := mul(x, byName["output.weight"])
		head := &logSoftmaxPick[T]{rows: BT, vocab: cfg.Vocab, targets: make([]int, BT)}
		r.targets = head.targets
		out = must(newBlock[T](head).apply(logits))
	}
	lossNode := must(G.ApplyOp(r.loss, out))
	if err != nil {
		return err
	}

	if r.train {
		var wrt G.Nodes
		for i, s := range specs {
			on := !IsScoreHead(s.Name)
			if r.score {
				on = s.Name != "output.weight"
			}
			r.graded = append(r.graded, on)
			if on {
				wrt = append(wrt, r.paramNodes[i])
			}
		}
		if _, err := G.Grad(lossNode, wrt...); err != nil {
			return fmt.Errorf("differentiate: %w", err)
		}
		r.vm = G.NewTapeMachine(g, G.BindDualValues(wrt...))
	} else {
		r.vm = G.NewTapeMachine(g)
	}
	return nil
}

// ErrBatchShape reports inputs that do not fit the runner's shape.
var ErrBatchShape = errors.New("batch does not fit the runner")

// Run computes the batch's per-token target log-probabilities, hands them
// to loss and, for a training runner, back-propagates loss's gradient into
// the parameter gradients, which accumulate over runs until read by
// [Runner.AddGrads] or [Runner.Grads]. inputs and targets hold batch×length
// token ids row-major; target ids at padded positions may be any valid id
// (use 0). loss may be nil for evaluation (it then counts as 0).
func (r *Runner) Run(inputs, targets []int, loss LossFunc) (value float64, tokenLogp []float64, err error) {
	if r.score {
		return 0, nil, errors.New("run: a score runner runs with RunScores")
	}
	n := r.batch * r.length
	if len(inputs) != n || len(targets) != n {
		return 0, nil, fmt.Errorf("%w: %d inputs and %d targets, want %d×%d = %d", ErrBatchShape, len(inputs), len(targets), r.batch, r.length, n)
	}
	V := r.params.Config.Vocab
	tok := r.tokensT.Data().([]int)
	for i := range inputs {
		if inputs[i] < 0 || inputs[i] >= V || targets[i] < 0 || targets[i] >= V {
			return 0, nil, fmt.Errorf("%w: token %d (input %d, target %d) outside the vocabulary of %d", ErrBatchShape, i, inputs[i], targets[i], V)
		}
		tok[i] = inputs[i]
	}
	copy(r.targets, targets)
	return r.run(loss)
}

// RunScores computes the scalar head's score of every sequence of the batch
// (the head applied to the final-normed hidden state at position
// lengths[b]-1 of row b), hands them to loss and, for a training runner,
// back-propagates loss's gradient (one entry per sequence) into the
// parameter gradients, as [Runner.Run] does. inputs holds batch×length
// token ids row-major; a row of length 0 is padding, whose score (that of
// its first position) loss must ignore. loss may be nil for evaluation.
func (r *Runner) RunScores(inputs, lengths []int, loss LossFunc) (value float64, scores []float64, err error) {
	if !r.score {
		return 0, nil, errors.New("run scores: the runner was built without the scalar head (NewScoreRunner)")
	}
	if len(inputs) != r.batch*r.length || len(lengths) != r.batch {
		return 0, nil, fmt.Errorf("%w: %d inputs and %d lengths, want %d×%d and %d", ErrBatchShape, len(inputs), len(lengths), r.batch, r.length, r.batch)
	}
	V := r.params.Config.Vocab
	tok := r.tokensT.Data().([]int)
	for i, t := range inputs {
		if t < 0 || t >= V {
			return 0, nil, fmt.Errorf("%w: token %d (%d) outside the vocabulary of %d", ErrBatchShape, i, t, V)
		}
		tok[i] = t
	}
	for b, n := range lengths {
		if n < 0 || n > r.length {
			return 0, nil, fmt.Errorf("%w: row %d has length %d, want 0..%d", ErrBatchShape, b, n, r.length)
		}
		r.last[b] = max(n-1, 0)
	}
	return r.run(loss)
}

// run runs the machine once with loss on the graph's output.
func (r *Runner) run(loss LossFunc) (value float64, out []float64, err error) {
	if loss == nil {
		loss = func(lp []float64) (float64, []float64, error) { return 0, make([]float64, len(lp)), nil }
	}
	r.loss.fn = loss
	r.loss.err = nil
	defer r.vm.Reset()
	if err := r.vm.RunAll(); err != nil {
		if r.loss.err != nil {
			return 0, nil, r.loss.err
		}
		return 0, nil, fmt.Errorf("run model: %w", err)
	}
	return r.loss.value, append([]float64(nil), r.loss.logp...), nil
}

// AddGrads adds the accumulated float32 gradients into dst (one slice per
// parameter, in [Config.ParamSpecs] order) and clears them.
func (r *Runner) AddGrads(dst [][]float32) error {
	if !r.train {
		return errors.New("add grads: runner was built without gradients")
	}
	for i, n := range r.paramNodes {
		if !r.graded[i] {
			continue
		}
		gv, err := n.Grad()
		if err != nil {
			return fmt.Errorf("read gradient of %s: %w", n.Name(), err)
		}
		gt := gv.(*tensor.Dense)
		switch d := gt.Data().(type) {
		case []float32:
			for j, v := range d {
				dst[i][j] += v
			}
		case []float64:
			for j, v := range d {
				dst[i][j] += float32(v)
			}
		}
		gt.Zero()
	}
	return nil
}

// Grads returns copies of the accumulated gradients as float64, one slice
// per parameter, and clears them.
func (r *Runner) Grads() ([][]float64, error) {
	if !r.train {
		return nil, errors.New("grads: runner was built without gradients")
	}
	out := make([][]float64, len(r.paramNodes))
	for i, n := range r.paramNodes {
		if !r.graded[i] {
			out[i] = make([]float64, r.params.Tensors[i].Shape().TotalSize())
			continue
		}
		gv, err := n.Grad()
		if err != nil {
			return nil, fmt.Errorf("read gradient of %s: %w", n.Name(), err)
		}
		gt := gv.(*tensor.Dense)
		out[i] = Float64s(gt)
		gt.Zero()
	}
	return out, nil
}

// Close releases the machine.
func (r *Runner) Close() error { return r.vm.Close() }
