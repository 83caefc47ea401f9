// Package hf writes spag's native model as a Hugging Face llama directory
// (the layout the transformers library saves and loads) and reads such a
// directory back, so that PyTorch trainers can start from a spag model and
// spag can play what they return.
//
// A directory holds config.json (LlamaForCausalLM with transformers' field
// names), model.safetensors (float32 weights under transformers' tensor
// names), generation_config.json (the checkpoint's sampling defaults),
// tokenizer.model (a SentencePiece ModelProto that the sentencepiece
// library loads and that encodes as spag's tokenizer does),
// tokenizer_config.json and special_tokens_map.json.
//
// Layout: the native model stores matrices (in, out) and rotates
// interleaved pairs (x[2i], x[2i+1]) of each head (GGML's llama RoPE);
// transformers stores (out, in) and rotates halves (x[i], x[i+d/2]),
// "rotate_half". Export transposes every matrix but the token embedding
// and reorders the output rows of q_proj and k_proj within each head so
// that pair i lands on rows i and i+d/2; import undoes both, so a round
// trip is bit-exact.
//
// The package depends on rl/model, rl/tokenizer and rl/checkpoint; it
// knows nothing about commands or trainers.
package hf

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gorgonia.org/tensor"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// File names of a Hugging Face model directory.
const (
	ConfigFile           = "config.json"
	WeightsFile          = "model.safetensors"
	GenerationFile       = "generation_config.json"
	TokenizerFile        = "tokenizer.model"
	TokenizerConfigFile  = "tokenizer_config.json"
	SpecialTokensMapFile = "special_tokens_map.json"
)

// Architecture is the transformers class spag reads and writes.
const Architecture = "LlamaForCausalLM"

// ErrUnsupported reports a directory whose model the native model cannot
// represent (another architecture, biases, rope scaling, a vocabulary of
// another layout, missing or misshapen tensors).
var ErrUnsupported = errors.New("unsupported Hugging Face model")

// Config is config.json, with transformers' LlamaConfig field names.
type Config struct {
	Architectures         []string        `json:"architectures"`
	ModelType             string          `json:"model_type"`
	HiddenSize            int             `json:"hidden_size"`
	IntermediateSize      int             `json:"intermediate_size"`
	NumAttentionHeads     int             `json:"num_attention_heads"`
	NumKeyValueHeads      int             `json:"num_key_value_heads"`
	NumHiddenLayers       int             `json:"num_hidden_layers"`
	HeadDim               int             `json:"head_dim,omitempty"`
	RMSNormEps            float64         `json:"rms_norm_eps"`
	RopeTheta             float64         `json:"rope_theta"`
	RopeScaling           json.RawMessage `json:"rope_scaling"`
	MaxPositionEmbeddings int             `json:"max_position_embeddings"`
	VocabSize             int             `json:"vocab_size"`
	TieWordEmbeddings     bool            `json:"tie_word_embeddings"`
	BOSTokenID            int             `json:"bos_token_id"`
	EOSTokenID            int             `json:"eos_token_id"`
	HiddenAct             string          `json:"hidden_act"`
	AttentionBias         bool            `json:"attention_bias"`
	MLPBias               bool            `json:"mlp_bias"`
	PretrainingTP         int             `json:"pretraining_tp"`
	InitializerRange      float64         `json:"initializer_range"`
	UseCache              bool            `json:"use_cache"`
	TorchDtype            string          `json:"torch_dtype"`
	TransformersVersion   string          `json:"transformers_version,omitempty"`
}

// transformersVersion is the release whose LlamaConfig fields Config
// writes (head_dim and mlp_bias appeared in 4.41 and 4.42).
const transformersVersion = "4.44.0"

// ModelConfig converts a native configuration to config.json.
func ModelConfig(c model.Config) Config {
	return Config{
		Architectures:         []string{Architecture},
		ModelType:             "llama",
		HiddenSize:            c.Dim,
		IntermediateSize:      c.FFN,
		NumAttentionHeads:     c.Heads,
		NumKeyValueHeads:      c.KVHeads,
		NumHiddenLayers:       c.Layers,
		HeadDim:               c.HeadDim(),
		RMSNormEps:            c.NormEps,
		RopeTheta:             c.RopeTheta,
		RopeScaling:           json.RawMessage("null"),
		MaxPositionEmbeddings: c.Context,
		VocabSize:             c.Vocab,
		TieWordEmbeddings:     false, // the native model has its own output matrix
		BOSTokenID:            tokenizer.BOSID,
		EOSTokenID:            tokenizer.EOSID,
		HiddenAct:             "silu",
		PretrainingTP:         1,
		InitializerRange:      0.02,
		UseCache:              true,
		TorchDtype:            "float32",
		TransformersVersion:   transformersVersion,
	}
}

