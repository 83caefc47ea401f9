package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gorgonia.org/tensor"
)

// Params holds a model's weights, one tensor per [ParamSpec] in the order of
// [Config.ParamSpecs]. Training uses float32; tests use float64 copies for
// gradient checks. A Params is not safe for concurrent mutation; runners
// built from it read the tensors in place, so an optimizer that updates
// Tensors changes what every runner computes next.
type Params struct {
	Config  Config
	Tensors []*tensor.Dense
}

// Init draws weights for cfg from a seeded generator: matrices from
// N(0, 0.02²) (the residual output projections attn_output and ffn_down
// scaled down by sqrt(2·layers), as in GPT-2), norm gains at 1, and a
// scalar head, when cfg has one, as [WithScoreHead] adds it with the same
// seed (the other weights are those of the same cfg without the head).
func Init(cfg Config, seed uint64) (*Params, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ScoreHead {
		lm := cfg
		lm.ScoreHead = false
		p, err := Init(lm, seed)
		if err != nil {
			return nil, err
		}
		return WithScoreHead(p, seed), nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	p := &Params{Config: cfg}
	for _, s := range cfg.ParamSpecs() {
		n := 1
		for _, d := range s.Shape {
			n *= d
		}
		data := make([]float32, n)
		switch {
		case len(s.Shape) == 1:
			for i := range data {
				data[i] = 1
			}
		default:
			std := 0.02
			if strings.HasSuffix(s.Name, "attn_output.weight") || strings.HasSuffix(s.Name, "ffn_down.weight") {
				std /= math.Sqrt(2 * float64(cfg.Layers))
			}
			for i := range data {
				data[i] = float32(rng.NormFloat64() * std)
			}
		}
		p.Tensors = append(p.Tensors, tensor.New(tensor.WithShape(s.Shape...), tensor.WithBacking(data)))
	}
	return p, nil
}

// scoreHeadStd is the standard deviation of the scalar head's initial
// weights: small, so that a new head scores every answer near its bias (0)
// yet passes gradient back into the model from the first step.
const scoreHeadStd = 0.02

// WithScoreHead returns p with a scalar head, its weights drawn from
// N(0, scoreHeadStd²) by a generator seeded with seed and its bias 0; p
// itself when it has one already. The result shares p's other tensors.
func WithScoreHead(p *Params, seed uint64) *Params {
	if p.Config.ScoreHead {
		return p
	}
	cfg := p.Config
	cfg.ScoreHead = true
	rng := rand.New(rand.NewPCG(seed, 0x5c0e))
	w := make([]float64, cfg.Dim)
	for i := range w {
		w[i] = rng.NormFloat64() * scoreHeadStd
	}
	q := &Params{Config: cfg, Tensors: append([]*tensor.Dense(nil), p.Tensors...)}
	for _, d := range [][]float64{w, {0}} {
		var backing any = d
		if p.Dtype() == tensor.Float32 {
			f := make([]float32, len(d))
			for i, v := range d {
				f[i] = float32(v)
			}
			backing = f
		}
		q.Tensors = append(q.Tensors, tensor.New(tensor.WithShape(len(d)), tensor.WithBacking(backing)))
	}
	return q
}

// Dtype is the element type of the weights.
func (p *Params) Dtype() tensor.Dtype { return p.Tensors[0].Dtype() }

// Convert returns a deep copy with elements of type dt (tensor.Float32 or
// tensor.Float64).
func (p *Params) Convert(dt tensor.Dtype) (*Params, error) {
	q := &Params{Config: p.Config}
	for i, t := range p.Tensors {
		src := Float64s(t)
		var backing any
		switch dt {
		case tensor.Float64:
			backing = src
		case tensor.Float32:
			f := make([]float32, len(src))
			for j, v := range src {
				f[j] = float32(v)
			}
			backing = f
		default:
			return nil, fmt.Errorf("convert params: unsupported dtype %v", dt)
		}
		q.Tensors = append(q.Tensors, tensor.New(tensor.WithShape(p.Tensors[i].Shape().Clone()...), tensor.WithBacking(backing)))
	}
	return q, nil
}

// Clone returns a deep copy (a frozen reference model, for example).
func (p *Params) Clone() *Params {
	q, err := p.Convert(p.Dtype())
	if err != nil {
		panic(err) // p's own dtype is always convertible
	}
	return q
}

// Float64s copies a float32 or float64 tensor's elements as float64.
func Float64s(t *tensor.Dense) []float64 { return appendFloat64s(nil, t) }

// appendFloat64s appends t's elements as float64 to dst.
func appendFloat64s(dst []float64, t *tensor.Dense) []float64 {
	switch d := t.Data().(type) {
	case []float64:
		return append(dst, d...)
	case []float32:
		for _, v := range d {
			dst = append(dst, float64(v))
		}
		return dst
	case float32:
		return append(dst, float64(d))
	case float64:
		return append(dst, d)
	}
	panic(fmt.Sprintf("model: tensor of unsupported type %T", t.Data()))
}
