package train

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/objective"
)

// rmItem is one reward-model item: its examples (responses to one query)
// and their preferences, as objective.APO reads them.
type rmItem struct {
	examples []int
	item     objective.RMItem
}

// groupItems makes one data-order unit per reward-model item. An item's
// examples must share its query and be listed together.
func (t *Trainer) groupItems(examples []Example) error {
	seen := map[int]bool{}
	t.itemOfExample = make([]int, len(examples))
	for i, e := range examples {
		if i == 0 || e.Item != examples[i-1].Item {
			if seen[e.Item] {
				return fmt.Errorf("new trainer: example %d: item %d continues after other items (list each item's responses together)", i, e.Item)
			}
			seen[e.Item] = true
			t.items = append(t.items, rmItem{item: objective.RMItem{Adversarial: e.Adversarial}})
		}
		it := &t.items[len(t.items)-1]
		if first := it.examples; len(first) > 0 && (examples[first[0]].Query != e.Query || examples[first[0]].Adversarial != e.Adversarial) {
			return fmt.Errorf("new trainer: example %d: item %d mixes queries or kinds", i, e.Item)
		}
		it.examples = append(it.examples, i)
		it.item.Prefs = append(it.item.Prefs, e.Pref)
		t.itemOfExample[i] = len(t.items) - 1
	}
	for _, it := range t.items {
		t.units = append(t.units, it.examples)
	}
	return nil
}

// rmStep is a training step of the apo objective. APO's pair loss couples
// the responses of an item, so the step first scores the whole batch (no
// gradient), computes the loss and its gradient with respect to every
// score, then runs forward and backward per micro-batch with those fixed
// score gradients: the gradient is exact, whatever the micro-batching.
func (t *Trainer) rmStep(ctx context.Context, start time.Time, epochsBefore int, batch []int) (Metrics, error) {
	b, err := t.rmGradients(ctx, batch)
	if err != nil {
		return Metrics{}, fmt.Errorf("train step %d: %w", t.step+1, err)
	}
	norm, lr := t.update()
	mean := 0.0
	for _, s := range b.scores {
		for _, v := range s {
			mean += v / float64(len(batch))
		}
	}
	m := Metrics{
		Step: t.step, Epoch: t.epoch, Objective: t.cfg.Objective, Loss: b.loss,
		GradNorm: norm, LR: lr, Tokens: b.tokens, TokensPerSec: float64(b.tokens) / time.Since(start).Seconds(), Samples: len(batch), Score: mean,
	}
	if acc, ok := objective.PreferenceAccuracy(b.items, b.scores); ok {
		m.PrefAccuracy = &acc
	}
	if len(t.heldOut) > 0 && (t.epochsDone() > epochsBefore || t.step == t.cfg.Steps) {
		if m.HeldOut, err = t.EvaluateHeldOut(ctx); err != nil {
			return m, fmt.Errorf("train step %d: held-out evaluation: %w", t.step, err)
		}
		m.EpochsDone = t.epochsDone()
	}
	return m, nil
}

// epochsDone is the number of complete passes over the data so far (a
// step's batch may end one and begin the next).
func (t *Trainer) epochsDone() int {
	return (t.epoch*len(t.units) + t.cursor) / len(t.units)
}

// SetHeldOut sets the reward-model items (examples as for [New], each
// item's responses listed together) that the apo objective evaluates at
// the end of every epoch and of the run; see [Metrics.HeldOut].
func (t *Trainer) SetHeldOut(examples []Example) error {
	if t.cfg.Objective != ObjectiveAPO {
		return errors.New("held-out items are reward-model items, for the apo objective only")
	}
	t.seqs = t.seqs[:t.nTrain]
	t.heldOut = nil
	for i, e := range examples {
		if i == 0 || e.Item != examples[i-1].Item {
			t.heldOut = append(t.heldOut, rmItem{item: objective.RMItem{Adversarial: e.Adversarial}})
		}
		it := &t.heldOut[len(t.heldOut)-1]
		it.examples = append(it.examples, len(t.seqs))
		it.item.Prefs = append(it.item.Prefs, e.Pref)
		t.seqs = append(t.seqs, encode(t.vocab, e, t.params.Config.Context))
	}
	return nil
}

