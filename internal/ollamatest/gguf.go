package ollamatest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// TinyModel describes a random-weight llama model small enough to load and
// answer in milliseconds on a CPU. Its output is gibberish: tests use it
// for structure (token counts, log-probabilities, determinism, errors),
// never for wording.
type TinyModel struct {
	// Embedding is the hidden size; Heads must divide it. 0 means 64.
	Embedding int
	// Blocks is the number of transformer blocks; 0 means 1.
	Blocks int
	// FeedForward is the MLP width; 0 means 2*Embedding.
	FeedForward int
	// Heads and HeadsKV are the attention heads; 0 means 4 and Heads.
	Heads, HeadsKV int
	// Context is the trained context length; 0 means 2048.
	Context int
	// Seed drives the random weights.
	Seed uint64
}

func (m TinyModel) withDefaults() TinyModel {
	if m.Embedding == 0 {
		m.Embedding = 64
	}
	if m.Blocks == 0 {
		m.Blocks = 1
	}
	if m.FeedForward == 0 {
		m.FeedForward = 2 * m.Embedding
	}
	if m.Heads == 0 {
		m.Heads = 4
	}
	if m.HeadsKV == 0 {
		m.HeadsKV = m.Heads
	}
	if m.Context == 0 {
		m.Context = 2048
	}
	return m
}

// Vocabulary returns the model's tokens: <unk>, <s>, </s>, the 256 byte
// tokens (without them the llama.cpp tokenizer crashes on characters it
// does not know), then "▁" and the letters a to z.
func Vocabulary() []string {
	toks := []string{"<unk>", "<s>", "</s>"}
	for b := 0; b < 256; b++ {
		toks = append(toks, fmt.Sprintf("<0x%02X>", b))
	}
	toks = append(toks, "▁")
	for c := 'a'; c <= 'z'; c++ {
		toks = append(toks, string(c))
	}
	return toks
}

// GGUF value types (gguf.md in the ggml repository).
const (
	ggufUint32  = 4
	ggufInt32   = 5
	ggufFloat32 = 6
	ggufBool    = 7
	ggufString  = 8
	ggufArray   = 9
)

const ggufAlignment = 32

type ggufTensor struct {
	name string
	dims []uint64 // ggml order: first dimension varies fastest
}

func (t ggufTensor) elements() uint64 {
	n := uint64(1)
	for _, d := range t.dims {
		n *= d
	}
	return n
}

