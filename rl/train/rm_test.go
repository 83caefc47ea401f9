package train

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/spag-go/spag/rl/objective"
)

// rmData pairs, for every word, the right answer (preferred) with a wrong
// one: a reward model must learn to score "w w" above "x".
func rmData() []Example {
	var ex []Example
	for i, w := range words {
		wrong := words[(i+1)%len(words)]
		q := "say " + w + ":"
		ex = append(ex,
			Example{Query: q, Target: w + " " + w, Weight: 1, Item: i, Pref: 1, Adversarial: true},
			Example{Query: q, Target: wrong, Weight: 1, Item: i, Pref: 0, Adversarial: true},
		)
	}
	return ex
}

// accuracy is the preference accuracy of params over the whole data.
func accuracy(t *testing.T, tr *Trainer) float64 {
	t.Helper()
	s, err := tr.Scores(context.Background(), tr.Params(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var items []objective.RMItem
	var scores [][]float64
	for _, it := range tr.items {
		var sc []float64
		for _, ex := range it.examples {
			sc = append(sc, s[ex])
		}
		items = append(items, it.item)
		scores = append(scores, sc)
	}
	acc, _ := objective.PreferenceAccuracy(items, scores)
	return acc
}

func TestAPOLearnsPreferences(t *testing.T) {
	ctx := context.Background()
	ex := rmData()
	cfg := testConfig(ObjectiveAPO, 30)
	cfg.BatchSize = 3 // items per step
	tr, err := New(ctx, cfg, initCheckpoint(t, ex), nil, ex)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	before := accuracy(t, tr)
	var first, last Metrics
	for tr.Step() < tr.Total() {
		m, err := tr.TrainStep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Samples != 6 || m.PrefAccuracy == nil {
			t.Fatalf("step %d: %d samples (want 3 items of 2), accuracy %v", m.Step, m.Samples, m.PrefAccuracy)
		}
		if m.Step == 1 {
			first = m
		}
		last = m
	}
	after := accuracy(t, tr)
	t.Logf("accuracy %.2f -> %.2f, loss %.4f -> %.4f", before, after, first.Loss, last.Loss)
	if after != 1 || !(last.Loss < first.Loss/2) {
		t.Errorf("accuracy %.2f -> %.2f, loss %.4f -> %.4f: the reward model did not learn the preferences", before, after, first.Loss, last.Loss)
	}
}

// TestAPOGradientMatchesFiniteDifferences checks the chain from the APO
// loss through the sequence scores to the weights: the accumulated
// gradient of a batch against central differences of the loss, and its
// independence from the micro-batch size.
func TestAPOGradientMatchesFiniteDifferences(t *testing.T) {
	ctx := context.Background()
	ex := rmData()
	var grads [2][]float32
	for k, micro := range []int{1, 4} {
		cfg := testConfig(ObjectiveAPO, 1)
		cfg.BatchSize, cfg.MicroBatch = len(words), micro
		tr, err := New(ctx, cfg, initCheckpoint(t, ex), nil, ex)
		if err != nil {
			t.Fatal(err)
		}
		batch := tr.nextBatch()
		b, err := tr.rmGradients(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		// The embedding matrix: tensor 0.
		grads[k] = append([]float32(nil), tr.grads[0]...)
		if k == 1 {
			tr.Close()
			break
		}
		lossAt := func() float64 {
			s, err := tr.Scores(ctx, tr.Params(), batch)
			if err != nil {
				t.Fatal(err)
			}
			score := map[int]float64{}
			for i, e := range batch {
				score[e] = s[i]
			}
			var scores [][]float64
			for _, u := range tr.batchUnits(batch) {
				var sc []float64
				for _, e := range tr.items[u].examples {
					sc = append(sc, score[e])
				}
				scores = append(scores, sc)
			}
			l, _, err := objective.APO(b.items, scores, *cfg.APO)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		w := tr.Params().Tensors[0].Data().([]float32)
		checked := 0
		for j := range w {
			if math.Abs(float64(tr.grads[0][j])) < 1e-3 {
				continue // rows of tokens the batch does not use, or tiny
			}
			const h = 1e-2
			old := w[j]
			w[j] = old + h
			up := lossAt()
			w[j] = old - h
			down := lossAt()
			w[j] = old
			fd := (up - down) / (2 * h)
			if g := float64(tr.grads[0][j]); math.Abs(fd-g) > 0.05*math.Abs(g)+1e-4 {
				t.Errorf("weight %d: gradient %.6g, central difference %.6g", j, g, fd)
			}
			if checked++; checked == 12 {
				break
			}
		}
		if checked < 12 {
			t.Fatalf("only %d weights with a gradient to check", checked)
		}
		tr.Close()
	}
	for j := range grads[0] {
		if d := math.Abs(float64(grads[0][j] - grads[1][j])); d > 1e-5*(1+math.Abs(float64(grads[0][j]))) {
			t.Fatalf("weight %d: gradient %g with micro-batch 1, %g with 4", j, grads[0][j], grads[1][j])
		}
	}
}

func TestAPODataErrors(t *testing.T) {
	ctx := context.Background()
	ex := rmData()
	split := append(append(append([]Example(nil), ex[0]), ex[2]), ex[1])
	if _, err := New(ctx, testConfig(ObjectiveAPO, 1), initCheckpoint(t, ex), nil, split); err == nil || !strings.Contains(err.Error(), "continues after other items") {
		t.Errorf("an item split by another: %v", err)
	}
	mixed := append([]Example(nil), ex[:2]...)
	mixed[1].Query = "other"
	if _, err := New(ctx, testConfig(ObjectiveAPO, 1), initCheckpoint(t, ex), nil, mixed); err == nil || !strings.Contains(err.Error(), "mixes queries") {
		t.Errorf("an item with two queries: %v", err)
	}
	cfg := testConfig(ObjectiveSFT, 1)
	cfg.APO = testConfig(ObjectiveAPO, 1).APO
	if _, err := New(ctx, cfg, initCheckpoint(t, ex), nil, ex); err == nil {
		t.Error("apo coefficients accepted for sft")
	}
}
