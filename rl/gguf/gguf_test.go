package gguf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/spag-go/spag/internal/ollamatest"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/model/modeltest"
	"github.com/spag-go/spag/rl/tokenizer"
)

// testModel is a small random model (see [modeltest.Small]).
func testModel(t testing.TB, dummy bool, kvHeads int) (*tokenizer.Vocab, *model.Params) {
	t.Helper()
	return modeltest.Small(t, dummy, kvHeads)
}

func encode(t testing.TB, v *tokenizer.Vocab, p *model.Params, typ Type) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, v, p, WriteOptions{Type: typ}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(t testing.TB, data []byte) (*File, *tokenizer.Vocab, *model.Params) {
	t.Helper()
	f, err := Parse(bytes.NewReader(data), int64(len(data)), "test.gguf")
	if err != nil {
		t.Fatal(err)
	}
	v, p, err := f.Model()
	if err != nil {
		t.Fatal(err)
	}
	return f, v, p
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		typ     Type
		dummy   bool
		kvHeads int
		tol     float64 // relative error allowed per weight
	}{
		{"f32", F32, true, 4, 0},
		{"f32 gqa no dummy prefix", F32, false, 2, 0},
		{"f16", F16, true, 1, 1.0 / 1024},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, p := testModel(t, tc.dummy, tc.kvHeads)
			f, v2, p2 := decode(t, encode(t, v, p, tc.typ))
			if p2.Config != p.Config {
				t.Fatalf("config %+v, want %+v", p2.Config, p.Config)
			}
			if v2.AddDummyPrefix() != tc.dummy || v2.Size() != v.Size() {
				t.Fatalf("vocab: dummy %v size %d, want %v %d", v2.AddDummyPrefix(), v2.Size(), tc.dummy, v.Size())
			}
			for id, pc := range v.Pieces() {
				if got, _ := v2.Piece(id); got != pc {
					t.Fatalf("piece %d: %+v, want %+v", id, got, pc)
				}
			}
			for i, s := range p.Config.ParamSpecs() {
				want, got := p.Tensors[i].Data().([]float32), p2.Tensors[i].Data().([]float32)
				tol := tc.tol
				if len(s.Shape) == 1 {
					tol = 0 // norms stay F32
				}
				for j := range want {
					if d := math.Abs(float64(got[j] - want[j])); d > tol*math.Abs(float64(want[j]))+tol*6e-5 /* half subnormals step 2^-24 */ {
						t.Fatalf("%s[%d] = %v, want %v", s.Name, j, got[j], want[j])
					}
				}
			}
			// The GGML layout: attn_q is stored as output rows.
			q, info, err := f.Tensor("blk.0.attn_q.weight")
			if err != nil {
				t.Fatal(err)
			}
			if info.Type != tc.typ || len(info.Dims) != 2 {
				t.Fatalf("attn_q info %+v", info)
			}
			w := p.Tensors[2].Data().([]float32) // (in, out)
			D := p.Config.Dim
			in, out := 3, 5
			if d := math.Abs(float64(q[out*D+in] - w[in*D+out])); d > 1e-2*math.Abs(float64(w[in*D+out]))+1e-9 {
				t.Fatalf("attn_q GGML row %d col %d = %v, native (in %d, out %d) = %v", out, in, q[out*D+in], in, out, w[in*D+out])
			}
			if got, _ := f.String("tokenizer.ggml.model"); got != "llama" {
				t.Fatalf("tokenizer.ggml.model %q", got)
			}
			if got := f.KV["tokenizer.ggml.add_space_prefix"]; got != tc.dummy {
				t.Fatalf("add_space_prefix %v, want %v", got, tc.dummy)
			}
		})
	}
}