// WriteGGUF writes m as a GGUF version 3 file with float32 tensors and a
// SentencePiece ("llama") tokenizer over [Vocabulary].
func WriteGGUF(w io.Writer, m TinyModel) error {
	m = m.withDefaults()
	if m.Embedding%m.Heads != 0 || m.Heads%m.HeadsKV != 0 {
		return fmt.Errorf("tiny model: %d heads (%d kv) do not divide embedding %d", m.Heads, m.HeadsKV, m.Embedding)
	}
	vocab := Vocabulary()
	E, V, F := uint64(m.Embedding), uint64(len(vocab)), uint64(m.FeedForward)
	kv := E / uint64(m.Heads) * uint64(m.HeadsKV)

	bw := bufio.NewWriter(w)
	e := &ggufWriter{w: bw}
	tensors := []ggufTensor{
		{"token_embd.weight", []uint64{E, V}},
		{"output_norm.weight", []uint64{E}},
		{"output.weight", []uint64{E, V}},
	}
	for b := 0; b < m.Blocks; b++ {
		p := fmt.Sprintf("blk.%d.", b)
		tensors = append(tensors,
			ggufTensor{p + "attn_norm.weight", []uint64{E}},
			ggufTensor{p + "attn_q.weight", []uint64{E, E}},
			ggufTensor{p + "attn_k.weight", []uint64{E, kv}},
			ggufTensor{p + "attn_v.weight", []uint64{E, kv}},
			ggufTensor{p + "attn_output.weight", []uint64{E, E}},
			ggufTensor{p + "ffn_norm.weight", []uint64{E}},
			ggufTensor{p + "ffn_gate.weight", []uint64{E, F}},
			ggufTensor{p + "ffn_up.weight", []uint64{E, F}},
			ggufTensor{p + "ffn_down.weight", []uint64{F, E}},
		)
	}

	scores := make([]float32, len(vocab))
	types := make([]int32, len(vocab))
	for i, t := range vocab {
		switch {
		case i == 0:
			types[i] = 2 // unknown
		case i < 3:
			types[i] = 3 // control
		case len(t) == 6 && t[:3] == "<0x":
			types[i] = 6 // byte
		default:
			types[i] = 1 // normal
			scores[i] = -float32(i)
		}
	}

	type kvPair struct {
		key   string
		write func()
	}
	u32 := func(v int) func() { return func() { e.u32(ggufUint32); e.u32(uint32(v)) } }
	f32 := func(v float32) func() { return func() { e.u32(ggufFloat32); e.f32(v) } }
	str := func(v string) func() { return func() { e.u32(ggufString); e.str(v) } }
	kvs := []kvPair{
		{"general.architecture", str("llama")},
		{"general.name", str("spag-tiny")},
		{"general.file_type", u32(0)},
		{"llama.context_length", u32(m.Context)},
		{"llama.embedding_length", u32(m.Embedding)},
		{"llama.block_count", u32(m.Blocks)},
		{"llama.feed_forward_length", u32(m.FeedForward)},
		{"llama.attention.head_count", u32(m.Heads)},
		{"llama.attention.head_count_kv", u32(m.HeadsKV)},
		{"llama.attention.layer_norm_rms_epsilon", f32(1e-5)},
		{"llama.rope.freq_base", f32(10000)},
		{"llama.rope.dimension_count", u32(m.Embedding / m.Heads)},
		{"llama.vocab_size", u32(len(vocab))},
		{"tokenizer.ggml.model", str("llama")},
		{"tokenizer.ggml.tokens", func() {
			e.u32(ggufArray)
			e.u32(ggufString)
			e.u64(uint64(len(vocab)))
			for _, t := range vocab {
				e.str(t)
			}
		}},
		{"tokenizer.ggml.scores", func() {
			e.u32(ggufArray)
			e.u32(ggufFloat32)
			e.u64(uint64(len(scores)))
			for _, s := range scores {
				e.f32(s)
			}
		}},
		{"tokenizer.ggml.token_type", func() {
			e.u32(ggufArray)
			e.u32(ggufInt32)
			e.u64(uint64(len(types)))
			for _, t := range types {
				e.u32(uint32(t))
			}
		}},
		{"tokenizer.ggml.bos_token_id", u32(1)},
		{"tokenizer.ggml.eos_token_id", u32(2)},
		{"tokenizer.ggml.unknown_token_id", u32(0)},
		{"tokenizer.ggml.add_bos_token", func() { e.u32(ggufBool); e.u8(1) }},
		{"tokenizer.ggml.add_eos_token", func() { e.u32(ggufBool); e.u8(0) }},
	}

	e.raw([]byte("GGUF"))
	e.u32(3)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(kvs)))
	for _, p := range kvs {
		e.str(p.key)
		p.write()
	}
	offset := uint64(0)
	for _, t := range tensors {
		e.str(t.name)
		e.u32(uint32(len(t.dims)))
		for _, d := range t.dims {
			e.u64(d)
		}
		e.u32(0) // GGML_TYPE_F32
		e.u64(offset)
		offset = align(offset+4*t.elements(), ggufAlignment)
	}
	e.pad(ggufAlignment)

	rng := rand.New(rand.NewPCG(m.Seed, 0x5ba6))
	for _, t := range tensors {
		n := t.elements()
		norm := len(t.dims) == 1 // RMS norm weights start at 1
		for i := uint64(0); i < n; i++ {
			if norm {
				e.f32(1)
			} else {
				e.f32(float32(rng.NormFloat64() * 0.5))
			}
		}
		e.pad(ggufAlignment)
	}
	if e.err != nil {
		return fmt.Errorf("write gguf: %w", e.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write gguf: %w", err)
	}
	return nil
}

func align(n, a uint64) uint64 { return (n + a - 1) / a * a }

// ggufWriter writes little-endian values, keeping the first error and the
// offset (for padding).
type ggufWriter struct {
	w   io.Writer
	n   uint64
	err error
	buf [8]byte
}

func (e *ggufWriter) raw(b []byte) {
	if e.err != nil {
		return
	}
	var n int
	n, e.err = e.w.Write(b)
	e.n += uint64(n)
}

func (e *ggufWriter) u8(v uint8) { e.raw([]byte{v}) }
func (e *ggufWriter) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:4], v)
	e.raw(e.buf[:4])
}
func (e *ggufWriter) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:8], v)
	e.raw(e.buf[:8])
}
func (e *ggufWriter) f32(v float32) { e.u32(math.Float32bits(v)) }
func (e *ggufWriter) str(s string) {
	e.u64(uint64(len(s)))
	e.raw([]byte(s))
}
func (e *ggufWriter) pad(a uint64) {
	if p := align(e.n, a) - e.n; p > 0 {
		e.raw(make([]byte, p))
	}
}