// Native checks that config.json describes a model the native one
// represents and returns its configuration. Errors name the field.
func (h Config) Native() (model.Config, error) {
	bad := func(format string, a ...any) (model.Config, error) {
		return model.Config{}, fmt.Errorf("%w: %s: %s", ErrUnsupported, ConfigFile, fmt.Sprintf(format, a...))
	}
	if len(h.Architectures) != 1 || h.Architectures[0] != Architecture {
		return bad("architectures %q, spag reads [%q] only", h.Architectures, Architecture)
	}
	if h.ModelType != "" && h.ModelType != "llama" {
		return bad("model_type %q, want \"llama\"", h.ModelType)
	}
	if h.HiddenAct != "" && h.HiddenAct != "silu" {
		return bad("hidden_act %q, the native model's feed-forward is SwiGLU (\"silu\")", h.HiddenAct)
	}
	if h.AttentionBias || h.MLPBias {
		return bad("attention_bias/mlp_bias are set, the native model has no biases")
	}
	if s := strings.TrimSpace(string(h.RopeScaling)); s != "" && s != "null" {
		return bad("rope_scaling %s, the native model has plain rotary embedding", s)
	}
	if h.PretrainingTP > 1 {
		return bad("pretraining_tp %d, want 1", h.PretrainingTP)
	}
	if h.NumKeyValueHeads == 0 {
		h.NumKeyValueHeads = h.NumAttentionHeads // LlamaConfig's default
	}
	c := model.Config{
		Vocab: h.VocabSize, Dim: h.HiddenSize, Layers: h.NumHiddenLayers,
		Heads: h.NumAttentionHeads, KVHeads: h.NumKeyValueHeads, FFN: h.IntermediateSize,
		Context: h.MaxPositionEmbeddings, NormEps: h.RMSNormEps, RopeTheta: h.RopeTheta,
	}
	if err := c.Validate(); err != nil {
		return bad("%v", err)
	}
	if h.HeadDim != 0 && h.HeadDim != c.HeadDim() {
		return bad("head_dim %d, the native model's heads are hidden_size/num_attention_heads = %d wide", h.HeadDim, c.HeadDim())
	}
	if h.BOSTokenID != tokenizer.BOSID || h.EOSTokenID != tokenizer.EOSID {
		return bad("bos_token_id %d and eos_token_id %d, spag's vocabulary has <s> %d and </s> %d", h.BOSTokenID, h.EOSTokenID, tokenizer.BOSID, tokenizer.EOSID)
	}
	return c, nil
}

// tensorMap is how one native tensor is stored in model.safetensors.
type tensorMap struct {
	native, hf string
	// transpose: a matrix stored (in, out) natively and (out, in) by
	// PyTorch; the token embedding is (vocab, dim) in both.
	transpose bool
	// ropeHeads is the number of heads whose output rows are reordered
	// from interleaved pairs to halves (q and k projections), else 0.
	ropeHeads int
}

