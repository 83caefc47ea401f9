package hf

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model/modeltest"
	"github.com/spag-go/spag/rl/tokenizer"
)

// testCheckpoint is a small random model (see [modeltest.Small]) with
// sampling settings.
func testCheckpoint(t testing.TB, kvHeads int, dummy bool) *checkpoint.Checkpoint {
	t.Helper()
	v, p := modeltest.Small(t, dummy, kvHeads)
	return &checkpoint.Checkpoint{Vocab: v, Params: p, Sampling: []string{"temperature=0.3", "top_k=20", "max_bytes=200"}}
}

func exportTo(t testing.TB, c *checkpoint.Checkpoint) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "hf")
	if err := Export(dir, c); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRoundTrip exports and imports checkpoints and wants every weight
// bit for bit, the vocabulary and the sampling settings.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		kvHeads int
		dummy   bool
	}{
		{"mha", 4, true},
		{"gqa no dummy prefix", 2, false},
		{"one kv head", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testCheckpoint(t, tc.kvHeads, tc.dummy)
			got, err := Import(exportTo(t, c))
			if err != nil {
				t.Fatal(err)
			}
			if got.Params.Config != c.Params.Config {
				t.Fatalf("config %+v, want %+v", got.Params.Config, c.Params.Config)
			}
			for i, s := range c.Params.Config.ParamSpecs() {
				a, b := c.Params.Tensors[i].Data().([]float32), got.Params.Tensors[i].Data().([]float32)
				for j := range a {
					if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
						t.Fatalf("%s[%d] = %v, want %v", s.Name, j, b[j], a[j])
					}
				}
			}
			wv, _ := json.Marshal(c.Vocab)
			gv, _ := json.Marshal(got.Vocab)
			if !bytes.Equal(wv, gv) {
				t.Fatalf("vocabulary differs after the round trip")
			}
			if strings.Join(got.Sampling, " ") != strings.Join(c.Sampling, " ") {
				t.Fatalf("sampling %q, want %q", got.Sampling, c.Sampling)
			}
		})
	}
}

// TestRotaryLayout checks the q/k reordering on a known matrix: output
// column 2i (pair i's first element) of a native head becomes row i of
// the HF head, column 2i+1 row hd/2+i.
func TestRotaryLayout(t *testing.T) {
	const hd = 4
	m := tensorMap{hf: "q", transpose: true, ropeHeads: 2}
	// native (in=1, out=8): value = column index.
	native := []float32{0, 1, 2, 3, 4, 5, 6, 7}
	got := toHF(m, []int{1, 8}, native, hd).Data
	want := []float32{0, 2, 1, 3, 4, 6, 5, 7}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("rows %v, want %v", got, want)
		}
	}
}

// TestExportWritesTransformersLayout checks the files and names that
// transformers reads.
func TestExportWritesTransformersLayout(t *testing.T) {
	c := testCheckpoint(t, 2, true)
	dir := exportTo(t, c)
	var cfg map[string]any
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"hidden_size": 16.0, "intermediate_size": 24.0, "num_attention_heads": 4.0, "num_key_value_heads": 2.0,
		"num_hidden_layers": 2.0, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "max_position_embeddings": 32.0,
		"vocab_size": float64(c.Vocab.Size()), "tie_word_embeddings": false, "bos_token_id": 1.0, "eos_token_id": 2.0,
		"torch_dtype": "float32", "model_type": "llama",
	} {
		if cfg[k] != want {
			t.Errorf("config.json %s = %v, want %v", k, cfg[k], want)
		}
	}
	if a, _ := cfg["architectures"].([]any); len(a) != 1 || a[0] != Architecture {
		t.Errorf("architectures %v", cfg["architectures"])
	}
	var gen map[string]any
	b, _ = os.ReadFile(filepath.Join(dir, GenerationFile))
	json.Unmarshal(b, &gen)
	if gen["temperature"] != 0.3 || gen["top_k"] != 20.0 || gen["do_sample"] != true {
		t.Errorf("generation_config.json %v", gen)
	}
	ws, err := ReadSafetensors(filepath.Join(dir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"model.embed_tokens.weight", "model.layers.1.self_attn.k_proj.weight", "model.layers.0.mlp.down_proj.weight", "model.norm.weight", "lm_head.weight"} {
		if _, ok := ws[name]; !ok {
			t.Errorf("model.safetensors lacks %s", name)
		}
	}
	if s := ws["model.layers.1.self_attn.k_proj.weight"].Shape; s[0] != 8 || s[1] != 16 {
		t.Errorf("k_proj shape %v, want [8 16] (out, in)", s)
	}
	for _, f := range []string{TokenizerFile, TokenizerConfigFile, SpecialTokensMapFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestExportRefusesNonEmptyDirectory leaves the directory as it was.
func TestExportRefusesNonEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keep"), []byte("x"), 0o666)
	err := Export(dir, testCheckpoint(t, 4, true))
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("err = %v, want a not-empty refusal", err)
	}
	entries, _ := os.ReadDir(dir)
	parent, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 || len(parent) != 1 {
		t.Fatalf("export left files: %d in dir, %d beside it", len(entries), len(parent))
	}
	if err := Export(filepath.Join(dir, "missing", "hf"), testCheckpoint(t, 4, true)); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing parent: err = %v", err)
	}
}

