package trainer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
)

// Example trains a round's policy with the SPAG objective against a frozen
// reference, stops after 2 of 4 steps (as an interrupted round would) and
// resumes the run to its end.
func Example() {
	dir, _ := os.MkdirTemp("", "trainer-example")
	defer os.RemoveAll(dir)
	data, imitation := exampleFiles(dir)

	tr, err := trainer.Open("native") // or "exec:python3 examples/trl/train.py"
	if err != nil {
		panic(err)
	}
	cfg := train.DefaultConfig(train.ObjectiveSPAG)
	cfg.Steps, cfg.BatchSize = 4, 2
	job := trainer.Job{
		Config:    cfg,
		Data:      data,                                  // SPAG training JSON of the round
		Init:      trainer.Policy{Checkpoint: imitation}, // the current policy
		Ref:       trainer.Policy{Checkpoint: imitation}, // the frozen reference
		Out:       filepath.Join(dir, "round1.ckpt"),
		StopAfter: 2,
	}
	res, err := tr.Train(context.Background(), job)
	if err != nil {
		panic(err)
	}
	fmt.Printf("stopped after step %d of %d, done %v\n", res.Step, res.Total, res.Done())

	job.Init, job.Resume, job.StopAfter = res.Policy, true, 0
	res, err = tr.Train(context.Background(), job)
	if err != nil {
		panic(err)
	}
	fmt.Printf("resumed to step %d of %d, done %v, next round plays %s\n", res.Step, res.Total, res.Done(),
		filepath.Base(res.Policy.Spec()))
	// Output:
	// stopped after step 2 of 4, done false
	// resumed to step 4 of 4, done true, next round plays round1.ckpt
}

// exampleFiles writes a SPAG training file and a tiny model.
func exampleFiles(dir string) (data, ckpt string) {
	items := []map[string]any{
		{"query": "clue for apple:", "target": "a red fruit", "reward": 1.0, "weight": 1.0},
		{"query": "clue for river:", "target": "water that flows", "reward": 0.5, "weight": 1.0},
		{"query": "say apple:", "target": "apple", "type": "sft", "weight": 1.0},
	}
	raw, _ := json.Marshal(items)
	data = filepath.Join(dir, "round1.json")
	os.WriteFile(data, raw, 0o644)
	v, err := tokenizer.Train(context.Background(), []string{"clue for apple: a red fruit", "clue for river: water that flows"}, tokenizer.TrainOptions{VocabSize: 280})
	if err != nil {
		panic(err)
	}
	p, err := model.Init(model.Config{Vocab: v.Size(), Dim: 16, Layers: 1, Heads: 2, KVHeads: 2, FFN: 32, Context: 32, NormEps: 1e-5, RopeTheta: 10000}, 1)
	if err != nil {
		panic(err)
	}
	ckpt = filepath.Join(dir, "imitation.ckpt")
	if err := checkpoint.Save(ckpt, &checkpoint.Checkpoint{Vocab: v, Params: p}); err != nil {
		panic(err)
	}
	return data, ckpt
}