// tensorMaps lists the llama tensors of c in [model.Config.ParamSpecs]
// order (without a scalar head).
func tensorMaps(c model.Config) []tensorMap {
	ms := []tensorMap{{native: "token_embd.weight", hf: "model.embed_tokens.weight"}}
	for l := 0; l < c.Layers; l++ {
		n, h := fmt.Sprintf("blk.%d.", l), fmt.Sprintf("model.layers.%d.", l)
		ms = append(ms,
			tensorMap{native: n + "attn_norm.weight", hf: h + "input_layernorm.weight"},
			tensorMap{native: n + "attn_q.weight", hf: h + "self_attn.q_proj.weight", transpose: true, ropeHeads: c.Heads},
			tensorMap{native: n + "attn_k.weight", hf: h + "self_attn.k_proj.weight", transpose: true, ropeHeads: c.KVHeads},
			tensorMap{native: n + "attn_v.weight", hf: h + "self_attn.v_proj.weight", transpose: true},
			tensorMap{native: n + "attn_output.weight", hf: h + "self_attn.o_proj.weight", transpose: true},
			tensorMap{native: n + "ffn_norm.weight", hf: h + "post_attention_layernorm.weight"},
			tensorMap{native: n + "ffn_gate.weight", hf: h + "mlp.gate_proj.weight", transpose: true},
			tensorMap{native: n + "ffn_up.weight", hf: h + "mlp.up_proj.weight", transpose: true},
			tensorMap{native: n + "ffn_down.weight", hf: h + "mlp.down_proj.weight", transpose: true},
		)
	}
	return append(ms,
		tensorMap{native: "output_norm.weight", hf: "model.norm.weight"},
		tensorMap{native: "output.weight", hf: "lm_head.weight", transpose: true})
}

// ropeRow maps row r of an HF q/k projection (rotate_half layout, heads
// of width hd) to the native output column (interleaved pairs): within a
// head, row i < hd/2 is the first element of pair i (column 2i) and row
// hd/2+i its second (column 2i+1).
func ropeRow(r, hd int) int {
	h, j := r/hd, r%hd
	if j < hd/2 {
		return h*hd + 2*j
	}
	return h*hd + 2*(j-hd/2) + 1
}

// toHF lays a native (in, out) matrix out as PyTorch's (out, in) rows.
func toHF(m tensorMap, shape []int, data []float32, hd int) Tensor {
	if !m.transpose {
		return Tensor{Name: m.hf, Shape: append([]int{}, shape...), Data: append([]float32{}, data...)}
	}
	in, out := shape[0], shape[1]
	t := Tensor{Name: m.hf, Shape: []int{out, in}, Data: make([]float32, in*out)}
	for r := 0; r < out; r++ {
		col := r
		if m.ropeHeads > 0 {
			col = ropeRow(r, hd)
		}
		for i := 0; i < in; i++ {
			t.Data[r*in+i] = data[i*out+col]
		}
	}
	return t
}

// fromHF is toHF's inverse: native data of the given native shape.
func fromHF(m tensorMap, shape []int, t Tensor, hd int) []float32 {
	if !m.transpose {
		return append([]float32{}, t.Data...)
	}
	in, out := shape[0], shape[1]
	data := make([]float32, in*out)
	for r := 0; r < out; r++ {
		col := r
		if m.ropeHeads > 0 {
			col = ropeRow(r, hd)
		}
		for i := 0; i < in; i++ {
			data[i*out+col] = t.Data[r*in+i]
		}
	}
	return data
}

// GenerationConfig is generation_config.json: the decoding defaults
// transformers' generate() uses. Temperature, TopP and TopK carry the
// checkpoint's sampling settings that transformers knows; SpagSampling
// keeps all of them as the native player's key=value options, so that
// import restores them exactly (transformers ignores unknown keys).
type GenerationConfig struct {
	BOSTokenID          int      `json:"bos_token_id"`
	EOSTokenID          int      `json:"eos_token_id"`
	DoSample            bool     `json:"do_sample,omitempty"`
	Temperature         *float64 `json:"temperature,omitempty"`
	TopP                *float64 `json:"top_p,omitempty"`
	TopK                *int     `json:"top_k,omitempty"`
	SpagSampling        []string `json:"spag_sampling,omitempty"`
	TransformersVersion string   `json:"transformers_version,omitempty"`
}

// generationConfig translates a checkpoint's sampling settings.
func generationConfig(sampling []string) (GenerationConfig, error) {
	g := GenerationConfig{BOSTokenID: tokenizer.BOSID, EOSTokenID: tokenizer.EOSID, SpagSampling: sampling, TransformersVersion: transformersVersion}
	for _, kv := range sampling {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return g, fmt.Errorf("sampling setting %q is not key=value", kv)
		}
		switch k {
		case "temperature", "top_p":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return g, fmt.Errorf("sampling setting %q: %w", kv, err)
			}
			if k == "temperature" {
				g.Temperature = &f
			} else {
				g.TopP = &f
			}
		case "top_k":
			n, err := strconv.Atoi(v)
			if err != nil {
				return g, fmt.Errorf("sampling setting %q: %w", kv, err)
			}
			g.TopK = &n
		}
	}
	g.DoSample = g.Temperature == nil || *g.Temperature > 0
	return g, nil
}

