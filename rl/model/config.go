// Package model is spag's native policy: a llama-architecture decoder (token
// embedding, RMSNorm, rotary position embedding, causal multi-head attention
// with optional grouped-query heads, SwiGLU feed-forward, final norm, output
// head) built as a gorgonia graph, so that the weights it trains can be
// exported to GGUF and served by Ollama. gorgonia orders the computation and
// runs the backward pass; the heavy blocks (RMSNorm, rotary embedding,
// causal attention, SwiGLU, the projections and the log-softmax head) are
// the package's own operators with hand-written backward passes, whose
// buffers are kept from one run to the next (kernels.go, attention.go).
//
// The package computes per-token log-probabilities of targets for right-padded
// batches and, for training, the gradients of any scalar function of those
// log-probabilities (see [LossFunc]). It knows nothing about games, rewards,
// optimizers or files; the trainer and checkpoints live in sibling packages.
//
// Weight layout: matrices are stored (in, out) so that a layer computes x·W;
// GGUF and PyTorch store (out, in), so exporters transpose. Rotary embedding
// rotates interleaved pairs (x[2i], x[2i+1]) with frequency
// theta^(-2i/headDim), which is GGML's "normal" RoPE used for llama.
package model

import (
	"errors"
	"fmt"
	"sort"
)

// Config is the architecture of a model. The zero value is invalid; start
// from [Preset].
type Config struct {
	Vocab     int     `json:"vocab"`      // vocabulary size
	Dim       int     `json:"dim"`        // model width
	Layers    int     `json:"layers"`     // transformer blocks
	Heads     int     `json:"heads"`      // attention (query) heads
	KVHeads   int     `json:"kv_heads"`   // key/value heads; Heads must be a multiple
	FFN       int     `json:"ffn"`        // SwiGLU hidden width
	Context   int     `json:"context"`    // maximum sequence length
	NormEps   float64 `json:"norm_eps"`   // RMSNorm epsilon
	RopeTheta float64 `json:"rope_theta"` // rotary base frequency
	// ScoreHead adds a scalar head (a reward model's value head): a weight
	// vector of width Dim and a bias, applied to the final-normed hidden
	// state of a sequence's last token (see [NewScoreRunner]). Configurations
	// written before it existed have none, and omit the field.
	ScoreHead bool `json:"score_head,omitempty"`
}

// presets are the named configurations; Vocab is the target size of a
// tokenizer trained for the model.
var presets = map[string]Config{
	// tiny trains in seconds on two cores.
	"tiny": {Vocab: 512, Dim: 64, Layers: 2, Heads: 4, KVHeads: 4, FFN: 172, Context: 128, NormEps: 1e-5, RopeTheta: 10000},
	// small is the benchmark configuration, about 4.2 million parameters.
	"small": {Vocab: 2000, Dim: 256, Layers: 4, Heads: 8, KVHeads: 8, FFN: 688, Context: 256, NormEps: 1e-5, RopeTheta: 10000},
}

// ErrUnknownPreset reports a preset name that does not exist.
var ErrUnknownPreset = errors.New("unknown preset")

// Preset returns the named configuration ("tiny" or "small").
func Preset(name string) (Config, error) {
	c, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("%w %q (choose one of %v)", ErrUnknownPreset, name, PresetNames())
	}
	return c, nil
}

// PresetNames lists the preset names in order.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// HeadDim is the width of one attention head.
func (c Config) HeadDim() int { return c.Dim / c.Heads }

