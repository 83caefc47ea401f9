package model

import (
	"errors"
	"fmt"
	"math"

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

	g          *G.ExprGraph
	vm         G.VM
	paramNodes G.Nodes
	tokens     *G.Node
	onehot     *G.Node
	onehotT    *tensor.Dense
	tokensT    *tensor.Dense
	loss       *lossOp
}

// NewRunner builds the graph for batches of batch sequences of length
// tokens, with gradients when train is true.
func NewRunner(p *Params, batch, length int, train bool) (*Runner, error) {
	cfg := p.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if batch < 1 || length < 1 || length > cfg.Context {
		return nil, fmt.Errorf("new runner: batch %d and length %d must be positive, length at most the context %d", batch, length, cfg.Context)
	}
	dt := p.Dtype()
	r := &Runner{params: p, batch: batch, length: length, train: train, g: G.NewGraph()}
	r.loss = &lossOp{n: batch * length}
	if err := r.build(dt); err != nil {
		return nil, fmt.Errorf("build model graph (batch %d, length %d): %w", batch, length, err)
	}
	return r, nil
}

// Batch and Length are the shape the runner was built for.
func (r *Runner) Batch() int  { return r.batch }
func (r *Runner) Length() int { return r.length }

// build constructs the graph; must is a small helper that keeps the first
// error so the construction reads as straight-line code.
func (r *Runner) build(dt tensor.Dtype) (err error) {
	cfg := r.params.Config
	B, T, D, H, KV, Dh := r.batch, r.length, cfg.Dim, cfg.Heads, cfg.KVHeads, cfg.HeadDim()
	BT := B * T
	g := r.g
	must := func(n *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return n
	}

	specs := cfg.ParamSpecs()
	byName := map[string]*G.Node{}
	for i, s := range specs {
		n := G.NewTensor(g, dt, len(s.Shape), G.WithShape(s.Shape...), G.WithName(s.Name), G.WithValue(r.params.Tensors[i]))
		r.paramNodes = append(r.paramNodes, n)
		byName[s.Name] = n
	}

	r.tokensT = tensor.New(tensor.WithShape(BT), tensor.Of(tensor.Int))
	r.tokens = G.NewVector(g, tensor.Int, G.WithShape(BT), G.WithName("in.tokens"), G.WithValue(r.tokensT))
	r.onehotT = tensor.New(tensor.WithShape(BT, cfg.Vocab), tensor.Of(dt))
	r.onehot = G.NewMatrix(g, dt, G.WithShape(BT, cfg.Vocab), G.WithName("in.onehot"), G.WithValue(r.onehotT))

	// Constant inputs: rotary tables (the query table carries the attention
	// scale 1/sqrt(Dh)), the pair-rotation matrix, the causal mask and, for
	// grouped-query attention, the key/value head expansion.
	scale := 1 / math.Sqrt(float64(Dh))
	cosQ, sinQ := ropeTables(B, T, H, Dh, cfg.RopeTheta, scale)
	cosK, sinK := ropeTables(B, T, KV, Dh, cfg.RopeTheta, 1)
	constant := func(name string, data []float64, shape ...int) *G.Node {
		return G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithName("const."+name), G.WithValue(denseOf(dt, data, shape...)))
	}
	nCosQ, nSinQ := constant("cos_q", cosQ, BT, D), constant("sin_q", sinQ, BT, D)
	nCosK, nSinK := constant("cos_k", cosK, BT, KV*Dh), constant("sin_k", sinK, BT, KV*Dh)
	rot := constant("rot", []float64{0, 1, -1, 0}, 2, 2)
	maskData := make([]float64, T*T)
	for i := 0; i < T; i++ {
		for j := i + 1; j < T; j++ {
			maskData[i*T+j] = -1e9
		}
	}
	mask := constant("mask", maskData, T, T)
	var expand *G.Node
	if KV < H {
		e := make([]float64, KV*Dh*D)
		for h := 0; h < H; h++ {
			kvh := h / (H / KV)
			for j := 0; j < Dh; j++ {
				e[(kvh*Dh+j)*D+h*Dh+j] = 1
			}
		}
		expand = constant("kv_expand", e, KV*Dh, D)
	}
	eps := G.NewConstant(castScalar(dt, cfg.NormEps), G.WithName("const.eps"))

	rmsNorm := func(x, gain *G.Node) *G.Node {
		ms := must(G.Mean(must(G.Square(x)), 1))
		rms := must(G.Sqrt(must(G.Add(ms, eps))))
		xn := must(G.BroadcastHadamardDiv(x, rms, nil, []byte{1}))
		return must(G.BroadcastHadamardProd(xn, gain, nil, []byte{0}))
	}
	rope := func(x, cos, sin *G.Node, width int) *G.Node {
		pairs := must(G.Reshape(x, tensor.Shape{BT * width / 2, 2}))
		rotated := must(G.Reshape(must(G.Mul(pairs, rot)), tensor.Shape{BT, width}))
		return must(G.Add(must(G.HadamardProd(x, cos)), must(G.HadamardProd(rotated, sin))))
	}
	// heads turns (B·T, H·Dh) into (B·H, T, Dh).
	heads := func(x *G.Node) *G.Node {
		x4 := must(G.Reshape(x, tensor.Shape{B, T, H, Dh}))
		return must(G.Reshape(must(G.Transpose(x4, 0, 2, 1, 3)), tensor.Shape{B * H, T, Dh}))
	}

	x := must(G.ByIndices(byName["token_embd.weight"], r.tokens, 0))
	for l := 0; l < cfg.Layers; l++ {
		p := func(s string) *G.Node { return byName[fmt.Sprintf("blk.%d.%s.weight", l, s)] }
		h := rmsNorm(x, p("attn_norm"))
		q := rope(must(G.Mul(h, p("attn_q"))), nCosQ, nSinQ, D)
		k := rope(must(G.Mul(h, p("attn_k"))), nCosK, nSinK, KV*Dh)
		v := must(G.Mul(h, p("attn_v")))
		if expand != nil {
			k = must(G.Mul(k, expand))
			v = must(G.Mul(v, expand))
		}
		scores := must(G.BatchedMatMul(heads(q), heads(k), false, true))
		scores = must(G.BroadcastAdd(scores, mask, nil, []byte{0}))
		probs := softmaxLast(scores, 2, must)
		ctx := must(G.BatchedMatMul(probs, heads(v)))
		ctx = must(G.Reshape(ctx, tensor.Shape{B, H, T, Dh}))
		ctx = must(G.Reshape(must(G.Transpose(ctx, 0, 2, 1, 3)), tensor.Shape{BT, D}))
		x = must(G.Add(x, must(G.Mul(ctx, p("attn_output")))))

		h = rmsNorm(x, p("ffn_norm"))
		gate := must(G.Mul(h, p("ffn_gate")))
		up := must(G.Mul(h, p("ffn_up")))
		act := must(G.HadamardProd(must(G.HadamardProd(gate, must(G.Sigmoid(gate)))), up))
		x = must(G.Add(x, must(G.Mul(act, p("ffn_down")))))
	}
	x = rmsNorm(x, byName["output_norm.weight"])
	logits := must(G.Mul(x, byName["output.weight"]))

	// Stable log-softmax gathered at the targets:
	// logp[t] = (logits[t,y] - max) - log(sum exp(logits[t,:] - max)).
	m := must(G.Max(logits, 1))
	shifted := must(G.BroadcastSub(logits, m, nil, []byte{1}))
	lse := must(G.Log(must(G.Sum(must(G.Exp(shifted)), 1))))
	picked := must(G.Sum(must(G.HadamardProd(shifted, r.onehot)), 1))
	logp := must(G.Sub(picked, lse))
	lossNode := must(G.ApplyOp(r.loss, logp))
	if err != nil {
		return err
	}

	if r.train {
		if _, err := G.Grad(lossNode, r.paramNodes...); err != nil {
			return fmt.Errorf("differentiate: %w", err)
		}
		r.vm = G.NewTapeMachine(g, G.BindDualValues(r.paramNodes...))
	} else {
		r.vm = G.NewTapeMachine(g)
	}
	return nil
}