// sampling reads the settings back: spag's own list when the file has
// one, else the transformers fields it knows.
func (g GenerationConfig) sampling() []string {
	if g.SpagSampling != nil {
		return g.SpagSampling
	}
	var out []string
	if g.Temperature != nil {
		out = append(out, "temperature="+strconv.FormatFloat(*g.Temperature, 'g', -1, 64))
	}
	if g.TopP != nil {
		out = append(out, "top_p="+strconv.FormatFloat(*g.TopP, 'g', -1, 64))
	}
	if g.TopK != nil {
		out = append(out, "top_k="+strconv.Itoa(*g.TopK))
	}
	return out
}

// tokenizerConfig is tokenizer_config.json for transformers'
// LlamaTokenizer: <s> added, </s> not, as spag frames sequences.
func tokenizerConfig(context int) map[string]any {
	return map[string]any{
		"tokenizer_class":              "LlamaTokenizer",
		"add_bos_token":                true,
		"add_eos_token":                false,
		"bos_token":                    "<s>",
		"eos_token":                    "</s>",
		"unk_token":                    "<unk>",
		"pad_token":                    nil,
		"legacy":                       true,
		"clean_up_tokenization_spaces": false,
		"model_max_length":             context,
		"sp_model_kwargs":              map[string]any{},
	}
}

var specialTokensMap = map[string]string{"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}

// Files returns the contents of the directory's files for a checkpoint.
// A scalar head (a reward model's value head) has no place in
// LlamaForCausalLM and is left out, as GGUF export leaves it out.
func Files(c *checkpoint.Checkpoint) (map[string][]byte, error) {
	cfg := c.Params.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Vocab != c.Vocab.Size() {
		return nil, fmt.Errorf("model vocabulary %d differs from the tokenizer's %d pieces", cfg.Vocab, c.Vocab.Size())
	}
	specs := cfg.ParamSpecs()
	if len(c.Params.Tensors) != len(specs) {
		return nil, fmt.Errorf("%d tensors, the model needs %d", len(c.Params.Tensors), len(specs))
	}
	cfg.ScoreHead = false
	hd := cfg.HeadDim()
	var ts []Tensor
	for i, m := range tensorMaps(cfg) {
		t := c.Params.Tensors[i]
		var data []float32
		switch d := t.Data().(type) {
		case []float32:
			data = d
		case []float64:
			data = make([]float32, len(d))
			for j, v := range d {
				data[j] = float32(v)
			}
		default:
			return nil, fmt.Errorf("tensor %s holds %T, want float32", m.native, t.Data())
		}
		ts = append(ts, toHF(m, specs[i].Shape, data, hd))
	}
	files := map[string][]byte{}
	var st strings.Builder
	if err := WriteSafetensors(&st, ts, map[string]string{"format": "pt"}); err != nil {
		return nil, err
	}
	files[WeightsFile] = []byte(st.String())
	gen, err := generationConfig(c.Sampling)
	if err != nil {
		return nil, err
	}
	for name, v := range map[string]any{
		ConfigFile:           ModelConfig(cfg),
		GenerationFile:       gen,
		TokenizerConfigFile:  tokenizerConfig(cfg.Context),
		SpecialTokensMapFile: specialTokensMap,
	} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return nil, err
		}
		files[name] = append(b, '\n')
	}
	files[TokenizerFile] = EncodeTokenizerModel(c.Vocab)
	return files, nil
}

// Export writes the checkpoint as a Hugging Face directory dir, which must
// not exist or be empty; its parent must exist. The files are written in
// a new directory beside dir that is renamed to dir at the end, so a
// failure (or a crash) leaves no partial model under dir.
func Export(dir string, c *checkpoint.Checkpoint) error {
	files, err := Files(c)
	if err != nil {
		return fmt.Errorf("export %s: %w", dir, err)
	}
	if err := checkEmpty(dir); err != nil {
		return err
	}
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return fmt.Errorf("export %s: %w", dir, err)
	}
	clean := filepath.Clean(dir)
	tmp := filepath.Join(filepath.Dir(clean), "."+filepath.Base(clean)+".partial-"+hex.EncodeToString(suffix[:]))
	if err := os.Mkdir(tmp, 0o777); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("export %s: directory %s does not exist; create it first", dir, filepath.Dir(clean))
		}
		return fmt.Errorf("export %s: %w", dir, err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	for name, b := range files {
		if err := writeSynced(filepath.Join(tmp, name), b); err != nil {
			return fmt.Errorf("export %s: %w", dir, err)
		}
	}
	if err := os.Rename(tmp, clean); err != nil {
		return fmt.Errorf("export %s: %w", dir, err)
	}
	done = true
	return nil
}