// Validate reports the first inconsistent field.
func (c Config) Validate() error {
	switch {
	case c.Vocab < 1:
		return fmt.Errorf("model config: vocab %d must be positive", c.Vocab)
	case c.Dim < 1 || c.Layers < 1 || c.FFN < 1 || c.Context < 1:
		return fmt.Errorf("model config: dim %d, layers %d, ffn %d and context %d must be positive", c.Dim, c.Layers, c.FFN, c.Context)
	case c.Heads < 1 || c.Dim%c.Heads != 0:
		return fmt.Errorf("model config: dim %d must be a positive multiple of heads %d", c.Dim, c.Heads)
	case c.HeadDim()%2 != 0:
		return fmt.Errorf("model config: head width %d must be even for rotary embedding", c.HeadDim())
	case c.KVHeads < 1 || c.Heads%c.KVHeads != 0:
		return fmt.Errorf("model config: heads %d must be a multiple of kv_heads %d", c.Heads, c.KVHeads)
	case c.NormEps <= 0 || c.RopeTheta <= 0:
		return fmt.Errorf("model config: norm_eps %v and rope_theta %v must be positive", c.NormEps, c.RopeTheta)
	}
	return nil
}

// ParamSpec names one weight tensor and its shape.
type ParamSpec struct {
	Name  string
	Shape []int
}

// ParamSpecs lists the weights in a fixed order, with GGUF-style names.
func (c Config) ParamSpecs() []ParamSpec {
	kv := c.KVHeads * c.HeadDim()
	specs := []ParamSpec{{"token_embd.weight", []int{c.Vocab, c.Dim}}}
	for l := 0; l < c.Layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		specs = append(specs,
			ParamSpec{p + "attn_norm.weight", []int{c.Dim}},
			ParamSpec{p + "attn_q.weight", []int{c.Dim, c.Dim}},
			ParamSpec{p + "attn_k.weight", []int{c.Dim, kv}},
			ParamSpec{p + "attn_v.weight", []int{c.Dim, kv}},
			ParamSpec{p + "attn_output.weight", []int{c.Dim, c.Dim}},
			ParamSpec{p + "ffn_norm.weight", []int{c.Dim}},
			ParamSpec{p + "ffn_gate.weight", []int{c.Dim, c.FFN}},
			ParamSpec{p + "ffn_up.weight", []int{c.Dim, c.FFN}},
			ParamSpec{p + "ffn_down.weight", []int{c.FFN, c.Dim}},
		)
	}
	specs = append(specs, ParamSpec{"output_norm.weight", []int{c.Dim}}, ParamSpec{"output.weight", []int{c.Dim, c.Vocab}})
	if c.ScoreHead {
		specs = append(specs, ParamSpec{ScoreHeadWeight, []int{c.Dim}}, ParamSpec{ScoreHeadBias, []int{1}})
	}
	return specs
}

// The scalar head's tensors, last in [Config.ParamSpecs] when
// [Config.ScoreHead] is set. They are not part of the llama architecture:
// GGUF export leaves them out.
const (
	ScoreHeadWeight = "score_head.weight"
	ScoreHeadBias   = "score_head.bias"
)

// IsScoreHead reports whether a tensor name is one of the scalar head's.
func IsScoreHead(name string) bool { return name == ScoreHeadWeight || name == ScoreHeadBias }

// NumParams counts the scalar weights.
func (c Config) NumParams() int {
	n := 0
	for _, s := range c.ParamSpecs() {
		k := 1
		for _, d := range s.Shape {
			k *= d
		}
		n += k
	}
	return n
}

// FLOPs counts the floating-point operations (two per multiply-add) of a
// forward pass from the model's shapes: tokens positions through the
// layers' products, pairs (query, key) positions of causal attention
// summed over those tokens (the scores and the weighted sum of values,
// over every head of every layer), and logits rows through the output
// head. Norms, the rotary embedding, softmax and the SwiGLU gate are
// left out: a few operations per element, against hundreds per weight.
// A roofline figure divides this by the time taken and by the best
// product rate of the machine.
func (c Config) FLOPs(tokens, pairs, logits int64) float64 {
	kv := c.KVHeads * c.HeadDim()
	perToken := c.Layers * (c.Dim*(c.Dim+2*kv) + c.Dim*c.Dim + 3*c.Dim*c.FFN)
	return 2 * (float64(tokens)*float64(perToken) +
		float64(pairs)*float64(2*c.Layers*c.Heads*c.HeadDim()) +
		float64(logits)*float64(c.Dim*c.Vocab))
}
