package native

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// Model is the native llama decoder prepared for inference: float32
// weights in plain slices, rotary tables and a matrix-product kernel. It
// computes exactly what rl/model's gorgonia graph computes (same weight
// layout, interleaved-pair rotary embedding, RMSNorm, SwiGLU), one new
// token (or prompt chunk) at a time against a [Cache]. A Model is
// read-only after [NewModel] and safe for concurrent use; each Cache
// belongs to one sequence and one goroutine at a time.
type Model struct {
	Config model.Config
	Vocab  *tokenizer.Vocab
	// HalfKV rounds cached keys and values (and the queries that meet
	// them) to float16, as Ollama's runners do with their F16 KV cache;
	// scores then match a served model's to about 1e-4 instead of 1e-3.
	// Set it before the Model is used.
	HalfKV bool

	embd    []float32 // (vocab, dim)
	layers  []layer
	outNorm []float32
	out     []float32 // (dim, vocab)
	// cos and sin hold the rotation of pair i at position t at
	// [t*headDim/2+i].
	cos, sin []float32
	blas     gonum.Implementation
}

// layer is one transformer block; matrices are (in, out) row-major.
type layer struct {
	attnNorm, q, k, v, o    []float32
	ffnNorm, gate, up, down []float32
}

// NewModel prepares params (float32 or float64) for inference. The weights
// are copied, so later training steps on params do not change the Model.
func NewModel(vocab *tokenizer.Vocab, params *model.Params) (*Model, error) {
	cfg := params.Config
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("native model: %w", err)
	}
	if vocab.Size() != cfg.Vocab {
		return nil, fmt.Errorf("native model: tokenizer has %d pieces, the model's vocabulary is %d", vocab.Size(), cfg.Vocab)
	}
	specs := cfg.ParamSpecs()
	if len(params.Tensors) != len(specs) {
		return nil, fmt.Errorf("native model: %d tensors, the configuration needs %d", len(params.Tensors), len(specs))
	}
	w := map[string][]float32{}
	for i, s := range specs {
		d := params.Tensors[i].Data()
		var f []float32
		switch d := d.(type) {
		case []float32:
			f = append([]float32(nil), d...)
		case []float64:
			f = make([]float32, len(d))
			for j, v := range d {
				f[j] = float32(v)
			}
		default:
			return nil, fmt.Errorf("native model: tensor %s holds %T", s.Name, d)
		}
		w[s.Name] = f
	}
	m := &Model{Config: cfg, Vocab: vocab, embd: w["token_embd.weight"], outNorm: w["output_norm.weight"], out: w["output.weight"]}
	for l := 0; l < cfg.Layers; l++ {
		p := func(s string) []float32 { return w[fmt.Sprintf("blk.%d.%s.weight", l, s)] }
		m.layers = append(m.layers, layer{
			attnNorm: p("attn_norm"), q: p("attn_q"), k: p("attn_k"), v: p("attn_v"), o: p("attn_output"),
			ffnNorm: p("ffn_norm"), gate: p("ffn_gate"), up: p("ffn_up"), down: p("ffn_down"),
		})
	}
	half := cfg.HeadDim() / 2
	m.cos = make([]float32, cfg.Context*half)
	m.sin = make([]float32, cfg.Context*half)
	for t := 0; t < cfg.Context; t++ {
		for i := 0; i < half; i++ {
			a := float64(t) * math.Pow(cfg.RopeTheta, -2*float64(i)/float64(cfg.HeadDim()))
			m.cos[t*half+i], m.sin[t*half+i] = float32(math.Cos(a)), float32(math.Sin(a))
		}
	}
	return m, nil
}

// Cache is the key/value cache of one sequence: the keys and values of
// every position processed so far, per layer.
type Cache struct {
	k, v [][]float32 // [layer][position*kvDim]
	n    int
}

// NewCache returns an empty cache sized for the model's context.
func (m *Model) NewCache() *Cache {
	kv := m.Config.KVHeads * m.Config.HeadDim()
	c := &Cache{k: make([][]float32, m.Config.Layers), v: make([][]float32, m.Config.Layers)}
	for l := range c.k {
		c.k[l] = make([]float32, m.Config.Context*kv)
		c.v[l] = make([]float32, m.Config.Context*kv)
	}
	return c
}