// TestImportRefuses edits an exported directory into what the native
// model cannot represent and wants a clear error naming the problem.
func TestImportRefuses(t *testing.T) {
	editConfig := func(k string, v any) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			var cfg map[string]any
			b, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
			json.Unmarshal(b, &cfg)
			if v == nil {
				delete(cfg, k)
			} else {
				cfg[k] = v
			}
			b, _ = json.Marshal(cfg)
			if err := os.WriteFile(filepath.Join(dir, ConfigFile), b, 0o666); err != nil {
				t.Fatal(err)
			}
		}
	}
	editWeights := func(edit func(ws map[string]Tensor) []Tensor) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			ws, err := ReadSafetensors(filepath.Join(dir, WeightsFile))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteSafetensors(&buf, edit(ws), nil); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, WeightsFile), buf.Bytes(), 0o666)
		}
	}
	all := func(ws map[string]Tensor, skip string) []Tensor {
		var ts []Tensor
		for n, t := range ws {
			if n != skip {
				ts = append(ts, t)
			}
		}
		return ts
	}
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, dir string)
		want string
	}{
		{"other architecture", editConfig("architectures", []string{"MistralForCausalLM"}), "architectures"},
		{"biases", editConfig("attention_bias", true), "attention_bias"},
		{"rope scaling", editConfig("rope_scaling", map[string]any{"type": "linear", "factor": 2}), "rope_scaling"},
		{"gelu", editConfig("hidden_act", "gelu"), "hidden_act"},
		{"head_dim", editConfig("head_dim", 8), "head_dim"},
		{"vocabulary size", editConfig("vocab_size", 301), "vocab_size"},
		{"missing tensor", editWeights(func(ws map[string]Tensor) []Tensor { return all(ws, "model.layers.1.mlp.up_proj.weight") }), "no tensor model.layers.1.mlp.up_proj.weight"},
		{"extra tensor", editWeights(func(ws map[string]Tensor) []Tensor {
			return append(all(ws, ""), Tensor{Name: "model.layers.0.self_attn.q_proj.bias", Shape: []int{16}, Data: make([]float32, 16)})
		}), "q_proj.bias"},
		{"mismatched shape", editConfig("intermediate_size", 32), "shape [24 16]"},
		{"unsupported dtype", func(t *testing.T, dir string) {
			hdr := []byte(`{"model.embed_tokens.weight":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`)
			var buf bytes.Buffer
			binary.Write(&buf, binary.LittleEndian, uint64(len(hdr)))
			buf.Write(hdr)
			buf.Write([]byte{0, 0, 0, 0})
			os.WriteFile(filepath.Join(dir, WeightsFile), buf.Bytes(), 0o666)
		}, "is F16"},
		{"unigram tokenizer", func(t *testing.T, dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, TokenizerFile))
			var ts pbuf
			ts = ts.varint(fieldModelType, 1)
			b = pbuf(b).bytes(fieldTrainerSpec, ts) // a later field wins, as in protobuf
			os.WriteFile(filepath.Join(dir, TokenizerFile), b, 0o666)
		}, "model type 1"},
		{"no tokenizer.model", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, TokenizerFile)) }, "no tokenizer.model"},
		{"no weights", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, WeightsFile)) }, "no model.safetensors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := exportTo(t, testCheckpoint(t, 2, true))
			tc.edit(t, dir)
			_, err := Import(dir)
			if err == nil {
				t.Fatal("import accepted the directory")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("err = %v, want it to name %q and the directory", err, tc.want)
			}
		})
	}
}

