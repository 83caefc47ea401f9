package native

import (
	"errors"
	"fmt"
	"math"

	"github.com/spag-go/spag/internal/mat"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// Model is the native llama decoder prepared for inference: float32
// weights in plain slices and rotary tables; products go through
// internal/mat. It
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
	out     *mat.Packed // (dim, vocab)
	// cos and sin hold the rotation of pair i at position t at
	// [t*headDim/2+i].
	cos, sin []float32
	// scoreW and scoreB are the scalar head's weights (nil without one).
	scoreW []float32
	scoreB float32
}

// layer is one transformer block. The (in, out) matrices are packed
// once for internal/mat, so that a decoding step reads them in order.
// The products of one input are fused into one: qkv holds the query,
// key and value projections side by side (columns 0..D, D..D+kv,
// D+kv..D+2kv) and gateUp the gate's and the up projection's, so that
// a layer makes four products instead of seven. Each column is computed
// as it was alone, so the results are the same bits.
type layer struct {
	attnNorm, ffnNorm []float32
	qkv, o            *mat.Packed
	gateUp, down      *mat.Packed
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
	// pack packs a weight matrix of shape (in, out).
	pack := func(name string, in, out int) *mat.Packed { return mat.Pack(false, in, out, w[name], out) }
	// packSide packs (in, out) matrices side by side as one.
	packSide := func(in int, names []string, outs []int) *mat.Packed {
		width := 0
		for _, o := range outs {
			width += o
		}
		side := make([]float32, in*width)
		j0 := 0
		for i, name := range names {
			for r := 0; r < in; r++ {
				copy(side[r*width+j0:r*width+j0+outs[i]], w[name][r*outs[i]:(r+1)*outs[i]])
			}
			j0 += outs[i]
		}
		return mat.Pack(false, in, width, side, width)
	}
	D, kvDim := cfg.Dim, cfg.KVHeads*cfg.HeadDim()
	m := &Model{Config: cfg, Vocab: vocab, embd: w["token_embd.weight"], outNorm: w["output_norm.weight"],
		out: pack("output.weight", D, cfg.Vocab)}
	for l := 0; l < cfg.Layers; l++ {
		n := func(s string) string { return fmt.Sprintf("blk.%d.%s.weight", l, s) }
		m.layers = append(m.layers, layer{
			attnNorm: w[n("attn_norm")], ffnNorm: w[n("ffn_norm")],
			qkv:    packSide(D, []string{n("attn_q"), n("attn_k"), n("attn_v")}, []int{D, kvDim, kvDim}),
			o:      pack(n("attn_output"), D, D),
			gateUp: packSide(D, []string{n("ffn_gate"), n("ffn_up")}, []int{cfg.FFN, cfg.FFN}),
			down:   pack(n("ffn_down"), cfg.FFN, D),
		})
	}
	if cfg.ScoreHead {
		m.scoreW, m.scoreB = w[model.ScoreHeadWeight], w[model.ScoreHeadBias][0]
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
// every position processed so far, per layer, laid out for attention's
// two products: each key/value head's keys transposed
// ([layer][head][headDim][position]), so that the scores of a chunk are
// the queries times a row-major headDim×positions matrix read in place,
// and its values by position ([layer][head][position][headDim]), the
// right operand of the weighted sum.
type Cache struct {
	k, v [][]float32 // [layer][(kvHead*headDim+d)*context+position], [layer][(kvHead*context+position)*headDim+d]
	n    int
	toks []int // the tokens at positions 0..n-1
}

// NewCache returns an empty cache sized for the model's context.
func (m *Model) NewCache() *Cache {
	kv := m.Config.KVHeads * m.Config.HeadDim()
	c := &Cache{k: make([][]float32, m.Config.Layers), v: make([][]float32, m.Config.Layers), toks: make([]int, 0, m.Config.Context)}
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
		c.toks = c.toks[:n]
	}
}

// commonPrefix is how many of tokens' first positions the cache already
// holds.
func (c *Cache) commonPrefix(tokens []int) int {
	n := 0
	for n < len(c.toks) && n < len(tokens) && c.toks[n] == tokens[n] {
		n++
	}
	return n
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
	rows, err := m.forward(new(workspace), []chunk{{c, tokens}}, true)
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

// ErrNoScoreHead reports a model without the scalar head that
// [Model.ResponseValue] reads.
var ErrNoScoreHead = errors.New("the model has no scalar head (train one with spag train --objective apo --score scalar)")

// ResponseValue is the scalar head's score of response after prompt, as
// training computes it (rl/model's score runner): the sequence laid out as
// for [Model.ResponseScore] without its end token, and the head applied to
// the final-normed hidden state of its last token.
func (m *Model) ResponseValue(prompt, response string) (float64, error) {
	if m.scoreW == nil {
		return 0, ErrNoScoreHead
	}
	toks, _ := m.Vocab.ScoringSequence(prompt, response, m.Config.Context)
	ws := new(workspace)
	if _, err := m.forward(ws, []chunk{{m.NewCache(), toks[:len(toks)-1]}}, false); err != nil {
		return 0, err
	}
	s := float64(m.scoreB)
	for j, h := range ws.hx[:m.Config.Dim] {
		s += float64(h) * float64(m.scoreW[j])
	}
	return s, nil
}

// LogSoftmaxAt is log softmax(logits)[id]. The exponentials are taken in
// float32 (within 1.5e-7 relative, see mat.Expf) and summed in float64,
// so the result is within about 3e-7 of the exact one: far inside the
// 1e-4 to which served log-probabilities are compared, at a fraction of
// math.Exp's cost for each of a vocabulary's entries at every token.
func LogSoftmaxAt(logits []float32, id int) float64 {
	return logSoftmaxAt(logits, id, make([]float32, min(len(logits), expChunk)))
}

// expChunk is how many exponentials logSoftmaxAt takes at a time.
const expChunk = 512

// logSoftmaxAt is LogSoftmaxAt with scratch space of its own (any
// length from 1), so that a decoding step allocates nothing.
func logSoftmaxAt(logits []float32, id int, scratch []float32) float64 {
	mx := logits[0]
	for _, v := range logits {
		if v > mx || v != v {
			mx = v
		}
	}
	sum := 0.0
	for i := 0; i < len(logits); i += len(scratch) {
		e := scratch[:min(len(scratch), len(logits)-i)]
		for j, v := range logits[i : i+len(e)] {
			e[j] = v - mx
		}
		mat.Exp(e)
		for _, v := range e {
			sum += float64(v)
		}
	}
	return float64(logits[id]-mx) - math.Log(sum)
}

// workspace is the scratch memory of forward passes, grown to the
// largest batch seen and then reused, so that decoding allocates nothing
// per token. A workspace belongs to one goroutine.
type workspace struct {
	// qkv holds each row's query, key and value (width D+2·kv), gateUp
	// its gate and up projections (2·FFN), act the SwiGLU of them.
	x, h, qkv, att, gateUp, act []float32
	hx, logits                  []float32
	pick                        []int
	rows                        [][]float32
	// The per-row work between the products (rotary embedding, cache
	// writes, attention, the SwiGLU gate) runs as mat.Parallel loops;
	// pass describes the current layer to them, and each loop part
	// has its own scratch space.
	pass    pass
	scratch [maxParts]attnScratch
	// work counts the arithmetic of the passes run in this workspace.
	work Work
	// The loops' bodies, made once so that a loop allocates nothing.
	ropeFn, attendFn, gateFn func(part, lo, hi int)
}

// maxParts is the most goroutines a forward pass's loops use.
const maxParts = 8

// attnScratch is one loop part's scratch space for attention and the
// gate.
type attnScratch struct {
	scores, acc, key, exp []float32
}

// pass is what the loops of one layer of a forward pass read.
type pass struct {
	m      *Model
	chunks []chunk
	layer  int
	// first[i] is the first row of chunks[i]; rowChunk[r] the chunk of
	// row r.
	first, rowChunk []int
	scale           float32
}

// grow returns s resliced to n elements, reallocated only when its
// capacity is short. The contents are not kept.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// forward runs the decoder over all chunks at once: the matrix products
// cover every new token of every sequence in one call (a prompt's
// prefill and the batch's decoding steps alike), attention is per
// sequence against its cache. It returns logits for every new token
// when all is true, else only for the last token of each chunk; the rows
// live in ws and are valid until its next use.
func (m *Model) forward(ws *workspace, chunks []chunk, all bool) ([][]float32, error) {
	cfg := m.Config
	D, H, KV, Dh, F, V := cfg.Dim, cfg.Heads, cfg.KVHeads, cfg.HeadDim(), cfg.FFN, cfg.Vocab
	kvDim := KV * Dh
	R, maxLen, maxChunk := 0, 0, 0
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
		L := int64(len(ch.tokens))
		ws.work.Pairs += L*int64(ch.cache.n) + L*(L+1)/2
		maxLen = max(maxLen, ch.cache.n+len(ch.tokens))
		maxChunk = max(maxChunk, len(ch.tokens))
	}
	x, h, att := grow(ws.x, R*D), grow(ws.h, R*D), grow(ws.att, R*D)
	qkv, gateUp, act := grow(ws.qkv, R*(D+2*kvDim)), grow(ws.gateUp, R*2*F), grow(ws.act, R*F)
	ws.x, ws.h, ws.att, ws.qkv, ws.gateUp, ws.act = x, h, att, qkv, gateUp, act
	for i := range ws.scratch {
		sc := &ws.scratch[i]
		sc.scores, sc.acc, sc.key = grow(sc.scores, maxChunk*scoreWidth(maxLen, cfg.Context)), grow(sc.acc, Dh), grow(sc.key, Dh)
		sc.exp = grow(sc.exp, F)
	}
	ws.pass.m, ws.pass.chunks = m, chunks
	ws.pass.first, ws.pass.rowChunk = grow(ws.pass.first, len(chunks)), grow(ws.pass.rowChunk, R)
	ws.pass.scale = float32(1 / math.Sqrt(float64(Dh)))
	if ws.ropeFn == nil {
		ws.ropeFn, ws.attendFn, ws.gateFn = ws.ropeRows, ws.attendUnits, ws.gateRows
	}
	r := 0
	for i, ch := range chunks {
		ws.pass.first[i] = r
		for _, t := range ch.tokens {
			copy(x[r*D:(r+1)*D], m.embd[t*D:(t+1)*D])
			ws.pass.rowChunk[r] = i
			r++
		}
	}
	// Attention is split by (sequence, head) and the gate by rows, when
	// there is enough of it to pay for the hand-off: a single decoding
	// stream stays on this goroutine.
	units, work := len(chunks)*H, 0
	for _, ch := range chunks {
		work += len(ch.tokens) * (ch.cache.n + len(ch.tokens))
	}
	attnParts, gateParts := 1, 1
	if work*D >= parallelWork {
		attnParts = maxParts
	}
	if R*F >= parallelWork {
		gateParts = maxParts
	}
	for l, ly := range m.layers {
		ws.pass.layer = l
		rmsNorm(h, x, ly.attnNorm, D, cfg.NormEps)
		matmul(qkv, h, ly.qkv, R, 0)
		mat.Parallel(R, attnParts, ws.ropeFn)
		mat.Parallel(units, attnParts, ws.attendFn)
		matmul(x, att, ly.o, R, 1)
		rmsNorm(h, x, ly.ffnNorm, D, cfg.NormEps)
		matmul(gateUp, h, ly.gateUp, R, 0)
		mat.Parallel(R, gateParts, ws.gateFn)
		matmul(x, act, ly.down, R, 1)
	}
	for _, ch := range chunks {
		ch.cache.n += len(ch.tokens)
		ch.cache.toks = append(ch.cache.toks, ch.tokens...)
	}
	// Only the rows whose logits are wanted go through the output head.
	pick := ws.pick[:0]
	r = 0
	for _, ch := range chunks {
		for i := range ch.tokens {
			if all || i == len(ch.tokens)-1 {
				pick = append(pick, r)
			}
			r++
		}
	}
	ws.pick = pick
	ws.work.Tokens += int64(R)
	ws.work.Passes++
	ws.work.Logits += int64(len(pick))
	hx, logits := grow(ws.hx, len(pick)*D), grow(ws.logits, len(pick)*V)
	rows := grow(ws.rows, len(pick))
	ws.hx, ws.logits, ws.rows = hx, logits, rows
	for j, r := range pick {
		copy(hx[j*D:(j+1)*D], x[r*D:(r+1)*D])
	}
	rmsNorm(hx, hx, m.outNorm, D, cfg.NormEps)
	matmul(logits, hx, m.out, len(pick), 0)
	for j := range rows {
		rows[j] = logits[j*V : (j+1)*V : (j+1)*V]
	}
	return rows, nil
}

// Work is the arithmetic of forward passes, counted from their shapes:
// the positions run through the layers, the (query, key) pairs of
// attention and the rows through the output head. [Work.FLOPs] turns it
// into floating-point operations.
type Work struct {
	Tokens, Pairs, Logits int64
	// Passes counts the forward passes: Logits/Passes is how many
	// sequences a decoding step advanced on average.
	Passes int64
}

// FLOPs is the work's floating-point operations in model m (see
// [model.Config.FLOPs]).
func (w Work) FLOPs(m *Model) float64 { return m.Config.FLOPs(w.Tokens, w.Pairs, w.Logits) }

// parallelWork is the amount of per-row work (multiply-adds, about)
// from which a forward pass's loops are split across goroutines.
const parallelWork = 1 << 14

// ropeRows rotates rows lo..hi's queries and keys to their positions and
// appends their keys and values to their sequences' caches.
func (ws *workspace) ropeRows(_, lo, hi int) {
	ps := &ws.pass
	m := ps.m
	cfg := m.Config
	D, H, KV, Dh, ctx := cfg.Dim, cfg.Heads, cfg.KVHeads, cfg.HeadDim(), cfg.Context
	kvDim := KV * Dh
	W := D + 2*kvDim
	for r := lo; r < hi; r++ {
		ci := ps.rowChunk[r]
		c := ps.chunks[ci].cache
		pos := c.n + r - ps.first[ci]
		row := ws.qkv[r*W : (r+1)*W]
		qr, kr, vr := row[:D], row[D:D+kvDim], row[D+kvDim:]
		m.rotate(qr, pos, H)
		m.rotate(kr, pos, KV)
		if m.HalfKV {
			roundHalf(qr)
			roundHalf(kr)
			roundHalf(vr)
		}
		keys, values := c.k[ps.layer], c.v[ps.layer]
		for g := 0; g < KV; g++ {
			at := (g*ctx + pos) * Dh
			copy(values[at:at+Dh], vr[g*Dh:(g+1)*Dh])
			for d, kv := range kr[g*Dh : (g+1)*Dh] {
				keys[(g*Dh+d)*ctx+pos] = kv
			}
		}
	}
}

// attendUnits computes attention for units lo..hi, unit u being head u%H of
// sequence u/H: all of the sequence's new rows against its cache.
func (ws *workspace) attendUnits(part, lo, hi int) {
	ps := &ws.pass
	m := ps.m
	cfg := m.Config
	D, H, KV, Dh, ctx := cfg.Dim, cfg.Heads, cfg.KVHeads, cfg.HeadDim(), cfg.Context
	W := D + 2*KV*Dh // a row of qkv, whose first D columns are the query
	sc := &ws.scratch[part]
	for u := lo; u < hi; u++ {
		ci, hd := u/H, u%H
		ch := ps.chunks[ci]
		c, r := ch.cache, ps.first[ci]
		L, n := len(ch.tokens), c.n+len(ch.tokens)
		base := (hd / (H / KV)) * ctx * Dh
		keys, values := c.k[ps.layer][base:base+ctx*Dh], c.v[ps.layer][base:base+n*Dh]
		if !m.HalfKV {
			// The chunk's rows attend together, two products per head.
			attend(ws.att[r*D+hd*Dh:], D, ws.qkv[r*W+hd*Dh:], W, keys, ctx, values, L, n, Dh, ps.scale, sc.scores[:L*scoreWidth(n, ctx)])
			continue
		}
		for i := 0; i < L; i++ {
			row, qrow := (r+i)*D, (r+i)*W
			attendHalf(ws.att[row+hd*Dh:row+(hd+1)*Dh], ws.qkv[qrow+hd*Dh:qrow+(hd+1)*Dh], keys, ctx, values[:(c.n+i+1)*Dh], Dh, ps.scale, sc.acc, sc.key)
		}
	}
}

// gateRows sets rows lo..hi of act to SiLU(gate)·up.
func (ws *workspace) gateRows(part, lo, hi int) {
	F := ws.pass.m.Config.FFN
	e := ws.scratch[part].exp[:F]
	for r := lo; r < hi; r++ {
		gate, up, act := ws.gateUp[2*r*F:(2*r+1)*F], ws.gateUp[(2*r+1)*F:(2*r+2)*F], ws.act[r*F:(r+1)*F]
		for i, g := range gate {
			e[i] = -g
		}
		mat.Exp(e)
		for i, g := range gate {
			act[i] = g / (1 + e[i]) * up[i]
		}
	}
}

// matmul sets y (rows×out) to x (rows×in) · w (in×out) plus beta·y. One
// row is the matrix-vector case of a single decoding stream; several
// rows are a prefill or a batch of streams. Either way each row's result
// is the same bit for bit (internal/mat computes every row alike), so a
// stream decodes the same alone or batched.
func matmul(y, x []float32, w *mat.Packed, rows int, beta float32) {
	in, out := w.Dims()
	mat.SgemmPacked(rows, 1, x, in, w, beta, y, out)
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

// rotate rotates each head's interleaved pairs (x[2i], x[2i+1]) by the
// angle of pair i at position pos.
func (m *Model) rotate(x []float32, pos, heads int) {
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

// attend computes one head's causal attention for the L newest of n
// positions: row i of out (leading dimension ldo) is softmax(scale ·
// qᵢ·keysᵀ) · values over the first n-L+i+1 positions, where qᵢ is row
// i of q (leading dimension ldq), keysT holds the keys transposed (Dh
// rows of positions, leading dimension ldk) and values is n×Dh. Scores
// are one product and the weighted sum of values another, both reading
// the cache in place, with s (L×scoreWidth(n)) as scratch space; the weights of
// later positions are exact zeros, so every row is computed alike
// however many share the chunk.
func attend(out []float32, ldo int, q []float32, ldq int, keysT []float32, ldk int, values []float32, L, n, Dh int, scale float32, s []float32) {
	// The scores are computed for whole strips of 16 positions (the
	// cache's columns past n hold finite leftovers, never read), so
	// that the product reads the keys in place without packing a
	// partial strip.
	np := scoreWidth(n, ldk)
	mat.SgemmInPlace(L, np, Dh, scale, q, ldq, keysT, ldk, 0, s, np)
	for i := 0; i < L; i++ {
		row := s[i*np : i*np+n]
		valid := row[:n-L+i+1]
		mx := float32(math.Inf(-1))
		for _, v := range valid {
			mx = max(mx, v)
		}
		for t, v := range valid {
			valid[t] = v - mx
		}
		mat.Exp(valid)
		sum := float32(0)
		for _, e := range valid {
			sum += e
		}
		inv := 1 / sum
		for t := range valid {
			valid[t] *= inv
		}
		clear(row[len(valid):])
	}
	mat.SgemmInPlace(L, Dh, n, 1, s, np, values, Dh, 0, out, ldo)
}

// scoreWidth is the number of positions attention scores for n of them:
// n rounded up to a whole strip of 16, within the cache's length.
func scoreWidth(n, length int) int { return min(length, (n+15)/16*16) }

// attendHalf is [attend] computed as GGML's CPU flash attention does with
// an F16 cache: keys, values and the query rounded to float16, an online
// softmax over the positions in order, and the weighted sum of values
// accumulated in float16 (in acc, scratch space of length Dh; key is
// scratch space for one key, gathered from the transposed keysT).
func attendHalf(out, q, keysT []float32, ldk int, values []float32, Dh int, scale float32, acc, key []float32) {
	clear(acc)
	mx, sum := float32(math.Inf(-1)), float32(0)
	for t := 0; t*Dh < len(values); t++ {
		for d := range key {
			key[d] = keysT[d*ldk+t]
		}
		s := mat.Dot(q, key) * scale
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
		vt := values[t*Dh : (t+1)*Dh]
		for j := range acc {
			acc[j] = halfRound(acc[j] + vt[j]*vs)
		}
		sum = sum*ms + vs
	}
	inv := 1 / sum
	for j := range out {
		out[j] = acc[j] * inv
	}
}

// roundHalf rounds every element to the nearest float16 value.
func roundHalf(x []float32) {
	for i, v := range x {
		x[i] = halfRound(v)
	}
}
