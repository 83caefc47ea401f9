package hf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/torchtest"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/players/scripted"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/taboo"
	"gorgonia.org/tensor"
)

// torchResult is testdata/torch_logp.py's answer.
type torchResult struct {
	Logp   [][]float64 `json:"logp"`   // float32
	Logp64 [][]float64 `json:"logp64"` // the same module in float64
	IDs    [][]int     `json:"ids"`
}

func runTorch(t *testing.T, dir string, sequences [][]int, texts []string) torchResult {
	t.Helper()
	job, err := json.Marshal(map[string]any{"sequences": sequences, "texts": texts})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(torchtest.Python, "testdata/torch_logp.py", dir)
	cmd.Stdin = bytes.NewReader(job)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("torch_logp.py: %v\n%s", err, stderr.Bytes())
	}
	var r torchResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// nativeLogp scores each sequence with the native model: the
// log-probability of token t+1 after tokens 0..t.
func nativeLogp(t *testing.T, p *model.Params, seq []int) []float64 {
	t.Helper()
	n := len(seq) - 1
	r, err := model.NewRunner(p, 1, n, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, lp, err := r.Run(seq[:n], seq[1:], nil)
	if err != nil {
		t.Fatal(err)
	}
	return lp
}

// goldenPrompts are game-like prompts and replies scored in both models.
var goldenPrompts = [][2]string{
	{"You are the attacker. The target word is dog.", "One kind of it is a pooch."},
	{"attacker: Think of a particular sort of canine.\ndefender:", "I know the word! It is dog!"},
	{"Let's begin.", "Which things would you find as part of a Canis?"},
	{"", "x"},
}

// TestPyTorchLogprobsMatchNative loads exported directories into the
// plain-PyTorch llama (examples/torch/hfllama.py) and compares per-token
// log-probabilities with the native model's on the golden prompts, for
// the shipped model (multi-head) and a random grouped-query model, so that
// a wrong rotary layout, transpose or head grouping shows:
//
//   - in float64 both compute the same function: within 1e-9;
//   - PyTorch's float32 and the native float32 are each within 1e-5 of the
//     exact (float64) values, and within 1e-5 of each other. On the
//     shipped model each is about 5e-6 from exact: the float32 rounding
//     of a residual stream that reaches 500 and of the logits, which no
//     kernel can avoid. (The native head once summed the vocabulary's
//     exponentials in float32, 2.8e-5 from exact and 2.4e-5 from
//     PyTorch; rl/model sums them in float64.)
func TestPyTorchLogprobsMatchNative(t *testing.T) {
	torchtest.Require(t)
	shipped, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ck   *checkpoint.Checkpoint
	}{
		{"shipped", shipped},
		{"random gqa", testCheckpoint(t, 2, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := exportTo(t, tc.ck)
			var seqs [][]int
			for _, g := range goldenPrompts {
				seq, _ := tc.ck.Vocab.ScoringSequence(g[0], g[1], tc.ck.Params.Config.Context)
				seqs = append(seqs, seq)
			}
			p64, err := tc.ck.Params.Convert(tensor.Float64)
			if err != nil {
				t.Fatal(err)
			}
			res := runTorch(t, dir, seqs, nil)
			var native32 [][]float64
			for _, seq := range seqs {
				native32 = append(native32, nativeLogp(t, tc.ck.Params, seq))
			}
			for _, cmp := range []struct {
				name string
				got  [][]float64   // PyTorch's, or the native float32 ones
				p    *model.Params // the native model compared with
				tol  float64
			}{
				{"float64", res.Logp64, p64, 1e-9},
				{"torch float32 vs exact", res.Logp, p64, 1e-5},
				{"native float32 vs exact", native32, p64, 1e-5},
				{"float32", res.Logp, tc.ck.Params, 1e-5},
			} {
				if len(cmp.got) != len(seqs) {
					t.Fatalf("%s: %d results for %d sequences", cmp.name, len(cmp.got), len(seqs))
				}
				worst := 0.0
				for i, seq := range seqs {
					want := nativeLogp(t, cmp.p, seq)
					if len(cmp.got[i]) != len(want) {
						t.Fatalf("%s: sequence %d: %d log-probabilities, want %d", cmp.name, i, len(cmp.got[i]), len(want))
					}
					for j := range want {
						d := math.Abs(cmp.got[i][j] - want[j])
						worst = math.Max(worst, d)
						if d > cmp.tol {
							t.Errorf("%s: sequence %d token %d: %v, native %v (|diff| %.3g > %g)", cmp.name, i, j, cmp.got[i][j], want[j], d, cmp.tol)
						}
					}
				}
				t.Logf("%s: max |diff| = %.3g", cmp.name, worst)
			}
		})
	}
}

// gameCorpus plays Adversarial Taboo between the scripted players on the
// built-in words until it has n utterances, then adds texts that stress
// the tokenizer (repeated and edge spaces, accents, emoji, control
// characters, invalid-free but rare scripts).
func gameCorpus(t *testing.T, n int) []string {
	t.Helper()
	lex, err := scripted.LoadLexicon()
	if err != nil {
		t.Fatal(err)
	}
	words, err := taboo.BuiltinWords()
	if err != nil {
		t.Fatal(err)
	}
	j := judge.NewStrict()
	att, def := scripted.NewAttacker(lex, j, scripted.DefaultSkill), scripted.NewDefender(lex, scripted.DefaultSkill)
	var lines []string
	for g := 0; len(lines) < n; g++ {
		target := words[g%len(words)]
		const maxTurns = 5
		ep := j.Start(target, maxTurns)
		var transcript []game.Message
		for turn := 1; len(lines) < n; turn++ {
			role, p := judge.Attacker, game.Player(att)
			if turn%2 == 0 {
				role, p = judge.Defender, def
			}
			req := game.Request{Seed: uint64(g*100 + turn)}
			req.Role, req.Turn, req.MaxUtterances, req.Transcript = role, turn, 2*maxTurns, transcript
			if role == judge.Attacker {
				req.Secret = target
			}
			reply, err := p.Play(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, reply.Text)
			transcript = append(transcript, game.Message{Role: role, Content: reply.Text})
			if _, over := ep.Next(judge.Utterance{Role: role, Text: reply.Text}); over {
				break
			}
		}
	}
	return append(lines,
		"", " ", "  two  spaces  ", " leading", "trailing ", "tab\there", "new\nline",
		"café, naïve, Zürich", "🐕 dog 🐾", "日本語のテキスト", "ĳ ﬁ Ⅻ ＡＢＣ", "x\u2581y", "<s> </s> <unk>", "<0x41>")
}

// TestSentencePieceEncodesLikeSpag encodes ten thousand lines of game
// text with the exported tokenizer.model through the sentencepiece library
// and wants spag's ids for every line.
func TestSentencePieceEncodesLikeSpag(t *testing.T) {
	torchtest.Require(t)
	ck, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, TokenizerFile), EncodeTokenizerModel(ck.Vocab), 0o666); err != nil {
		t.Fatal(err)
	}
	lines := gameCorpus(t, 10000)
	got := runTorch(t, dir, nil, lines)
	if len(got.IDs) != len(lines) {
		t.Fatalf("%d encodings for %d lines", len(got.IDs), len(lines))
	}
	bad := 0
	for i, line := range lines {
		want := ck.Vocab.Encode(line)
		if fmt.Sprint(want) != fmt.Sprint(got.IDs[i]) {
			if bad++; bad <= 10 {
				t.Errorf("line %d %q: sentencepiece %v, spag %v", i, line, got.IDs[i], want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d lines differ", bad, len(lines))
	}
}
