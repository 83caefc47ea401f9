package native

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// testModel returns a random model over a small trained tokenizer.
func testModel(t testing.TB, kvHeads int) *Model {
	t.Helper()
	corpus := []string{"the cat sat on the mat", "a dog and a cat", "clues without the word", "I know the word: it is cat"}
	v, err := tokenizer.Train(context.Background(), corpus, tokenizer.TrainOptions{VocabSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	cfg := model.Config{Vocab: v.Size(), Dim: 32, Layers: 2, Heads: 4, KVHeads: kvHeads, FFN: 48, Context: 64, NormEps: 1e-5, RopeTheta: 10000}
	p, err := model.Init(cfg, 11)
	if err != nil {
		t.Fatal(err)
	}
	// Larger weights than Init's make the distribution far from uniform,
	// so that a layout mistake cannot hide.
	for _, ts := range p.Tensors {
		d := ts.Data().([]float32)
		for i := range d {
			d[i] *= 8
		}
	}
	m, err := NewModel(v, p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMatchesGraphModel checks the plain-Go forward pass against rl/model's
// gorgonia graph on the same weights.
func TestMatchesGraphModel(t *testing.T) {
	for _, kv := range []int{4, 2, 1} {
		m := testModel(t, kv)
		rng := rand.New(rand.NewPCG(1, 2))
		const T = 20
		toks := make([]int, T+1)
		toks[0] = tokenizer.BOSID
		for i := 1; i <= T; i++ {
			toks[i] = rng.IntN(m.Config.Vocab)
		}
		p := paramsOf(t, m)
		r, err := model.NewRunner(p, 1, T, false)
		if err != nil {
			t.Fatal(err)
		}
		_, want, err := r.Run(toks[:T], toks[1:], nil)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Score(toks)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i := range want {
			worst = math.Max(worst, math.Abs(got[i]-want[i]))
		}
		t.Logf("kv heads %d: max |native - graph| logp = %.2g (logp[0] %.3f)", kv, worst, want[0])
		if worst > 1e-4 {
			t.Fatalf("kv heads %d: native and graph log-probabilities differ by %g", kv, worst)
		}
	}
}

// paramsOf rebuilds rl/model params from a Model's weights.
func paramsOf(t testing.TB, m *Model) *model.Params {
	t.Helper()
	p, err := model.Init(m.Config, 0)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]float32{"token_embd.weight": m.embd, "output_norm.weight": m.outNorm, "output.weight": m.out.Unpack()}
	D, kv, F := m.Config.Dim, m.Config.KVHeads*m.Config.HeadDim(), m.Config.FFN
	for l, ly := range m.layers {
		qkv, gateUp := ly.qkv.Unpack(), ly.gateUp.Unpack()
		for s, w := range map[string][]float32{"attn_norm": ly.attnNorm, "attn_q": columns(qkv, D+2*kv, 0, D),
			"attn_k": columns(qkv, D+2*kv, D, D+kv), "attn_v": columns(qkv, D+2*kv, D+kv, D+2*kv),
			"attn_output": ly.o.Unpack(), "ffn_norm": ly.ffnNorm, "ffn_gate": columns(gateUp, 2*F, 0, F),
			"ffn_up": columns(gateUp, 2*F, F, 2*F), "ffn_down": ly.down.Unpack()} {
			byName["blk."+itoa(l)+"."+s+".weight"] = w
		}
	}
	for i, s := range m.Config.ParamSpecs() {
		copy(p.Tensors[i].Data().([]float32), byName[s.Name])
	}
	return p
}

// columns returns columns j0..j1 of a row-major matrix of the given width.
func columns(m []float32, width, j0, j1 int) []float32 {
	var out []float32
	for r := 0; r+width <= len(m); r += width {
		out = append(out, m[r+j0:r+j1]...)
	}
	return out
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestIncrementalAndBatchedAgree checks that token-by-token decoding with
// the cache and batched decoding of several sequences give the logits of
// one full pass.
func TestIncrementalAndBatchedAgree(t *testing.T) {
	m := testModel(t, 2)
	seqs := [][]int{{1, 300 - 1, 5, 77, 12, 9}, {1, 40, 41}, {1, 8, 8, 8, 8, 8, 8, 8, 100}}
	full := make([][][]float32, len(seqs))
	for i, s := range seqs {
		var err error
		if full[i], err = m.Forward(m.NewCache(), s); err != nil {
			t.Fatal(err)
		}
	}
	caches := make([]*Cache, len(seqs))
	for i := range caches {
		caches[i] = m.NewCache()
	}
	// Prefill the first two tokens of every sequence in one batch, then
	// decode one token per sequence per step, batched.
	var chunks []chunk
	for i, s := range seqs {
		chunks = append(chunks, chunk{caches[i], s[:2]})
	}
	ws := new(workspace)
	rows, err := m.forward(ws, chunks, false)
	if err != nil {
		t.Fatal(err)
	}
	check := func(i, pos int, row []float32) {
		t.Helper()
		for j := range row {
			if d := math.Abs(float64(row[j] - full[i][pos][j])); d > 1e-4 {
				t.Fatalf("seq %d pos %d logit %d: %v, full pass %v", i, pos, j, row[j], full[i][pos][j])
			}
		}
	}
	for i := range seqs {
		check(i, 1, rows[i])
	}
	for pos := 2; ; pos++ {
		chunks, idx := chunks[:0], []int{}
		for i, s := range seqs {
			if pos < len(s) {
				chunks = append(chunks, chunk{caches[i], s[pos : pos+1]})
				idx = append(idx, i)
			}
		}
		if len(chunks) == 0 {
			break
		}
		rows, err := m.forward(ws, chunks, false)
		if err != nil {
			t.Fatal(err)
		}
		for j, i := range idx {
			check(i, pos, rows[j])
		}
	}
}

func TestForwardErrors(t *testing.T) {
	m := testModel(t, 4)
	long := make([]int, m.Config.Context+1)
	for _, tc := range []struct {
		name string
		toks []int
	}{
		{"too long", long},
		{"negative id", []int{1, -1}},
		{"id past vocabulary", []int{1, m.Config.Vocab}},
		{"empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := m.Forward(m.NewCache(), tc.toks); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// TestDecodeAllocs checks that a decoding step, one stream or a batch,
// allocates nothing once its workspace has grown: the small preset's
// shape, whose output head is large enough to be split across cores.
func TestDecodeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	cfg, err := model.Preset("small")
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Init(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	pieces := make([]tokenizer.Piece, 0, cfg.Vocab)
	base, err := tokenizer.Train(context.Background(), nil, tokenizer.TrainOptions{VocabSize: tokenizer.NumReserved + 1})
	if err != nil {
		t.Fatal(err)
	}
	pieces = append(pieces, base.Pieces()...)
	for i := len(pieces); i < cfg.Vocab; i++ {
		pieces = append(pieces, tokenizer.Piece{Text: "p" + strconv.Itoa(i), Score: -float32(i), Type: tokenizer.Normal})
	}
	v, err := tokenizer.New(pieces, true)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(v, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, streams := range []int{1, 8} {
		ws, chunks := new(workspace), decodeChunks(m, streams)
		step := func() {
			for i := range chunks {
				chunks[i].cache.Truncate(10)
			}
			if _, err := m.forward(ws, chunks, false); err != nil {
				t.Fatal(err)
			}
		}
		for range 11 { // fill the caches past the truncation point
			if _, err := m.forward(ws, chunks, false); err != nil {
				t.Fatal(err)
			}
		}
		if n := testing.AllocsPerRun(20, step); n != 0 {
			t.Errorf("%d streams: %v allocations per decoding step, want 0", streams, n)
		}
	}
}

// TestHalfKV checks the float16 cache path (which Ollama parity tests
// use against a real server) against the float32 one on the same
// weights: close log-probabilities, not the same bits. testModel's
// weights are scaled up, so float16's rounding moves them by about 0.1
// (0.12 measured, before and after the cache's layout changed).
func TestHalfKV(t *testing.T) {
	m := testModel(t, 2)
	toks := []int{1, 40, 41, 8, 77, 12, 9, 100, 5, 8}
	want, err := m.Score(toks)
	if err != nil {
		t.Fatal(err)
	}
	m.HalfKV = true
	got, err := m.Score(toks)
	if err != nil {
		t.Fatal(err)
	}
	worst, same := 0.0, true
	for i := range want {
		worst = math.Max(worst, math.Abs(got[i]-want[i]))
		same = same && got[i] == want[i]
	}
	t.Logf("max |half - float32| logp = %.2g", worst)
	if worst > 0.25 || same {
		t.Fatalf("float16 cache: log-probabilities differ by %g from float32 (identical: %v)", worst, same)
	}
}

// decodeChunks is one decoding step's chunks for streams sequences with
// fresh caches: one token each, different for each.
func decodeChunks(m *Model, streams int) []chunk {
	chunks := make([]chunk, streams)
	for i := range chunks {
		chunks[i] = chunk{m.NewCache(), []int{300 + i}}
	}
	return chunks
}