// Len is the number of positions in the cache.
func (c *Cache) Len() int { return c.n }

// Truncate forgets positions from n on, so that a sequence can be
// rewound (to reuse a shared prompt prefix, for example).
func (c *Cache) Truncate(n int) {
	if n >= 0 && n < c.n {
		c.n = n
	}
}

// ErrContext reports a sequence longer than the model's context.
var ErrContext = errors.New("sequence exceeds the model's context")

// ErrToken reports a token id outside the vocabulary.
var ErrToken = errors.New("token id outside the vocabulary")

// chunk is one sequence's part of a batched forward pass: new tokens to
// append to its cache.
type chunk struct {
	cache  *Cache
	tokens []int
}

// Forward appends tokens to the cache and returns the logits after each
// of them (row i predicts the token after tokens[i]).
func (m *Model) Forward(c *Cache, tokens []int) ([][]float32, error) {
	rows, err := m.forward([]chunk{{c, tokens}}, true)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// Score returns log p(tokens[i+1] | tokens[:i+1]) for every i, computed
// in one pass over a fresh cache: the per-token log-probabilities a
// trainer or a server reports for the sequence.
func (m *Model) Score(tokens []int) ([]float64, error) {
	if len(tokens) < 2 {
		return nil, nil
	}
	logits, err := m.Forward(m.NewCache(), tokens[:len(tokens)-1])
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(logits))
	for i, row := range logits {
		out[i] = LogSoftmaxAt(row, tokens[i+1])
	}
	return out, nil
}

// ResponseScore is the mean log-likelihood of response (and its end) after
// prompt, laid out as training lays it out: the sequence score l of the
// objectives, which a likelihood reward model uses as its score.
func (m *Model) ResponseScore(prompt, response string) (float64, error) {
	toks, start := m.Vocab.ScoringSequence(prompt, response, m.Config.Context)
	lp, err := m.Score(toks)
	if err != nil {
		return 0, err
	}
	sum := 0.0
	for _, v := range lp[start-1:] {
		sum += v
	}
	return sum / float64(len(toks)-start), nil
}

// LogSoftmaxAt is log softmax(logits)[id], computed in float64 for
// stability.
func LogSoftmaxAt(logits []float32, id int) float64 {
	mx := float64(logits[0])
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	sum := 0.0
	for _, v := range logits {
		sum += math.Exp(float64(v) - mx)
	}
	return float64(logits[id]) - mx - math.Log(sum)
}

