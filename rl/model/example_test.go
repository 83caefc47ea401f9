package model_test

import (
	"fmt"

	"github.com/spag-go/spag/rl/model"
)

func ExampleRunner_Run() {
	cfg := model.Config{Vocab: 11, Dim: 8, Layers: 1, Heads: 2, KVHeads: 1, FFN: 16, Context: 4, NormEps: 1e-5, RopeTheta: 10000}
	p, err := model.Init(cfg, 1)
	if err != nil {
		panic(err)
	}
	r, err := model.NewRunner(p, 1, 4, false) // one sequence of 4 positions
	if err != nil {
		panic(err)
	}
	defer r.Close()
	// Inputs are next-token prefixes, targets the tokens to score.
	_, logp, err := r.Run([]int{1, 5, 6, 7}, []int{5, 6, 7, 2}, nil)
	if err != nil {
		panic(err)
	}
	// A fresh model is close to uniform (log(1/11) ≈ -2.40 a token).
	fmt.Printf("%d parameters, logp[0] %.2f\n", cfg.NumParams(), logp[0])
	// Output: 776 parameters, logp[0] -2.51
}
