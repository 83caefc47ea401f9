// Package modeltest makes small native models for the tests of the
// packages that convert them (rl/gguf, rl/hf).
package modeltest

import (
	"context"
	"testing"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// Small trains a small tokenizer (with or without the dummy prefix) and
// draws random weights for it, kvHeads key/value heads of 4, with norm
// gains that differ from 1 and from each other so that a swapped tensor
// shows.
func Small(t testing.TB, dummy bool, kvHeads int) (*tokenizer.Vocab, *model.Params) {
	t.Helper()
	corpus := []string{"the cat sat on the mat", "a dog and a cat", "clues without the word", "I know the word: it is cat"}
	v, err := tokenizer.Train(context.Background(), corpus, tokenizer.TrainOptions{VocabSize: 300, NoDummyPrefix: !dummy})
	if err != nil {
		t.Fatal(err)
	}
	cfg := model.Config{Vocab: v.Size(), Dim: 16, Layers: 2, Heads: 4, KVHeads: kvHeads, FFN: 24, Context: 32, NormEps: 1e-5, RopeTheta: 10000}
	p, err := model.Init(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range cfg.ParamSpecs() {
		if len(s.Shape) == 1 {
			d := p.Tensors[i].Data().([]float32)
			for j := range d {
				d[j] = 1 + float32(j%5)/10 + float32(i)/100
			}
		}
	}
	return v, p
}

// SaveSmall writes a [Small] model (with the dummy prefix, two
// key/value heads) as a checkpoint at path, for the tests of commands
// that read one.
func SaveSmall(t testing.TB, path string) {
	t.Helper()
	v, p := Small(t, true, 2)
	if err := checkpoint.Save(path, &checkpoint.Checkpoint{Vocab: v, Params: p}); err != nil {
		t.Fatal(err)
	}
}