// TestTiedEmbeddings imports a directory whose head is the embedding.
func TestTiedEmbeddings(t *testing.T) {
	dir := exportTo(t, testCheckpoint(t, 4, true))
	var cfg map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
	json.Unmarshal(b, &cfg)
	cfg["tie_word_embeddings"] = true
	b, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(dir, ConfigFile), b, 0o666)
	ws, _ := ReadSafetensors(filepath.Join(dir, WeightsFile))
	var ts []Tensor
	for n, t := range ws {
		if n != "lm_head.weight" {
			ts = append(ts, t)
		}
	}
	var buf bytes.Buffer
	WriteSafetensors(&buf, ts, nil)
	os.WriteFile(filepath.Join(dir, WeightsFile), buf.Bytes(), 0o666)
	c, err := Import(dir)
	if err != nil {
		t.Fatal(err)
	}
	emb := c.Params.Tensors[0].Data().([]float32)
	out := c.Params.Tensors[len(c.Params.Tensors)-1].Data().([]float32)
	dim, vocab := c.Params.Config.Dim, c.Params.Config.Vocab
	for v := 0; v < vocab; v++ {
		for d := 0; d < dim; d++ {
			if out[d*vocab+v] != emb[v*dim+d] {
				t.Fatalf("output[%d][%d] is not embedding[%d][%d]", d, v, v, d)
			}
		}
	}
}

func TestParseHeaderRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		size         uint64
		want         string
	}{
		{"not json", `{`, 0, "header"},
		{"unknown dtype", `{"a":{"dtype":"F7","shape":[1],"data_offsets":[0,1]}}`, 1, "unknown dtype"},
		{"size mismatch", `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4, "needs 8 bytes"},
		{"hole", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8, "starts at byte 4"},
		{"overlap", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8, "starts at byte 0"},
		{"short data", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8, "cover 4 bytes"},
		{"negative", `{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4, "negative"},
		{"overflow", `{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, 0, "overflows"},
		{"reversed", `{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, 0, "[begin, end]"},
		{"bad metadata", `{"__metadata__":{"format":1}}`, 0, "__metadata__"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseHeader([]byte(tc.header), tc.size)
			if !errors.Is(err, ErrSafetensors) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// FuzzParseHeader: the header parser never panics, and what it accepts
// lies inside the data, in order, without gaps.
func FuzzParseHeader(f *testing.F) {
	f.Add([]byte(`{"a":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}`), uint64(8))
	f.Add([]byte(`{"a":{"dtype":"BF16","shape":[],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[0],"data_offsets":[2,2]}}`), uint64(2))
	f.Add([]byte(`{}`), uint64(0))
	f.Fuzz(func(t *testing.T, header []byte, size uint64) {
		infos, _, err := ParseHeader(header, size)
		if err != nil {
			return
		}
		at := uint64(0)
		for _, ti := range infos {
			if ti.Begin != at || ti.End < ti.Begin || ti.End > size {
				t.Fatalf("accepted %+v at %d of %d", ti, at, size)
			}
			at = ti.End
		}
	})
}

// FuzzDecodeTokenizerModel: the protobuf reader never panics.
func FuzzDecodeTokenizerModel(f *testing.F) {
	corpus := []string{"a cat", "the dog"}
	v, err := tokenizer.Train(context.Background(), corpus, tokenizer.TrainOptions{VocabSize: 270})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(EncodeTokenizerModel(v))
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		DecodeTokenizerModel(data)
	})
}
