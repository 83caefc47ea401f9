package checkpoint_test

import (
	"context"
	"fmt"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// ExampleCheckpoint_Strip keeps what plays and starts new runs, as spag
// model strip does.
func ExampleCheckpoint_Strip() {
	vocab, err := tokenizer.Train(context.Background(), []string{"hello world"}, tokenizer.TrainOptions{VocabSize: 270})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, _ := model.Preset("tiny")
	cfg.Vocab = vocab.Size()
	params, err := model.Init(cfg, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := &checkpoint.Checkpoint{Vocab: vocab, Params: params, Optimizer: &checkpoint.Optimizer{Step: 3},
		Train: &checkpoint.Train{Step: 3, Total: 10, Cursor: 1, Order: []int{1, 0}}}
	c.Strip()
	fmt.Println(c.Optimizer == nil, c.Train.Step, c.Train.Order == nil)
	// Output:
	// true 3 true
}