// forward runs the decoder over all chunks at once: the matrix products
// cover every new token of every sequence in one call, attention is per
// sequence against its cache. It returns logits for every new token when
// all is true, else only for the last token of each chunk.
func (m *Model) forward(chunks []chunk, all bool) ([][]float32, error) {
	cfg := m.Config
	D, H, KV, Dh, F, V := cfg.Dim, cfg.Heads, cfg.KVHeads, cfg.HeadDim(), cfg.FFN, cfg.Vocab
	kvDim := KV * Dh
	R := 0
	for _, ch := range chunks {
		if len(ch.tokens) == 0 {
			return nil, errors.New("native forward: a sequence has no new tokens")
		}
		if ch.cache.n+len(ch.tokens) > cfg.Context {
			return nil, fmt.Errorf("native forward: %w: %d + %d tokens, context %d", ErrContext, ch.cache.n, len(ch.tokens), cfg.Context)
		}
		for _, t := range ch.tokens {
			if t < 0 || t >= V {
				return nil, fmt.Errorf("native forward: %w: %d (vocabulary %d)", ErrToken, t, V)
			}
		}
		R += len(ch.tokens)
	}
	x := make([]float32, R*D)
	h := make([]float32, R*D)
	q := make([]float32, R*D)
	k := make([]float32, R*kvDim)
	v := make([]float32, R*kvDim)
	att := make([]float32, R*D)
	gate := make([]float32, R*F)
	up := make([]float32, R*F)
	r := 0
	for _, ch := range chunks {
		for _, t := range ch.tokens {
			copy(x[r*D:(r+1)*D], m.embd[t*D:(t+1)*D])
			r++
		}
	}
	scale := float32(1 / math.Sqrt(float64(Dh)))
	maxLen := 0
	for _, ch := range chunks {
		maxLen = max(maxLen, ch.cache.n+len(ch.tokens))
	}
	scores := make([]float32, maxLen)
	for l, ly := range m.layers {
		rmsNorm(h, x, ly.attnNorm, D, cfg.NormEps)
		m.matmul(q, h, ly.q, R, D, D)
		m.matmul(k, h, ly.k, R, D, kvDim)
		m.matmul(v, h, ly.v, R, D, kvDim)
		r = 0
		for _, ch := range chunks {
			c := ch.cache
			for i := range ch.tokens {
				pos := c.n + i
				m.rope(q[r*D:(r+1)*D], pos, H)
				m.rope(k[r*kvDim:(r+1)*kvDim], pos, KV)
				copy(c.k[l][pos*kvDim:(pos+1)*kvDim], k[r*kvDim:(r+1)*kvDim])
				copy(c.v[l][pos*kvDim:(pos+1)*kvDim], v[r*kvDim:(r+1)*kvDim])
				if m.HalfKV {
					roundHalf(c.k[l][pos*kvDim : (pos+1)*kvDim])
					roundHalf(c.v[l][pos*kvDim : (pos+1)*kvDim])
					roundHalf(q[r*D : (r+1)*D])
				}
				r++
			}
			r -= len(ch.tokens)
			for i := range ch.tokens {
				pos := c.n + i
				if m.HalfKV {
					attendHalf(att[r*D:(r+1)*D], q[r*D:(r+1)*D], c.k[l], c.v[l], pos+1, H, KV, Dh, scale)
				} else {
					attend(att[r*D:(r+1)*D], q[r*D:(r+1)*D], c.k[l], c.v[l], pos+1, H, KV, Dh, scale, scores)
				}
				r++
			}
		}
		m.matmulAdd(x, att, ly.o, R, D, D)
		rmsNorm(h, x, ly.ffnNorm, D, cfg.NormEps)
		m.matmul(gate, h, ly.gate, R, D, F)
		m.matmul(up, h, ly.up, R, D, F)
		for i, g := range gate {
			gate[i] = g / (1 + float32(math.Exp(float64(-g)))) * up[i]
		}
		m.matmulAdd(x, gate, ly.down, R, F, D)
	}
	for _, ch := range chunks {
		ch.cache.n += len(ch.tokens)
	}
	// Only the rows whose logits are wanted go through the output head.
	var pick []int
	r = 0
	for _, ch := range chunks {
		for i := range ch.tokens {
			if all || i == len(ch.tokens)-1 {
				pick = append(pick, r)
			}
			r++
		}
	}
	hx := make([]float32, len(pick)*D)
	for j, r := range pick {
		copy(hx[j*D:(j+1)*D], x[r*D:(r+1)*D])
	}
	rmsNorm(hx, hx, m.outNorm, D, cfg.NormEps)
	logits := make([]float32, len(pick)*V)
	m.matmul(logits, hx, m.out, len(pick), D, V)
	rows := make([][]float32, len(pick))
	for j := range rows {
		rows[j] = logits[j*V : (j+1)*V : (j+1)*V]
	}
	return rows, nil
}

// matmul sets y (rows×out) to x (rows×in) · w (in×out).
func (m *Model) matmul(y, x, w []float32, rows, in, out int) {
	m.gemm(y, x, w, rows, in, out, 0)
}

// matmulAdd adds x · w to y.
func (m *Model) matmulAdd(y, x, w []float32, rows, in, out int) {
	m.gemm(y, x, w, rows, in, out, 1)
}

// parallelMin is the number of multiply-adds above which a product is
// split across cores by output columns; below it the goroutine hand-off
// costs more than it saves.
const parallelMin = 1 << 17

func (m *Model) gemm(y, x, w []float32, rows, in, out int, beta float32) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || rows*in*out < parallelMin || out < 2*64 {
		m.blas.Sgemm(blas.NoTrans, blas.NoTrans, rows, out, in, 1, x, in, w, out, beta, y, out)
		return
	}
	// Column blocks keep each worker's slice of w contiguous per row.
	per := (out + workers - 1) / workers
	per = (per + 15) / 16 * 16
	var wg sync.WaitGroup
	for c0 := 0; c0 < out; c0 += per {
		n := min(per, out-c0)
		wg.Add(1)
		go func(c0, n int) {
			defer wg.Done()
			m.blas.Sgemm(blas.NoTrans, blas.NoTrans, rows, n, in, 1, x, in, w[c0:], out, beta, y[c0:], out)
		}(c0, n)
	}
	wg.Wait()
}

