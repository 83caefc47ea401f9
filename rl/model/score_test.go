package model

import (
	"slices"
	"testing"
)

// TestInitScoreHead checks that a head changes none of the other weights a
// seed draws, that it is deterministic, small and not zero, and that
// WithScoreHead on a model without one gives the same head.
func TestInitScoreHead(t *testing.T) {
	cfg, _ := Preset("tiny")
	lm, err := Init(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ScoreHead = true
	p, err := Init(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	specs := cfg.ParamSpecs()
	if len(p.Tensors) != len(lm.Tensors)+2 || specs[len(specs)-2].Name != ScoreHeadWeight || specs[len(specs)-1].Name != ScoreHeadBias {
		t.Fatalf("%d tensors with the head, %d without; last specs %v", len(p.Tensors), len(lm.Tensors), specs[len(specs)-2:])
	}
	for i := range lm.Tensors {
		if !slices.Equal(Float64s(lm.Tensors[i]), Float64s(p.Tensors[i])) {
			t.Fatalf("tensor %s differs with a head", specs[i].Name)
		}
	}
	w, bias := Float64s(p.Tensors[len(specs)-2]), Float64s(p.Tensors[len(specs)-1])
	nonzero := 0
	for _, v := range w {
		if v > 0.1 || v < -0.1 {
			t.Fatalf("head weight %v is not small", v)
		}
		if v != 0 {
			nonzero++
		}
	}
	if nonzero < len(w)/2 || bias[0] != 0 {
		t.Errorf("head weights %v, bias %v: want small non-zero weights and bias 0", w, bias)
	}
	q := WithScoreHead(lm, 7)
	if !slices.Equal(Float64s(q.Tensors[len(specs)-2]), w) || q.Config != p.Config {
		t.Error("WithScoreHead draws another head than Init")
	}
	if WithScoreHead(p, 8) != p {
		t.Error("WithScoreHead replaced an existing head")
	}
}

// TestLanguageModelIgnoresScoreHead: a model with a head computes the same
// log-probabilities and gradients as without it, and no head gradient.
func TestLanguageModelIgnoresScoreHead(t *testing.T) {
	g, lm := loadGolden(t, "testdata/model_golden.json")
	p := WithScoreHead(lm, 1)
	r, err := NewRunner(p, g.Batch, g.Length, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, logp, err := r.Run(g.Inputs, g.Targets, weightedSum(g.Coef))
	if err != nil {
		t.Fatal(err)
	}
	for i := range logp {
		if !relClose(logp[i], g.Logp[i], 1e-9) {
			t.Fatalf("logp[%d] = %g, torch %g", i, logp[i], g.Logp[i])
		}
	}
	grads, err := r.Grads()
	if err != nil {
		t.Fatal(err)
	}
	n := len(grads)
	if !relClose(grads[n-3][0], g.Grads["output.weight"][0], 1e-9) || slices.ContainsFunc(append(grads[n-2], grads[n-1]...), func(v float64) bool { return v != 0 }) {
		t.Error("the language model's gradient reaches the scalar head, or misses the output head")
	}
	if _, err := NewScoreRunner(p.Clone(), 1, 4, false); err != nil {
		t.Error(err)
	}
	if _, err := NewScoreRunner(lm, 1, 4, false); err == nil {
		t.Error("a score runner without a head")
	}
}