// EvaluateHeldOut scores the held-out items with the current weights;
// nil without held-out pairs.
func (t *Trainer) EvaluateHeldOut(ctx context.Context) (*RMEval, error) {
	var idx []int
	for _, it := range t.heldOut {
		idx = append(idx, it.examples...)
	}
	if len(idx) == 0 {
		return nil, nil
	}
	s, err := t.Scores(ctx, t.params, idx)
	if err != nil {
		return nil, err
	}
	items, scores := make([]objective.RMItem, len(t.heldOut)), make([][]float64, len(t.heldOut))
	k := 0
	for i, it := range t.heldOut {
		items[i], scores[i] = it.item, s[k:k+len(it.examples)]
		k += len(it.examples)
	}
	return EvaluateRM(items, scores), nil
}

// EvaluateRM is the preference accuracy and calibration error of scores
// on items; nil when they hold no preference pairs.
func EvaluateRM(items []objective.RMItem, scores [][]float64) *RMEval {
	acc, ok := objective.PreferenceAccuracy(items, scores)
	if !ok {
		return nil
	}
	ece, _ := objective.CalibrationError(items, scores, ECEBins)
	pairs := 0
	for _, it := range items {
		for _, a := range it.Prefs {
			for _, b := range it.Prefs {
				if a >= 0 && b >= 0 && a > b {
					pairs++
				}
			}
		}
	}
	return &RMEval{PrefAccuracy: acc, ECE: ece, Pairs: pairs}
}

// rmBatch is a scored reward-model batch.
type rmBatch struct {
	items  []objective.RMItem
	scores [][]float64
	loss   float64
	tokens int
}

// rmGradients scores the batch, then adds the gradient of the APO loss
// with respect to the weights to t.grads.
func (t *Trainer) rmGradients(ctx context.Context, batch []int) (rmBatch, error) {
	var b rmBatch
	scored, err := t.Scores(ctx, t.params, batch)
	if err != nil {
		return b, err
	}
	score := make(map[int]float64, len(batch))
	for i, ex := range batch {
		score[ex] = scored[i]
	}
	units := t.batchUnits(batch)
	for _, u := range units {
		it := t.items[u]
		s := make([]float64, len(it.examples))
		for k, ex := range it.examples {
			s[k] = score[ex]
		}
		b.items = append(b.items, it.item)
		b.scores = append(b.scores, s)
	}
	loss, grads, err := objective.APO(b.items, b.scores, *t.cfg.APO)
	if err != nil {
		return b, err
	}
	b.loss = loss
	gradOf := make(map[int]float64, len(batch))
	for i, u := range units {
		for k, ex := range t.items[u].examples {
			gradOf[ex] = grads[i][k]
		}
	}
	groups, lengths := t.microBatches(batch)
	for gi, g := range groups {
		if err := ctx.Err(); err != nil {
			return b, err
		}
		length := lengths[gi]
		r, err := t.runner(t.params, runnerKey{t.cfg.MicroBatch, length, t.scalar()}, true)
		if err != nil {
			return b, err
		}
		in, tg := t.fill(g, t.cfg.MicroBatch, length)
		if t.scalar() {
			_, _, err = r.RunScores(in, t.lengthsOf(g, t.cfg.MicroBatch), scalarGrads(g, gradOf))
		} else {
			_, _, err = r.Run(in, tg, t.likelihoodGrads(g, length, gradOf))
		}
		if err != nil {
			return b, err
		}
		if err := r.AddGrads(t.grads); err != nil {
			return b, err
		}
		for _, ex := range g {
			b.tokens += len(t.seqs[ex].inputs)
		}
	}
	return b, nil
}

// scalarGrads hands each row of micro-batch g the gradient of the loss
// with respect to its example's score (0 for padding rows).
func scalarGrads(g []int, gradOf map[int]float64) model.LossFunc {
	return func(s []float64) (float64, []float64, error) {
		grad := make([]float64, len(s))
		for row, ex := range g {
			grad[row] = gradOf[ex]
		}
		return 0, grad, nil
	}
}

// likelihoodGrads spreads the gradient with respect to each example's
// score, its mean response log-likelihood, over its response tokens.
func (t *Trainer) likelihoodGrads(g []int, length int, gradOf map[int]float64) model.LossFunc {
	return func(lp []float64) (float64, []float64, error) {
		grad := make([]float64, len(lp))
		for row, ex := range g {
			_, first, n := t.meanScore(lp, row, length, ex)
			for j := first; j < first+n; j++ {
				grad[j] = gradOf[ex] / float64(n)
			}
		}
		return 0, grad, nil
	}
}

// batchUnits lists the items of a batch, which nextBatch lays out item
// after item.
func (t *Trainer) batchUnits(batch []int) []int {
	var units []int
	for i := 0; i < len(batch); {
		u := t.itemOfExample[batch[i]]
		units = append(units, u)
		i += len(t.items[u].examples)
	}
	return units
}
