package model_test

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"testing"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
)

// updateShipped rewrites testdata/shipped_logp.json from the current
// implementation: only when the shipped weights change, after the model's
// code has passed the PyTorch comparisons (TestMatchesPyTorch).
var updateShipped = flag.Bool("update-shipped", false, "rewrite testdata/shipped_logp.json from the shipped model")

// TestShippedModelUnchanged scores two sequences of 100 fixed tokens with
// the shipped checkpoint (players/native/defaultmodel) and compares the
// log-probabilities with testdata/shipped_logp.json, within the float32
// tolerance of TestMatchesPyTorch: a guard that later changes to the
// kernels keep real trained weights' numbers. The file was first written
// by gorgonia's own operators (before kernels.go) with
// spag-taboo-small-v1, which kernels.go matched; since v2 replaced v1 it
// holds kernels.go's numbers with v2's weights (-update-shipped).
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
		if *updateShipped && !train {
			want.Logp = lp
			out, err := json.Marshal(map[string]any{"batch": want.Batch, "length": want.Length, "inputs": want.Inputs, "targets": want.Targets, "logp": lp})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile("testdata/shipped_logp.json", append(out, '\n'), 0o666); err != nil {
				t.Fatal(err)
			}
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
