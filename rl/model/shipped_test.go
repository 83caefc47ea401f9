package model_test

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
)

// TestShippedModelUnchanged scores two sequences of 100 fixed tokens with
// the shipped checkpoint (players/native/defaultmodel) and compares the
// log-probabilities with testdata/shipped_logp.json, which the previous
// implementation of the model (gorgonia's own operators, before
// kernels.go) wrote, within the float32 tolerance of TestMatchesPyTorch.
func TestShippedModelUnchanged(t *testing.T) {
	c, err := checkpoint.Load("../../players/native/defaultmodel/model.ckpt")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/shipped_logp.json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Batch, Length   int
		Inputs, Targets []int
		Logp            []float64
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	for _, train := range []bool{false, true} {
		r, err := model.NewRunner(c.Params, want.Batch, want.Length, train)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		_, lp, err := r.Run(want.Inputs, want.Targets, nil)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i, w := range want.Logp {
			d := math.Abs(lp[i]-w) / math.Max(1, math.Abs(w))
			worst = math.Max(worst, d)
			if d > 2e-4 {
				t.Errorf("training runner %v: logp[%d] = %.7g, previous implementation %.7g", train, i, lp[i], w)
			}
		}
		t.Logf("training runner %v: largest relative difference %.2g", train, worst)
	}
}
