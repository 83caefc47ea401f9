package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
	"gorgonia.org/tensor"
)

// TensorInfo is one entry of a file's tensor table.
type TensorInfo struct {
	Name string
	// Dims are GGML's dimensions, fastest-varying first.
	Dims []uint64
	Type Type
	// Offset is the position of the data relative to the data section.
	Offset uint64
}

// Elements is the number of scalars in the tensor.
func (t TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// File is a parsed GGUF file: its metadata and tensor table, with the
// tensor data read on demand from the underlying reader.
type File struct {
	Version uint32
	// KV holds the metadata. Scalars are uint8, int8, uint16, int16,
	// uint32, int32, uint64, int64, float32, float64, bool or string;
	// arrays are []string, []float32, []int32, []uint32 or []any.
	KV      map[string]any
	Tensors []TensorInfo

	r         io.ReaderAt
	name      string
	dataStart int64
	size      int64
}

// limits against hostile files: a count above these is a corrupt header.
const (
	maxCount  = 1 << 24
	maxString = 1 << 26
	maxDims   = 4
)

// Parse reads the header and tensor table of the GGUF data in r (size
// bytes long); name is used in errors.
func Parse(r io.ReaderAt, size int64, name string) (*File, error) {
	d := &decoder{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<16)}
	fail := func(what string, err error) (*File, error) {
		if err == nil {
			err = d.err
		}
		return nil, fmt.Errorf("read gguf %s: %s at byte %d: %w", name, what, d.n, err)
	}
	if m := d.bytes(4); d.err != nil || string(m) != Magic {
		return nil, fmt.Errorf("read gguf %s: %w: bad magic (want %q)", name, ErrFormat, Magic)
	}
	f := &File{KV: map[string]any{}, r: r, name: name, size: size}
	f.Version = d.u32()
	if d.err == nil && (f.Version < 2 || f.Version > Version) {
		return nil, fmt.Errorf("read gguf %s: %w: version %d (this reader knows 2 and 3)", name, ErrUnsupported, f.Version)
	}
	nTensors, nKV := d.u64(), d.u64()
	if d.err != nil {
		return fail("header", nil)
	}
	if nTensors > maxCount || nKV > maxCount {
		return fail("header", fmt.Errorf("%w: %d tensors and %d metadata keys", ErrFormat, nTensors, nKV))
	}
	for i := uint64(0); i < nKV; i++ {
		key := d.str()
		v := d.value(d.u32(), 0)
		if d.err != nil {
			return fail(fmt.Sprintf("metadata %d (%q)", i, key), nil)
		}
		f.KV[key] = v
	}
	for i := uint64(0); i < nTensors; i++ {
		t := TensorInfo{Name: d.str()}
		nd := d.u32()
		if d.err == nil && (nd < 1 || nd > maxDims) {
			return fail("tensor "+t.Name, fmt.Errorf("%w: %d dimensions", ErrFormat, nd))
		}
		for j := uint32(0); j < nd && d.err == nil; j++ {
			t.Dims = append(t.Dims, d.u64())
		}
		t.Type = Type(d.u32())
		t.Offset = d.u64()
		if d.err != nil {
			return fail("tensor table", nil)
		}
		f.Tensors = append(f.Tensors, t)
	}
	alignment := uint64(DefaultAlignment)
	if a, ok := f.KV["general.alignment"]; ok {
		v, ok := asUint(a)
		if !ok || v == 0 || v&(v-1) != 0 {
			return fail("general.alignment", fmt.Errorf("%w: %v is not a power of two", ErrFormat, a))
		}
		alignment = v
	}
	f.dataStart = int64(align(d.n, alignment))
	for _, t := range f.Tensors {
		n, err := t.Type.size(t.Elements())
		if err != nil {
			continue // reported when the tensor is read
		}
		if end := uint64(f.dataStart) + t.Offset + n; end > uint64(size) || t.Offset > uint64(size) {
			return nil, fmt.Errorf("read gguf %s: %w: tensor %s ends at byte %d, past the end of the file (%d bytes); is the file truncated?", name, ErrFormat, t.Name, end, size)
		}
	}
	return f, nil
}

// Open parses the GGUF file at path. The caller must Close it.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read gguf: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("read gguf: %w", err)
	}
	f, err := Parse(fh, st.Size(), path)
	if err != nil {
		fh.Close()
		return nil, err
	}
	return f, nil
}

