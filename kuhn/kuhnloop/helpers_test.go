package kuhnloop

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/kuhndata"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
)

// rulesModel writes to dir a model smaller than docs/kuhn.md's (a fifth
// of its parameters) that knows only the rules, made as the docs make
// theirs: a tokenizer and random weights from the imitation data of
// uniform play (spag kuhn data, spag model init), then imitation of it
// (spag train --objective sft --beta 0) for steps; 0 steps leaves the
// random weights. It returns the checkpoint's path.
func rulesModel(t testing.TB, dir string, steps int) string {
	t.Helper()
	ctx := context.Background()
	samples, err := kuhndata.Imitation(kuhn.Uniform(), 4)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "uniform.json")
	if err := atomicfile.Write(data, func(w io.Writer) error { return rl.WriteSPAGTraining(w, samples) }); err != nil {
		t.Fatal(err)
	}
	texts, err := rl.ReadCorpus(data)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tokenizer.Train(ctx, texts, tokenizer.TrainOptions{VocabSize: 512})
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Init(model.Config{Vocab: v.Size(), Dim: 32, Layers: 1, Heads: 2, KVHeads: 2, FFN: 96, Context: 128, NormEps: 1e-5, RopeTheta: 10000}, 1)
	if err != nil {
		t.Fatal(err)
	}
	init := filepath.Join(dir, "k0.ckpt")
	if err := checkpoint.Save(init, &checkpoint.Checkpoint{Vocab: v, Params: p}); err != nil {
		t.Fatal(err)
	}
	if steps == 0 {
		return init
	}
	cfg := train.DefaultConfig(train.ObjectiveSFT)
	cfg.SFTBeta, cfg.LR, cfg.Steps = 0, 3e-3, steps
	out := filepath.Join(dir, "k-uniform.ckpt")
	if _, err := (trainer.Native{}).Train(ctx, trainer.Job{Config: cfg, Data: data, Init: trainer.Policy{Checkpoint: init}, Out: out}); err != nil {
		t.Fatal(err)
	}
	return out
}

// config is a small loop's configuration from init into dir.
func config(dir, init string) Config {
	cfg := Config{Rounds: 2, Out: filepath.Join(dir, "loop"), Init: init, Seed: 1, Ref: RefPrevious, Hands: 12, EvalHands: 6,
		Baseline: "infoset", Options: SamplingOptions(1, nil), Train: train.DefaultConfig(train.ObjectiveZeroSum)}
	cfg.Train.Steps = 1
	return cfg
}