// rmsNorm sets dst row by row to src / rms(src) · gain; dst may be src.
func rmsNorm(dst, src, gain []float32, width int, eps float64) {
	for r := 0; r+width <= len(src); r += width {
		row := src[r : r+width]
		ss := 0.0
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		inv := float32(1 / math.Sqrt(ss/float64(width)+eps))
		out := dst[r : r+width]
		for i, v := range row {
			out[i] = v * inv * gain[i]
		}
	}
}

// rope rotates each head's interleaved pairs (x[2i], x[2i+1]) by the
// angle of pair i at position pos.
func (m *Model) rope(x []float32, pos, heads int) {
	Dh := m.Config.HeadDim()
	half := Dh / 2
	cs, sn := m.cos[pos*half:(pos+1)*half], m.sin[pos*half:(pos+1)*half]
	for h := 0; h < heads; h++ {
		v := x[h*Dh : (h+1)*Dh]
		for i := 0; i < half; i++ {
			a, b := v[2*i], v[2*i+1]
			v[2*i] = a*cs[i] - b*sn[i]
			v[2*i+1] = b*cs[i] + a*sn[i]
		}
	}
}

// attend computes causal attention of one query row over the first n
// cached positions, writing the heads' outputs to out.
func attend(out, q, keys, values []float32, n, H, KV, Dh int, scale float32, scores []float32) {
	kvDim := KV * Dh
	group := H / KV
	s := scores[:n]
	for h := 0; h < H; h++ {
		qh := q[h*Dh : (h+1)*Dh]
		off := (h / group) * Dh
		mx := float32(math.Inf(-1))
		for t := 0; t < n; t++ {
			d := dot(qh, keys[t*kvDim+off:t*kvDim+off+Dh]) * scale
			s[t] = d
			mx = max(mx, d)
		}
		sum := float32(0)
		for t := range s {
			e := float32(math.Exp(float64(s[t] - mx)))
			s[t] = e
			sum += e
		}
		o := out[h*Dh : (h+1)*Dh]
		clear(o)
		inv := 1 / sum
		for t, p := range s {
			p *= inv
			vt := values[t*kvDim+off : t*kvDim+off+Dh]
			for j := range o {
				o[j] += p * vt[j]
			}
		}
	}
}

// attendHalf is [attend] computed as GGML's CPU flash attention does with
// an F16 cache: keys, values and the query rounded to float16, an online
// softmax over the positions in order, and the weighted sum of values
// accumulated in float16.
func attendHalf(out, q, keys, values []float32, n, H, KV, Dh int, scale float32) {
	kvDim := KV * Dh
	group := H / KV
	acc := make([]float32, Dh)
	for h := 0; h < H; h++ {
		qh := q[h*Dh : (h+1)*Dh]
		off := (h / group) * Dh
		clear(acc)
		mx, sum := float32(math.Inf(-1)), float32(0)
		for t := 0; t < n; t++ {
			s := dot(qh, keys[t*kvDim+off:t*kvDim+off+Dh]) * scale
			ms, vs := float32(1), float32(1)
			if s > mx {
				ms = float32(math.Exp(float64(mx - s)))
				mx = s
				for j := range acc {
					acc[j] = halfRound(acc[j] * ms)
				}
			} else {
				vs = float32(math.Exp(float64(s - mx)))
			}
			vt := values[t*kvDim+off : t*kvDim+off+Dh]
			for j := range acc {
				acc[j] = halfRound(acc[j] + vt[j]*vs)
			}
			sum = sum*ms + vs
		}
		o := out[h*Dh : (h+1)*Dh]
		inv := 1 / sum
		for j := range o {
			o[j] = acc[j] * inv
		}
	}
}

// dot is a four-way unrolled float32 dot product.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

// roundHalf rounds every element to the nearest float16 value.
func roundHalf(x []float32) {
	for i, v := range x {
		x[i] = halfRound(v)
	}
}