// softmaxLast is a numerically stable softmax along axis of a 3-D node
// (gorgonia's own SoftMax is wrong for rows of different scales).
func softmaxLast(x *G.Node, axis int, must func(*G.Node, error) *G.Node) *G.Node {
	m := must(G.Max(x, axis))
	e := must(G.Exp(must(G.BroadcastSub(x, m, nil, []byte{byte(axis)}))))
	z := must(G.Sum(e, axis))
	return must(G.BroadcastHadamardDiv(e, z, nil, []byte{byte(axis)}))
}

// ropeTables returns cos and sin tables of shape (B·T, heads·Dh): entry
// (b·T+t, h·Dh+2i) and (…, h·Dh+2i+1) hold cos/sin(t·theta^(-2i/Dh)),
// multiplied by scale.
func ropeTables(B, T, heads, Dh int, theta, scale float64) (cos, sin []float64) {
	W := heads * Dh
	cos = make([]float64, B*T*W)
	sin = make([]float64, B*T*W)
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			row := (b*T + t) * W
			for h := 0; h < heads; h++ {
				for i := 0; i < Dh/2; i++ {
					angle := float64(t) * math.Pow(theta, -2*float64(i)/float64(Dh))
					c, s := math.Cos(angle)*scale, math.Sin(angle)*scale
					j := row + h*Dh + 2*i
					cos[j], cos[j+1] = c, c
					sin[j], sin[j+1] = s, s
				}
			}
		}
	}
	return cos, sin
}

func denseOf(dt tensor.Dtype, data []float64, shape ...int) *tensor.Dense {
	if dt == tensor.Float64 {
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), data...)))
	}
	f := make([]float32, len(data))
	for i, v := range data {
		f[i] = float32(v)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
}

func castScalar(dt tensor.Dtype, v float64) any {
	if dt == tensor.Float64 {
		return v
	}
	return float32(v)
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
	switch oh := r.onehotT.Data().(type) {
	case []float32:
		clear(oh)
		for i, y := range targets {
			oh[i*V+y] = 1
		}
	case []float64:
		clear(oh)
		for i, y := range targets {
			oh[i*V+y] = 1
		}
	}
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