// checkEmpty accepts a missing directory or an empty one.
func checkEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("export %s: %w (name a new or empty directory)", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("export %s: the directory is not empty; name a new or empty directory", dir)
	}
	return nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Import reads a Hugging Face llama directory as a native checkpoint
// (weights, tokenizer and sampling defaults; no optimizer state). It
// refuses, naming the file and what differs, a directory the native model
// cannot represent.
func Import(dir string) (*checkpoint.Checkpoint, error) {
	ck, err := load(dir)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", dir, err)
	}
	return ck, nil
}

func load(dir string) (*checkpoint.Checkpoint, error) {
	var hc Config
	if err := readJSON(filepath.Join(dir, ConfigFile), &hc); err != nil {
		return nil, err
	}
	cfg, err := hc.Native()
	if err != nil {
		return nil, err
	}
	tm, err := os.ReadFile(filepath.Join(dir, TokenizerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s (spag reads SentencePiece tokenizers; a tokenizer.json alone is not one)", ErrUnsupported, TokenizerFile)
	}
	if err != nil {
		return nil, err
	}
	vocab, err := DecodeTokenizerModel(tm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", TokenizerFile, err)
	}
	if vocab.Size() != cfg.Vocab {
		return nil, fmt.Errorf("%w: %s has vocab_size %d, %s has %d pieces", ErrUnsupported, ConfigFile, cfg.Vocab, TokenizerFile, vocab.Size())
	}
	weights, err := ReadSafetensors(filepath.Join(dir, WeightsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s (sharded or .bin checkpoints are not read; save with safe_serialization=True in one file)", ErrUnsupported, WeightsFile)
	}
	if err != nil {
		return nil, err
	}
	maps := tensorMaps(cfg)
	if hc.TieWordEmbeddings {
		if _, ok := weights["lm_head.weight"]; !ok {
			// A tied head is the embedding itself: (vocab, dim) rows.
			e := weights["model.embed_tokens.weight"]
			weights["lm_head.weight"] = Tensor{Name: "lm_head.weight", Shape: e.Shape, Data: e.Data}
		}
	}
	p := &model.Params{Config: cfg}
	used := map[string]bool{}
	for i, s := range cfg.ParamSpecs() {
		m := maps[i]
		t, ok := weights[m.hf]
		if !ok {
			return nil, fmt.Errorf("%w: %s has no tensor %s", ErrUnsupported, WeightsFile, m.hf)
		}
		used[m.hf] = true
		want := append([]int{}, s.Shape...)
		if m.transpose {
			want[0], want[1] = want[1], want[0]
		}
		if !equalInts(t.Shape, want) {
			return nil, fmt.Errorf("%w: %s: tensor %s has shape %v, %s implies %v", ErrUnsupported, WeightsFile, m.hf, t.Shape, ConfigFile, want)
		}
		data := fromHF(m, s.Shape, t, cfg.HeadDim())
		p.Tensors = append(p.Tensors, tensor.New(tensor.WithShape(s.Shape...), tensor.WithBacking(data)))
	}
	for name := range weights {
		// Rotary tables some exporters store are recomputed from rope_theta.
		if !used[name] && !strings.HasSuffix(name, "rotary_emb.inv_freq") {
			return nil, fmt.Errorf("%w: %s: tensor %s is not part of the llama model spag runs", ErrUnsupported, WeightsFile, name)
		}
	}
	ck := &checkpoint.Checkpoint{Vocab: vocab, Params: p}
	var gen GenerationConfig
	switch err := readJSON(filepath.Join(dir, GenerationFile), &gen); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		ck.Sampling = gen.sampling()
	}
	return ck, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
