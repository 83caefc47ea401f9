package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// WriteOptions configures [Write].
type WriteOptions struct {
	// Type is the element type of the matrices: F32 (the zero value) or
	// F16. Norm gains (vectors) are always F32, as llama.cpp expects.
	Type Type
	// Name is general.name; empty means "spag".
	Name string
}

// Write writes the model and its tokenizer as a GGUF v3 file. The
// metadata declares a SentencePiece ("llama") tokenizer whose
// add_space_prefix equals vocab.AddDummyPrefix(), with BOS added and EOS
// not, which is how the native trainer frames every sequence.
func Write(w io.Writer, vocab *tokenizer.Vocab, p *model.Params, opt WriteOptions) error {
	if opt.Type != F32 && opt.Type != F16 {
		return fmt.Errorf("write gguf: tensor type %v: choose F32 or F16", opt.Type)
	}
	cfg := p.Config
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("write gguf: %w", err)
	}
	if cfg.Vocab != vocab.Size() {
		return fmt.Errorf("write gguf: model vocabulary %d differs from the tokenizer's %d pieces", cfg.Vocab, vocab.Size())
	}
	specs := cfg.ParamSpecs()
	if len(p.Tensors) != len(specs) {
		return fmt.Errorf("write gguf: %d tensors, the model needs %d", len(p.Tensors), len(specs))
	}
	if cfg.ScoreHead {
		// The scalar head is not part of the llama architecture that
		// servers read: export the language model, whose tensors come first.
		specs = specs[:len(specs)-2]
		cfg.ScoreHead = false
	}
	name := opt.Name
	if name == "" {
		name = "spag"
	}
	fileType := uint32(0) // all F32
	if opt.Type == F16 {
		fileType = 1 // mostly F16
	}

	pieces := vocab.Pieces()
	tokens := make([]string, len(pieces))
	scores := make([]float32, len(pieces))
	types := make([]int32, len(pieces))
	for i, pc := range pieces {
		tokens[i], scores[i], types[i] = pc.Text, pc.Score, int32(pc.Type)
	}
	kvs := []kv{
		{"general.architecture", "llama"},
		{"general.name", name},
		{"general.file_type", fileType},
		{"general.alignment", uint32(DefaultAlignment)},
		{"llama.vocab_size", uint32(cfg.Vocab)},
		{"llama.context_length", uint32(cfg.Context)},
		{"llama.embedding_length", uint32(cfg.Dim)},
		{"llama.block_count", uint32(cfg.Layers)},
		{"llama.feed_forward_length", uint32(cfg.FFN)},
		{"llama.attention.head_count", uint32(cfg.Heads)},
		{"llama.attention.head_count_kv", uint32(cfg.KVHeads)},
		{"llama.attention.layer_norm_rms_epsilon", float32(cfg.NormEps)},
		{"llama.rope.freq_base", float32(cfg.RopeTheta)},
		{"llama.rope.dimension_count", uint32(cfg.HeadDim())},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.scores", scores},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.bos_token_id", uint32(tokenizer.BOSID)},
		{"tokenizer.ggml.eos_token_id", uint32(tokenizer.EOSID)},
		{"tokenizer.ggml.unknown_token_id", uint32(tokenizer.UnkID)},
		{"tokenizer.ggml.add_bos_token", true},
		{"tokenizer.ggml.add_eos_token", false},
		{"tokenizer.ggml.add_space_prefix", vocab.AddDummyPrefix()},
	}

	// Tensor table: GGML dims run fastest first, so a (rows, cols) matrix
	// in row-major order has dims [cols, rows].
	type entry struct {
		spec   model.ParamSpec
		dims   []uint64
		typ    Type
		offset uint64
		data   []float32
		trans  bool
	}
	entries := make([]entry, len(specs))
	offset := uint64(0)
	for i, s := range specs {
		e := entry{spec: s, typ: opt.Type}
		e.data = float32s(p.Tensors[i].Data())
		if e.data == nil {
			return fmt.Errorf("write gguf: tensor %s holds %T, want float32 or float64", s.Name, p.Tensors[i].Data())
		}
		switch len(s.Shape) {
		case 1:
			e.dims, e.typ = []uint64{uint64(s.Shape[0])}, F32
		case 2:
			in, out := uint64(s.Shape[0]), uint64(s.Shape[1])
			if s.Name == "token_embd.weight" {
				// (vocab, dim) rows are already GGML's layout.
				e.dims = []uint64{out, in}
			} else {
				e.dims, e.trans = []uint64{in, out}, true
			}
		default:
			return fmt.Errorf("write gguf: tensor %s has %d dimensions", s.Name, len(s.Shape))
		}
		e.offset = offset
		n, _ := e.typ.size(uint64(len(e.data)))
		offset = align(offset+n, DefaultAlignment)
		entries[i] = e
	}

	ew := &encoder{w: bufio.NewWriterSize(w, 1<<20)}
	ew.raw([]byte(Magic))
	ew.u32(Version)
	ew.u64(uint64(len(entries)))
	ew.u64(uint64(len(kvs)))
	for _, p := range kvs {
		ew.str(p.key)
		ew.value(p.value)
	}
	for _, e := range entries {
		ew.str(e.spec.Name)
		ew.u32(uint32(len(e.dims)))
		for _, d := range e.dims {
			ew.u64(d)
		}
		ew.u32(uint32(e.typ))
		ew.u64(e.offset)
	}
	ew.pad(DefaultAlignment)
	var row []float32
	for _, e := range entries {
		if !e.trans {
			ew.tensor(e.typ, e.data)
		} else {
			// Write GGML row j (output j) as column j of the (in, out) matrix.
			in, out := e.spec.Shape[0], e.spec.Shape[1]
			row = append(row[:0], make([]float32, in)...)
			for j := 0; j < out; j++ {
				for i := 0; i < in; i++ {
					row[i] = e.data[i*out+j]
				}
				ew.tensor(e.typ, row)
			}
		}
		ew.pad(DefaultAlignment)
	}
	if ew.err == nil {
		ew.err = ew.w.Flush()
	}
	if ew.err != nil {
		return fmt.Errorf("write gguf: %w", ew.err)
	}
	return nil
}

