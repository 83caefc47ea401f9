package trainer

import (
	"context"
	"fmt"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/train"
)

// EvaluateRewardModel scores the reward-model items of the file items (as
// spag apo items and spag apo preferences write them) with the native
// checkpoint ckpt — its scalar head when it has one, else its likelihood
// score, as it plays — and returns the preference accuracy and the
// calibration error of its Bradley–Terry probabilities, as training
// reports them on held-out items. It is nil when the items hold no
// preference pair.
func EvaluateRewardModel(ctx context.Context, ckpt, items string) (*train.RMEval, error) {
	c, err := checkpoint.Load(ckpt)
	if err != nil {
		return nil, err
	}
	examples, _, err := ReadData(items, train.ObjectiveAPO)
	if err != nil {
		return nil, fmt.Errorf("evaluate reward model: items: %w", err)
	}
	if len(examples) == 0 {
		return nil, fmt.Errorf("evaluate reward model: %s holds no items", items)
	}
	c.Optimizer, c.Train = nil, nil // the weights score; no run resumes
	cfg := train.DefaultConfig(train.ObjectiveAPO)
	if c.Params.Config.ScoreHead {
		cfg.Score = train.ScoreScalar
	}
	cfg.Steps = 1 // a trainer is built to score; it takes no step
	tr, err := train.New(ctx, cfg, c, nil, examples)
	if err != nil {
		return nil, fmt.Errorf("evaluate reward model %s: %w", ckpt, err)
	}
	defer tr.Close()
	if err := tr.SetHeldOut(examples); err != nil {
		return nil, err
	}
	return tr.EvaluateHeldOut(ctx)
}