// Close closes the underlying file when the File came from [Open].
func (f *File) Close() error {
	if c, ok := f.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Tensor returns the tensor's elements as float32 in GGML order
// (dequantising Q8_0, widening F16).
func (f *File) Tensor(name string) ([]float32, TensorInfo, error) {
	var info TensorInfo
	found := false
	for _, t := range f.Tensors {
		if t.Name == name {
			info, found = t, true
			break
		}
	}
	if !found {
		return nil, info, fmt.Errorf("read gguf %s: %w: no tensor %s", f.name, ErrUnsupported, name)
	}
	n := info.Elements()
	size, err := info.Type.size(n)
	if err != nil {
		return nil, info, fmt.Errorf("read gguf %s: tensor %s: %w (native import reads F32, F16 and Q8_0)", f.name, name, err)
	}
	raw := make([]byte, size)
	if _, err := f.r.ReadAt(raw, f.dataStart+int64(info.Offset)); err != nil {
		return nil, info, fmt.Errorf("read gguf %s: tensor %s: %w", f.name, name, err)
	}
	out := make([]float32, n)
	switch info.Type {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case F16:
		for i := range out {
			out[i] = fromHalf(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	case Q8_0:
		for b := 0; b < len(out)/q8Block; b++ {
			blk := raw[b*(2+q8Block):]
			scale := fromHalf(binary.LittleEndian.Uint16(blk))
			for j := 0; j < q8Block; j++ {
				out[b*q8Block+j] = scale * float32(int8(blk[2+j]))
			}
		}
	}
	return out, info, nil
}

// String returns the metadata value key as a string; ok is false when it
// is missing or not a string.
func (f *File) String(key string) (string, bool) {
	s, ok := f.KV[key].(string)
	return s, ok
}

// Uint returns an unsigned integer metadata value (any integer type).
func (f *File) Uint(key string) (uint64, bool) { return asUint(f.KV[key]) }

// Float returns a float metadata value (float32 or float64); a float32
// is widened through its shortest decimal form.
func (f *File) Float(key string) (float64, bool) {
	switch v := f.KV[key].(type) {
	case float32:
		// The shortest decimal that reads back as v: 1e-5 stays 1e-5
		// rather than becoming 9.9999997e-06.
		d, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
		return d, true
	case float64:
		return v, true
	}
	return 0, false
}

func asUint(v any) (uint64, bool) {
	switch v := v.(type) {
	case uint8:
		return uint64(v), true
	case uint16:
		return uint64(v), true
	case uint32:
		return uint64(v), true
	case uint64:
		return v, true
	case int8:
		return uint64(v), v >= 0
	case int16:
		return uint64(v), v >= 0
	case int32:
		return uint64(v), v >= 0
	case int64:
		return uint64(v), v >= 0
	}
	return 0, false
}

// Config reads the llama hyper-parameters into a native model
// configuration.
func (f *File) Config() (model.Config, error) {
	var c model.Config
	if arch, _ := f.String("general.architecture"); arch != "llama" {
		return c, fmt.Errorf("read gguf %s: %w: architecture %q (the native model is llama)", f.name, ErrUnsupported, arch)
	}
	need := func(key string) int {
		v, _ := f.Uint("llama." + key) // presence is checked below
		return int(v)
	}
	var missing []string
	for _, k := range []string{"embedding_length", "block_count", "feed_forward_length", "attention.head_count", "context_length"} {
		if _, ok := f.Uint("llama." + k); !ok {
			missing = append(missing, "llama."+k)
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("read gguf %s: %w: missing %s", f.name, ErrFormat, strings.Join(missing, ", "))
	}
	c.Dim, c.Layers, c.FFN = need("embedding_length"), need("block_count"), need("feed_forward_length")
	c.Heads, c.Context = need("attention.head_count"), need("context_length")
	c.KVHeads = c.Heads
	if v, ok := f.Uint("llama.attention.head_count_kv"); ok {
		c.KVHeads = int(v)
	}
	toks, _ := f.KV["tokenizer.ggml.tokens"].([]string)
	c.Vocab = len(toks)
	c.NormEps = 1e-5
	if v, ok := f.Float("llama.attention.layer_norm_rms_epsilon"); ok {
		c.NormEps = v
	}
	c.RopeTheta = 10000
	if v, ok := f.Float("llama.rope.freq_base"); ok {
		c.RopeTheta = v
	}
	if v, ok := f.Uint("llama.rope.dimension_count"); ok && c.Heads > 0 && int(v) != c.Dim/c.Heads {
		return c, fmt.Errorf("read gguf %s: %w: rotary embedding on %d of %d head dimensions", f.name, ErrUnsupported, v, c.Dim/c.Heads)
	}
	if v, ok := f.Float("llama.rope.scaling.factor"); ok && v != 1 && v != 0 {
		return c, fmt.Errorf("read gguf %s: %w: rope scaling factor %v", f.name, ErrUnsupported, v)
	}
	if v, ok := f.Uint("llama.attention.key_length"); ok && c.Heads > 0 && int(v) != c.Dim/c.Heads {
		return c, fmt.Errorf("read gguf %s: %w: key length %d differs from dim/heads %d", f.name, ErrUnsupported, v, c.Dim/c.Heads)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("read gguf %s: %w: %v", f.name, ErrUnsupported, err)
	}
	return c, nil
}

// Vocab reads the SentencePiece tokenizer. It must have the native
// layout: <unk>, <s>, </s>, then the 256 byte tokens, then learned pieces
// (as llama and llama 2 models do).
func (f *File) Vocab() (*tokenizer.Vocab, error) {
	if m, _ := f.String("tokenizer.ggml.model"); m != "llama" {
		return nil, fmt.Errorf("read gguf %s: %w: tokenizer %q (the native tokenizer is SentencePiece, \"llama\")", f.name, ErrUnsupported, m)
	}
	toks, ok := f.KV["tokenizer.ggml.tokens"].([]string)
	if !ok {
		return nil, fmt.Errorf("read gguf %s: %w: tokenizer.ggml.tokens missing or not strings", f.name, ErrFormat)
	}
	scores, _ := f.KV["tokenizer.ggml.scores"].([]float32)
	types, _ := f.KV["tokenizer.ggml.token_type"].([]int32)
	if scores != nil && len(scores) != len(toks) || types != nil && len(types) != len(toks) {
		return nil, fmt.Errorf("read gguf %s: %w: %d tokens, %d scores, %d token types", f.name, ErrFormat, len(toks), len(scores), len(types))
	}
	for key, want := range map[string]uint64{"bos_token_id": tokenizer.BOSID, "eos_token_id": tokenizer.EOSID} {
		if v, ok := f.Uint("tokenizer.ggml." + key); ok && v != want {
			return nil, fmt.Errorf("read gguf %s: %w: tokenizer.ggml.%s is %d, the native tokenizer needs %d", f.name, ErrUnsupported, key, v, want)
		}
	}
	pieces := make([]tokenizer.Piece, len(toks))
	for i, t := range toks {
		pieces[i] = tokenizer.Piece{Text: t, Type: tokenizer.Normal}
		if scores != nil {
			pieces[i].Score = scores[i]
		}
		if types != nil {
			pieces[i].Type = tokenizer.PieceType(types[i])
		}
	}
	dummy := true // llama.cpp's default for SentencePiece vocabularies
	if v, ok := f.KV["tokenizer.ggml.add_space_prefix"].(bool); ok {
		dummy = v
	}
	v, err := tokenizer.New(pieces, dummy)
	if err != nil {
		return nil, fmt.Errorf("read gguf %s: %w: %v", f.name, ErrUnsupported, err)
	}
	return v, nil
}

// Model converts the file into the native tokenizer and float32 weights.
// A file without output.weight ties the output head to the token
// embedding, as llama.cpp does.
func (f *File) Model() (*tokenizer.Vocab, *model.Params, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, nil, err
	}
	vocab, err := f.Vocab()
	if err != nil {
		return nil, nil, err
	}
	specs := cfg.ParamSpecs()
	known := map[string]bool{}
	for _, s := range specs {
		known[s.Name] = true
	}
	var extra []string
	for _, t := range f.Tensors {
		if !known[t.Name] && t.Name != "rope_freqs.weight" {
			extra = append(extra, t.Name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, nil, fmt.Errorf("read gguf %s: %w: tensors the llama model does not have: %s", f.name, ErrUnsupported, strings.Join(extra, ", "))
	}
	p := &model.Params{Config: cfg}
	for _, s := range specs {
		data, info, err := f.Tensor(s.Name)
		tied := false
		if err != nil && s.Name == "output.weight" {
			data, info, err = f.Tensor("token_embd.weight")
			tied = true
		}
		if err != nil {
			return nil, nil, err
		}
		var want []uint64
		switch {
		case len(s.Shape) == 1:
			want = []uint64{uint64(s.Shape[0])}
		case s.Name == "token_embd.weight" || tied:
			want = []uint64{uint64(cfg.Dim), uint64(cfg.Vocab)}
		default:
			want = []uint64{uint64(s.Shape[0]), uint64(s.Shape[1])}
		}
		if fmt.Sprint(info.Dims) != fmt.Sprint(want) {
			return nil, nil, fmt.Errorf("read gguf %s: %w: tensor %s has GGML dims %v, the configuration needs %v", f.name, ErrFormat, info.Name, info.Dims, want)
		}
		if len(s.Shape) == 2 && s.Name != "token_embd.weight" {
			// GGML rows are outputs; the native model stores (in, out).
			in, out := s.Shape[0], s.Shape[1]
			t := make([]float32, len(data))
			for j := 0; j < out; j++ {
				row := data[j*in : (j+1)*in]
				for i, v := range row {
					t[i*out+j] = v
				}
			}
			data = t
		}
		p.Tensors = append(p.Tensors, tensor.New(tensor.WithShape(s.Shape...), tensor.WithBacking(data)))
	}
	return vocab, p, nil
}

// ReadFile reads the llama-architecture GGUF file at path (an Ollama blob,
// for example) into the native tokenizer and weights.
func ReadFile(path string) (*tokenizer.Vocab, *model.Params, error) {
	f, err := Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return f.Model()
}

// decoder reads little-endian GGUF values, keeping the first error and the
// number of bytes consumed.
type decoder struct {
	r   *bufio.Reader
	n   uint64
	err error
	buf [8]byte
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	b := make([]byte, n)
	k, err := io.ReadFull(d.r, b)
	d.n += uint64(k)
	if err != nil {
		d.err = fmt.Errorf("%w: truncated (%v)", ErrFormat, err)
		return nil
	}
	return b
}

func (d *decoder) fixed(n int) []byte {
	if d.err != nil {
		return d.buf[:n]
	}
	k, err := io.ReadFull(d.r, d.buf[:n])
	d.n += uint64(k)
	if err != nil {
		d.err = fmt.Errorf("%w: truncated (%v)", ErrFormat, err)
		clear(d.buf[:])
	}
	return d.buf[:n]
}

func (d *decoder) u8() uint8   { return d.fixed(1)[0] }
func (d *decoder) u16() uint16 { return binary.LittleEndian.Uint16(d.fixed(2)) }
func (d *decoder) u32() uint32 { return binary.LittleEndian.Uint32(d.fixed(4)) }
func (d *decoder) u64() uint64 { return binary.LittleEndian.Uint64(d.fixed(8)) }

func (d *decoder) str() string {
	n := d.u64()
	if d.err != nil {
		return ""
	}
	if n > maxString {
		d.err = fmt.Errorf("%w: string of %d bytes", ErrFormat, n)
		return ""
	}
	return string(d.bytes(int(n)))
}

// value reads one metadata value of type typ; arrays nest at most once.
func (d *decoder) value(typ uint32, depth int) any {
	switch typ {
	case valUint8:
		return d.u8()
	case valInt8:
		return int8(d.u8())
	case valUint16:
		return d.u16()
	case valInt16:
		return int16(d.u16())
	case valUint32:
		return d.u32()
	case valInt32:
		return int32(d.u32())
	case valFloat32:
		return math.Float32frombits(d.u32())
	case valBool:
		return d.u8() != 0
	case valString:
		return d.str()
	case valUint64:
		return d.u64()
	case valInt64:
		return int64(d.u64())
	case valFloat64:
		return math.Float64frombits(d.u64())
	case valArray:
		et, n := d.u32(), d.u64()
		if d.err != nil {
			return nil
		}
		if n > maxCount || depth > 0 && et == valArray {
			d.err = fmt.Errorf("%w: array of %d elements of type %d", ErrFormat, n, et)
			return nil
		}
		switch et {
		case valString:
			out := make([]string, 0, min(n, 1<<16))
			for i := uint64(0); i < n && d.err == nil; i++ {
				out = append(out, d.str())
			}
			return out
		case valFloat32:
			out := make([]float32, 0, min(n, 1<<16))
			for i := uint64(0); i < n && d.err == nil; i++ {
				out = append(out, math.Float32frombits(d.u32()))
			}
			return out
		case valInt32:
			out := make([]int32, 0, min(n, 1<<16))
			for i := uint64(0); i < n && d.err == nil; i++ {
				out = append(out, int32(d.u32()))
			}
			return out
		case valUint32:
			out := make([]uint32, 0, min(n, 1<<16))
			for i := uint64(0); i < n && d.err == nil; i++ {
				out = append(out, d.u32())
			}
			return out
		}
		out := make([]any, 0, min(n, 1<<16))
		for i := uint64(0); i < n && d.err == nil; i++ {
			out = append(out, d.value(et, depth+1))
		}
		return out
	}
	if d.err == nil {
		d.err = fmt.Errorf("%w: metadata value type %d", ErrFormat, typ)
	}
	return nil
}