// WriteFile writes the GGUF file atomically: a reader (or a crash) sees
// the old file or the whole new one.
func WriteFile(path string, vocab *tokenizer.Vocab, p *model.Params, opt WriteOptions) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		if err := Write(w, vocab, p, opt); err != nil {
			return fmt.Errorf("%w (file %s)", err, path)
		}
		return nil
	})
}

// float32s returns the tensor data as float32 (a copy for float64 data,
// the backing slice itself for float32), or nil for other types.
func float32s(data any) []float32 {
	switch d := data.(type) {
	case []float32:
		return d
	case []float64:
		out := make([]float32, len(d))
		for i, v := range d {
			out[i] = float32(v)
		}
		return out
	}
	return nil
}

func align(n, a uint64) uint64 { return (n + a - 1) / a * a }

// kv is one metadata entry; value is one of the Go types [encoder.value]
// writes.
type kv struct {
	key   string
	value any
}

// encoder writes little-endian GGUF values, keeping the first error and
// the number of bytes written (for padding).
type encoder struct {
	w   *bufio.Writer
	n   uint64
	err error
	buf [8]byte
}

func (e *encoder) raw(b []byte) {
	if e.err != nil {
		return
	}
	var n int
	n, e.err = e.w.Write(b)
	e.n += uint64(n)
}

func (e *encoder) u8(v uint8) { e.raw([]byte{v}) }
func (e *encoder) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.buf[:2], v)
	e.raw(e.buf[:2])
}
func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:4], v)
	e.raw(e.buf[:4])
}
func (e *encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:8], v)
	e.raw(e.buf[:8])
}
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.raw([]byte(s))
}

func (e *encoder) pad(a uint64) {
	if p := align(e.n, a) - e.n; p > 0 {
		e.raw(make([]byte, p))
	}
}

// value writes a typed metadata value.
func (e *encoder) value(v any) {
	switch v := v.(type) {
	case uint32:
		e.u32(valUint32)
		e.u32(v)
	case float32:
		e.u32(valFloat32)
		e.u32(math.Float32bits(v))
	case bool:
		e.u32(valBool)
		if v {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case string:
		e.u32(valString)
		e.str(v)
	case []string:
		e.u32(valArray)
		e.u32(valString)
		e.u64(uint64(len(v)))
		for _, s := range v {
			e.str(s)
		}
	case []float32:
		e.u32(valArray)
		e.u32(valFloat32)
		e.u64(uint64(len(v)))
		for _, f := range v {
			e.u32(math.Float32bits(f))
		}
	case []int32:
		e.u32(valArray)
		e.u32(valInt32)
		e.u64(uint64(len(v)))
		for _, x := range v {
			e.u32(uint32(x))
		}
	default:
		if e.err == nil {
			e.err = fmt.Errorf("metadata value of type %T", v)
		}
	}
}

// tensor writes data as type t (F32 or F16).
func (e *encoder) tensor(t Type, data []float32) {
	for _, f := range data {
		if t == F16 {
			e.u16(toHalf(f))
		} else {
			e.u32(math.Float32bits(f))
		}
	}
}