func TestWriteFileIsAtomicAndReadable(t *testing.T) {
	v, p := testModel(t, true, 4)
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := WriteFile(path, v, p, WriteOptions{Type: F16, Name: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadFile(path); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("directory holds %d files, want only the GGUF", len(entries))
	}
	if err := WriteFile(filepath.Join(t.TempDir(), "no", "such", "dir.gguf"), v, p, WriteOptions{}); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}

// TestReadsOllamaTestModel reads the harness's independently written GGUF
// (F32, no add_space_prefix key, tied-free output).
func TestReadsOllamaTestModel(t *testing.T) {
	var buf bytes.Buffer
	if err := ollamatest.WriteGGUF(&buf, ollamatest.TinyModel{Seed: 3, Blocks: 2, HeadsKV: 2}); err != nil {
		t.Fatal(err)
	}
	_, v, p := decode(t, buf.Bytes())
	want := model.Config{Vocab: len(ollamatest.Vocabulary()), Dim: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 128, Context: 2048, NormEps: 1e-5, RopeTheta: 10000}
	if p.Config.Vocab != want.Vocab || p.Config.Dim != want.Dim || p.Config.KVHeads != 2 || p.Config.Layers != 2 || p.Config.FFN != 128 {
		t.Fatalf("config %+v, want %+v", p.Config, want)
	}
	if !v.AddDummyPrefix() {
		t.Fatal("a file without add_space_prefix must default to llama.cpp's dummy prefix")
	}
	if ids := v.Encode("ab"); len(ids) != 3 {
		t.Fatalf("Encode(ab) = %v, want ▁ a b", ids)
	}
}

// q8File rewrites every matrix of an F32 file as Q8_0, as a quantiser would.
func q8File(t *testing.T, v *tokenizer.Vocab, p *model.Params) ([]byte, []float32) {
	t.Helper()
	data := encode(t, v, p, F32)
	f, _, _ := decode(t, data)
	var out bytes.Buffer
	e := &encoder{w: bufioWriter(&out)}
	e.raw([]byte(Magic))
	e.u32(Version)
	e.u64(uint64(len(f.Tensors)))
	e.u64(uint64(len(f.KV)))
	for _, k := range []string{"general.architecture", "llama.context_length", "llama.embedding_length", "llama.block_count",
		"llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv",
		"tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"} {
		e.str(k)
		e.value(f.KV[k])
	}
	// Pad the count of keys: write the remaining keys as they were.
	written := 11
	for k, val := range f.KV {
		switch k {
		case "general.architecture", "llama.context_length", "llama.embedding_length", "llama.block_count",
			"llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv",
			"tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type":
			continue
		}
		e.str(k)
		e.value(val)
		written++
	}
	if written != len(f.KV) {
		t.Fatalf("wrote %d keys of %d", written, len(f.KV))
	}
	var blobs [][]byte
	var firstQ []float32
	offset := uint64(0)
	for _, ti := range f.Tensors {
		vals, _, err := f.Tensor(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		typ := F32
		var b bytes.Buffer
		if len(ti.Dims) == 2 {
			typ = Q8_0
			for blk := 0; blk < len(vals)/q8Block; blk++ {
				x := vals[blk*q8Block : (blk+1)*q8Block]
				amax := float32(0)
				for _, v := range x {
					amax = max(amax, float32(math.Abs(float64(v))))
				}
				d := amax / 127
				binary.Write(&b, binary.LittleEndian, toHalf(d))
				for _, v := range x {
					q := int8(0)
					if d != 0 {
						q = int8(math.Round(float64(v / d)))
					}
					b.WriteByte(byte(q))
				}
			}
		} else {
			for _, v := range vals {
				binary.Write(&b, binary.LittleEndian, math.Float32bits(v))
			}
		}
		if ti.Name == "blk.0.attn_q.weight" {
			firstQ = vals
		}
		e.str(ti.Name)
		e.u32(uint32(len(ti.Dims)))
		for _, d := range ti.Dims {
			e.u64(d)
		}
		e.u32(uint32(typ))
		e.u64(offset)
		offset = align(offset+uint64(b.Len()), DefaultAlignment)
		blobs = append(blobs, b.Bytes())
	}
	e.pad(DefaultAlignment)
	for _, b := range blobs {
		e.raw(b)
		e.pad(DefaultAlignment)
	}
	e.w.Flush()
	if e.err != nil {
		t.Fatal(e.err)
	}
	return out.Bytes(), firstQ
}

func TestReadQ8_0(t *testing.T) {
	v, p := testModel(t, true, 4)
	data, q := q8File(t, v, p)
	f, _, p2 := decode(t, data)
	got, info, err := f.Tensor("blk.0.attn_q.weight")
	if err != nil || info.Type != Q8_0 {
		t.Fatalf("tensor type %v, err %v", info.Type, err)
	}
	amax := 0.0
	for _, x := range q {
		amax = math.Max(amax, math.Abs(float64(x)))
	}
	for i := range q {
		// One quantisation step is amax/127 per block at most.
		if d := math.Abs(float64(got[i] - q[i])); d > amax/127 {
			t.Fatalf("dequantised [%d] = %v, want %v ± %v", i, got[i], q[i], amax/127)
		}
	}
	if p2.Config != p.Config {
		t.Fatalf("config %+v", p2.Config)
	}
}

func TestHalf(t *testing.T) {
	for _, tc := range []struct {
		f    float32
		bits uint16
	}{
		{0, 0x0000}, {1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {1e6, 0x7c00},
		{float32(math.Inf(-1)), 0xfc00}, {5.960464477539063e-08, 0x0001}, {6.097555160522461e-05, 0x03ff},
		{0.333251953125, 0x3555}, {1.00048828125, 0x3c00 /* ties to even */}, {1.00146484375, 0x3c02},
	} {
		if got := toHalf(tc.f); got != tc.bits {
			t.Errorf("toHalf(%v) = %#04x, want %#04x", tc.f, got, tc.bits)
		}
		if tc.f != 1e6 && tc.f != 1.00048828125 && tc.f != 1.00146484375 {
			if got := fromHalf(tc.bits); got != tc.f {
				t.Errorf("fromHalf(%#04x) = %v, want %v", tc.bits, got, tc.f)
			}
		}
	}
	if !math.IsNaN(float64(fromHalf(toHalf(float32(math.NaN()))))) {
		t.Error("NaN does not survive")
	}
	// Every finite half converts to float32 and back exactly.
	for h := 0; h < 0x10000; h++ {
		if h&0x7c00 == 0x7c00 {
			continue
		}
		if got := toHalf(fromHalf(uint16(h))); got != uint16(h) && !(h == 0x8000 && got == 0x8000) {
			t.Fatalf("half %#04x round-trips to %#04x", h, got)
		}
	}
}

func TestReadErrors(t *testing.T) {
	v, p := testModel(t, true, 4)
	good := encode(t, v, p, F32)
	other := bytes.Replace(good, []byte("llama"), []byte("gpt2x"), 1) // general.architecture
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"bad magic", append([]byte("GGUX"), good[4:]...), ErrFormat},
		{"truncated header", good[:100], ErrFormat},
		{"truncated tensors", good[:len(good)-64], ErrFormat},
		{"other architecture", other, ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(bytes.NewReader(tc.data), int64(len(tc.data)), "x.gguf")
			if err == nil {
				_, _, err = f.Model()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	if _, _, err := ReadFile(filepath.Join(t.TempDir(), "missing.gguf")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if err := Write(&bytes.Buffer{}, v, p, WriteOptions{Type: Q8_0}); err == nil {
		t.Fatal("writing Q8_0 succeeded")
	}
}

func FuzzParse(f *testing.F) {
	v, p := testModel(f, true, 4)
	f.Add(encode(f, v, p, F16))
	f.Add([]byte("GGUF\x03\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(bytes.NewReader(data), int64(len(data)), "fuzz.gguf")
		if err != nil {
			return
		}
		g.Model() // must not panic
	})
}

func bufioWriter(w *bytes.Buffer) *bufio.Writer { return bufio.NewWriter(w) }

// TestWriteLeavesOutScoreHead: a reward model with a scalar head exports
// its language model, which servers can read; the head stays behind.
func TestWriteLeavesOutScoreHead(t *testing.T) {
	v, p := testModel(t, true, 4)
	_, _, p2 := decode(t, encode(t, v, model.WithScoreHead(p, 1), F32))
	if p2.Config != p.Config || len(p2.Tensors) != len(p.Tensors) {
		t.Fatalf("config %+v with %d tensors, want %+v with %d", p2.Config, len(p2.Tensors), p.Config, len(p.Tensors))
	}
}
