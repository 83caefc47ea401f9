package native

import (
	"context"
	"math"
	"testing"

	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// TestResponseValueMatchesGraph checks the native scalar score against
// rl/model's score runner on the same weights: two answers of different
// lengths, right-padded in one batch of the graph.
func TestResponseValueMatchesGraph(t *testing.T) {
	corpus := []string{"the cat sat on the mat", "a dog and a cat", "clues without the word", "I know the word: it is cat"}
	v, err := tokenizer.Train(context.Background(), corpus, tokenizer.TrainOptions{VocabSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	cfg := model.Config{Vocab: v.Size(), Dim: 32, Layers: 2, Heads: 4, KVHeads: 2, FFN: 48, Context: 64, NormEps: 1e-5, RopeTheta: 10000, ScoreHead: true}
	p, err := model.Init(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i, ts := range p.Tensors { // far from uniform, and a bias
		d := ts.Data().([]float32)
		for j := range d {
			if len(ts.Shape()) == 2 || cfg.ParamSpecs()[i].Name == model.ScoreHeadWeight {
				d[j] *= 8
			}
		}
	}
	p.Tensors[len(p.Tensors)-1].Data().([]float32)[0] = 0.3
	m, err := NewModel(v, p)
	if err != nil {
		t.Fatal(err)
	}
	prompt := "Question: what is a cat?\nAnswer:"
	answers := []string{" a dog and a cat on the mat", " the word"}
	const L = 48
	inputs, lengths := make([]int, 2*L), make([]int, 2)
	var want [2]float64
	for i, a := range answers {
		toks, _ := v.ScoringSequence(prompt, a, cfg.Context)
		seq := toks[:len(toks)-1]
		copy(inputs[i*L:], seq)
		lengths[i] = len(seq)
		if want[i], err = m.ResponseValue(prompt, a); err != nil {
			t.Fatal(err)
		}
	}
	if lengths[0] == lengths[1] || lengths[0] > L {
		t.Fatalf("lengths %v: want two different ones up to %d", lengths, L)
	}
	r, err := model.NewScoreRunner(p, 2, L, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, got, err := r.RunScores(inputs, lengths, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-4*math.Max(1, math.Abs(got[i])) {
			t.Errorf("answer %d: native %.7g, graph %.7g", i, want[i], got[i])
		}
	}
	if math.Abs(want[0]-want[1]) < 1e-3 {
		t.Errorf("scores %v do not tell the answers apart", want)
	}
	lm, err := NewModel(v, mustInit(t, v.Size()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lm.ResponseValue(prompt, answers[0]); err != ErrNoScoreHead {
		t.Errorf("a model without a head: %v", err)
	}
}

func mustInit(t *testing.T, vocab int) *model.Params {
	t.Helper()
	cfg := model.Config{Vocab: vocab, Dim: 16, Layers: 1, Heads: 2, KVHeads: 2, FFN: 24, Context: 64, NormEps: 1e-5, RopeTheta: 10000}
	p, err := model.Init(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
