package model

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"gorgonia.org/tensor"
)

// modelGolden is the output of testdata/torch_model.py.
type modelGolden struct {
	Config  Config               `json:"config"`
	Batch   int                  `json:"batch"`
	Length  int                  `json:"length"`
	Inputs  []int                `json:"inputs"`
	Targets []int                `json:"targets"`
	Coef    []float64            `json:"coef"`
	Params  map[string][]float64 `json:"params"`
	Logp    []float64            `json:"logp"` // the scores, with Lengths
	Lengths []int                `json:"lengths"`
	Loss    float64              `json:"loss"`
	Grads   map[string][]float64 `json:"grads"`
}

func loadGolden(t *testing.T, file string) (modelGolden, *Params) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var g modelGolden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	p := &Params{Config: g.Config}
	for _, s := range g.Config.ParamSpecs() {
		w, ok := g.Params[s.Name]
		if !ok {
			t.Fatalf("golden lacks %s", s.Name)
		}
		p.Tensors = append(p.Tensors, tensor.New(tensor.WithShape(s.Shape...), tensor.WithBacking(append([]float64(nil), w...))))
	}
	return g, p
}

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// TestMatchesPyTorch compares log-probabilities and gradients with the
// independent PyTorch implementation, in float64 (tight) and float32, on
// short sequences and on sequences longer than the attention kernel's row
// blocks.
func TestMatchesPyTorch(t *testing.T) {
	for _, file := range []string{"testdata/model_golden.json", "testdata/model_golden_long.json"} {
		t.Run(file, func(t *testing.T) { matchesPyTorch(t, file) })
	}
}

func matchesPyTorch(t *testing.T, file string) {
	g, p64 := loadGolden(t, file)
	p32, err := p64.Convert(tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    *Params
		tol  float64
	}{{"float64", p64, 1e-9}, {"float32", p32, 2e-4}} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRunner(tc.p, g.Batch, g.Length, true)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			loss, logp, err := r.Run(g.Inputs, g.Targets, weightedSum(g.Coef))
			if err != nil {
				t.Fatal(err)
			}
			if !relClose(loss, g.Loss, tc.tol) {
				t.Errorf("loss %.10g, torch %.10g", loss, g.Loss)
			}
			for i := range logp {
				if !relClose(logp[i], g.Logp[i], tc.tol) {
					t.Errorf("logp[%d] = %.10g, torch %.10g", i, logp[i], g.Logp[i])
				}
			}
			grads, err := r.Grads()
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.p.Config.ParamSpecs() {
				want := g.Grads[s.Name]
				for j := range want {
					if !relClose(grads[i][j], want[j], tc.tol*10) {
						t.Errorf("grad %s[%d] = %.10g, torch %.10g", s.Name, j, grads[i][j], want[j])
						break
					}
				}
			}
		})
	}
}

// TestScoreHeadMatchesPyTorch compares the scalar head's scores and the
// gradients of a weighted sum of them, for every weight, with the PyTorch
// reference; the second sequence is right-padded.
func TestScoreHeadMatchesPyTorch(t *testing.T) {
	g, p64 := loadGolden(t, "testdata/model_golden_score.json")
	if !p64.Config.ScoreHead || len(g.Lengths) != g.Batch {
		t.Fatal("golden has no scalar head or no lengths")
	}
	p32, err := p64.Convert(tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    *Params
		tol  float64
	}{{"float64", p64, 1e-9}, {"float32", p32, 2e-4}} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewScoreRunner(tc.p, g.Batch, g.Length, true)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			loss, scores, err := r.RunScores(g.Inputs, g.Lengths, weightedSum(g.Coef))
			if err != nil {
				t.Fatal(err)
			}
			if !relClose(loss, g.Loss, tc.tol) {
				t.Errorf("loss %.10g, torch %.10g", loss, g.Loss)
			}
			for i := range g.Logp {
				if !relClose(scores[i], g.Logp[i], tc.tol) {
					t.Errorf("score[%d] = %.10g, torch %.10g", i, scores[i], g.Logp[i])
				}
			}
			grads, err := r.Grads()
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.p.Config.ParamSpecs() {
				want := g.Grads[s.Name]
				for j := range want {
					if !relClose(grads[i][j], want[j], tc.tol*10) {
						t.Errorf("grad %s[%d] = %.10g, torch %.10g", s.Name, j, grads[i][j], want[j])
						break
					}
				}
			}
		})
	}
}
