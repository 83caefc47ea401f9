package native

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/spag-go/spag/internal/ollamatest"
	"github.com/spag-go/spag/rl/gguf"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// parityCorpus has Unicode, emoji, runs of spaces and newlines.
var parityCorpus = []string{
	"the cat sat on the mat",
	"  two leading spaces and    four inside",
	"line one\nline two\n\n\nthree newlines",
	"naïve café — déjà vu, 東京 and Ελληνικά",
	"emoji 🐈‍⬛ and 👍🏽 and 🇫🇷 flags",
	"tabs\tand\ttabs, trailing space ",
	"I know the word! It is \"cat\".",
	"a",
	" ",
	"ZZZ qqq xyzzy 12345 3.14",
}

// parityModel is a random model over a tokenizer trained on the corpus
// (so that it has multi-byte pieces), with weights large enough that the
// next-token distribution is far from uniform.
func parityModel(t testing.TB, dummy bool) (*tokenizer.Vocab, *model.Params) {
	t.Helper()
	train := append([]string{"the word is cat", "a dog", "café café 東京 東京", "🐈 🐈"}, parityCorpus[:6]...)
	v, err := tokenizer.Train(context.Background(), train, tokenizer.TrainOptions{VocabSize: 380, NoDummyPrefix: !dummy})
	if err != nil {
		t.Fatal(err)
	}
	cfg := model.Config{Vocab: v.Size(), Dim: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 96, Context: 256, NormEps: 1e-5, RopeTheta: 10000}
	p, err := model.Init(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range p.Tensors {
		d := ts.Data().([]float32)
		for i := range d {
			d[i] *= 4
		}
	}
	// Ollama drops the log-probabilities of tokens whose text is not valid
	// UTF-8 on its own, which would misalign the comparison; keep lone
	// non-ASCII bytes and control tokens unlikely: hidden dimension 0 is a
	// constant (every embedding has 1 there and nothing writes to it), and
	// the output head weighs it strongly against those tokens.
	D := cfg.Dim
	for i, s := range cfg.ParamSpecs() {
		d := p.Tensors[i].Data().([]float32)
		switch {
		case s.Name == "token_embd.weight":
			for t := 0; t < cfg.Vocab; t++ {
				d[t*D] = 1
			}
		case strings.HasSuffix(s.Name, "attn_output.weight") || strings.HasSuffix(s.Name, "ffn_down.weight"):
			for r := 0; r < len(d)/D; r++ {
				d[r*D] = 0
			}
		case s.Name == "output.weight":
			for t := 0; t < cfg.Vocab; t++ {
				if t < tokenizer.FirstByteID || t >= tokenizer.FirstByteID+0x80 && t < tokenizer.NumReserved {
					d[t] = -2
				}
			}
		}
	}
	return v, p
}

// register uploads the model as GGUF and creates it under name with a
// template that passes the prompt through unchanged.
func register(t testing.TB, s *ollamatest.Server, name string, v *tokenizer.Vocab, p *model.Params, typ gguf.Type) {
	t.Helper()
	var buf bytes.Buffer
	if err := gguf.Write(&buf, v, p, gguf.WriteOptions{Type: typ, Name: name}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	digest := "sha256:" + hex.EncodeToString(sum[:])
	ctx := context.Background()
	if err := s.Client.CreateBlob(ctx, digest, bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	stream := false
	req := &api.CreateRequest{Model: name, Files: map[string]string{"model.gguf": digest}, Template: "{{ .Prompt }}", Stream: &stream}
	if err := s.Client.Create(ctx, req, func(api.ProgressResponse) error { return nil }); err != nil {
		t.Fatalf("create %s: %v\n%s", name, err, s.Log())
	}
}

func generate(t testing.TB, s *ollamatest.Server, req *api.GenerateRequest) api.GenerateResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stream := false
	req.Stream = &stream
	var out api.GenerateResponse
	if err := s.Client.Generate(ctx, req, func(r api.GenerateResponse) error { out = r; return nil }); err != nil {
		log := s.Log()
		if len(log) > 4000 {
			log = log[len(log)-4000:]
		}
		t.Fatalf("generate: %v\n%s", err, log)
	}
	return out
}

// TestOllamaParity registers exported models with a real Ollama server,
// under both runners, and checks token ids and log-probabilities. Normal
// runs check one combination per runner (between them both tensor types
// and both vocabulary kinds); SPAG_PARITY_FULL=1 checks all eight.
func TestOllamaParity(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ollama servers")
	}
	full := os.Getenv("SPAG_PARITY_FULL") == "1"
	type combo struct {
		dummy bool
		typ   gguf.Type
	}
	all := []combo{{true, gguf.F32}, {true, gguf.F16}, {false, gguf.F32}, {false, gguf.F16}}
	runners := []struct {
		name   string
		env    []string
		combos []combo
	}{
		{"llamacpp", nil, []combo{{true, gguf.F32}}},
		{"new-engine", []string{"OLLAMA_NEW_ENGINE=1"}, []combo{{false, gguf.F16}}},
	}
	for _, rn := range runners {
		t.Run(rn.name, func(t *testing.T) {
			s := ollamatest.Fresh(t, ollamatest.Options{Env: rn.env, NumParallel: 1})
			combos := rn.combos
			if full {
				combos = all
			}
			for _, c := range combos {
				dummy, typ := c.dummy, c.typ
				name := fmt.Sprintf("parity-%v-%s:latest", dummy, typ)
				t.Run(fmt.Sprintf("dummy=%v/%s", dummy, typ), func(t *testing.T) {
					v, p := parityModel(t, dummy)
					register(t, s, name, v, p, typ)
					if typ == gguf.F16 {
						// Score with the weights Ollama has: the F16 file read back.
						var buf bytes.Buffer
						gguf.Write(&buf, v, p, gguf.WriteOptions{Type: typ})
						f, err := gguf.Parse(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "f16")
						if err != nil {
							t.Fatal(err)
						}
						if v, p, err = f.Model(); err != nil {
							t.Fatal(err)
						}
					}
					m, err := NewModel(v, p)
					if err != nil {
						t.Fatal(err)
					}
					m.HalfKV = true // Ollama's KV cache is F16
					// F16 weights make llama.cpp round activations to F16 in
					// every product too, which the native pass does not copy.
					// F32: the goal is 1e-3; on this stress model
					// (weights ×4, far from uniform) llama.cpp measured 4.7e-4
					// with the dummy prefix and 1.4e-3 without, from its
					// decode-time attention reduction order, so 2e-3 is the bound.
					tol := 2e-3
					if typ == gguf.F16 || rn.name == "new-engine" {
						// The Go engine's attention rounds differently from
						// llama.cpp's kernel, which HalfKV copies: 1.2e-2 measured.
						tol = 3e-2
					}
					checkParity(t, s, name, m, rn.name == "new-engine" && dummy, tol)
				})
			}
		})
	}
}

func checkParity(t *testing.T, s *ollamatest.Server, name string, m *Model, expectPrefixMismatch bool, tol float64) {
	mismatches := 0
	for i, text := range parityCorpus {
		r := generate(t, s, &api.GenerateRequest{Model: name, Prompt: text,
			Options: map[string]any{"num_predict": 1, "temperature": 0, "seed": 1}})
		want := m.Vocab.Encode(text + r.Response)
		if fmt.Sprint(want) != fmt.Sprint(r.Context) {
			mismatches++
			if !expectPrefixMismatch {
				t.Errorf("corpus %d %q+%q: ollama ids %v, native %v", i, text, r.Response, r.Context, want)
			}
		}
	}
	if expectPrefixMismatch {
		// Ollama's Go engine never adds SentencePiece's dummy prefix.
		t.Logf("dummy prefix under the Go engine: %d of %d tokenizations differ", mismatches, len(parityCorpus))
	}

	worst, total, ambiguous, skipped := 0.0, 0, 0, 0
	for i, text := range parityCorpus {
		r := generate(t, s, &api.GenerateRequest{Model: name, Prompt: text, Raw: true, Logprobs: true,
			Options: map[string]any{"num_predict": 24, "temperature": 1, "seed": 42 + i, "repeat_penalty": 1}})
		var served []ServedToken
		for _, lp := range r.Logprobs {
			b := make([]byte, len(lp.Bytes))
			for j, x := range lp.Bytes {
				b[j] = byte(x)
			}
			if len(lp.Bytes) == 0 {
				b = []byte(lp.Token)
			}
			served = append(served, ServedToken{Bytes: b, Logprob: lp.Logprob})
		}
		if len(served) < r.EvalCount-1 {
			// Ollama left out the log-probabilities of some tokens (lone
			// bytes that are not valid UTF-8), so the list cannot be aligned.
			skipped++
			continue
		}
		prompt := append([]int{tokenizer.BOSID}, m.Vocab.Encode(text)...)
		if expectPrefixMismatch {
			prompt = append([]int{tokenizer.BOSID}, encodeNoPrefix(m.Vocab, text)...)
		}
		c, err := m.Compare(prompt, served)
		if err != nil {
			t.Fatal(err)
		}
		if c.Unmatched > 0 || c.Tokens != len(served) {
			t.Fatalf("corpus %d: %d of %d served tokens scored, %d unmatched", i, c.Tokens, len(served), c.Unmatched)
		}
		for j, d := range c.Diffs {
			if d > tol {
				t.Logf("corpus %d token %d %q (id %d): diff %.3g, served %.4f", i, j, served[j].Bytes, c.IDs[j], d, served[j].Logprob)
			}
		}
		worst = math.Max(worst, c.MaxAbsDiff)
		ambiguous += c.Ambiguous
		total += c.Tokens
	}
	t.Logf("%s: %d generated tokens (%d ambiguous), %d of %d samples skipped, max |ollama - native| logprob = %.2g", name, total, ambiguous, skipped, len(parityCorpus), worst)
	if total < 100 {
		t.Fatalf("only %d tokens compared", total)
	}
	if worst > tol {
		t.Fatalf("max abs logprob difference %g > %g", worst, tol)
	}
}

// encodeNoPrefix encodes as Ollama's Go engine does: without the dummy
// prefix, whatever the vocabulary says.
func encodeNoPrefix(v *tokenizer.Vocab, text string) []int {
	nv, err := tokenizer.New(v.Pieces(), false)
	if err != nil {
		panic(err)
	}
	return nv.Encode(text)
}

func TestMain(m *testing.M) {
	code := m.Run()
	ollamatest.StopShared()
	os.Exit(code)
}
