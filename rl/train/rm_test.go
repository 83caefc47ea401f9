package train

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
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
	for _, score := range []string{ScoreLikelihood, ScoreScalar} {
		t.Run(score, func(t *testing.T) { apoLearnsPreferences(t, score) })
	}
}

func apoLearnsPreferences(t *testing.T, score string) {
	ctx := context.Background()
	ex := rmData()
	cfg := testConfig(ObjectiveAPO, 30)
	cfg.BatchSize, cfg.Score = 3, score // items per step
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
// loss through the sequence scores to the weights, for the likelihood and
// the scalar score: the accumulated gradient of a batch against central
// differences of the loss (the embedding matrix, and the scalar head), and
// its independence from the micro-batch size (5 leaves padding rows).
func TestAPOGradientMatchesFiniteDifferences(t *testing.T) {
	for _, score := range []string{ScoreLikelihood, ScoreScalar} {
		t.Run(score, func(t *testing.T) { apoGradientMatchesFiniteDifferences(t, score) })
	}
}

func apoGradientMatchesFiniteDifferences(t *testing.T, score string) {
	ctx := context.Background()
	ex := rmData()
	init := func() *checkpoint.Checkpoint {
		c := initCheckpoint(t, ex)
		if score == ScoreScalar {
			// A head larger than a new one's, so that the gradient reaching
			// the embedding stands well above the differences' noise.
			c.Params = model.WithScoreHead(c.Params, 3)
			for _, v := range [][]float32{c.Params.Tensors[len(c.Params.Tensors)-2].Data().([]float32)} {
				for j := range v {
					v[j] *= 25
				}
			}
		}
		return c
	}
	checkedTensors := []int{0}
	var grads [2][][]float32
	for k, micro := range []int{1, 5} {
		cfg := testConfig(ObjectiveAPO, 1)
		cfg.BatchSize, cfg.MicroBatch, cfg.Score = len(words), micro, score
		tr, err := New(ctx, cfg, init(), nil, ex)
		if err != nil {
			t.Fatal(err)
		}
		if score == ScoreScalar {
			n := len(tr.Params().Tensors)
			// Not the bias: pair losses depend on score differences only,
			// so its gradient is 0 (checked against the PyTorch golden in
			// rl/model).
			checkedTensors = []int{0, n - 2}
		}
		batch := tr.nextBatch()
		b, err := tr.rmGradients(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range checkedTensors {
			grads[k] = append(grads[k], append([]float32(nil), tr.grads[ti]...))
		}
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
		for _, ti := range checkedTensors {
			w := tr.Params().Tensors[ti].Data().([]float32)
			checked := 0
			for j := range w {
				if math.Abs(float64(tr.grads[ti][j])) < 1e-3 {
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
				if g := float64(tr.grads[ti][j]); math.Abs(fd-g) > 0.05*math.Abs(g)+1e-4 {
					t.Errorf("tensor %d weight %d: gradient %.6g, central difference %.6g", ti, j, g, fd)
				}
				if checked++; checked == 12 {
					break
				}
			}
			if want := min(12, len(w)); checked < want {
				t.Fatalf("tensor %d: only %d weights with a gradient to check", ti, checked)
			}
		}
		tr.Close()
	}
	for i := range grads[0] {
		for j := range grads[0][i] {
			if d := math.Abs(float64(grads[0][i][j] - grads[1][i][j])); d > 1e-5*(1+math.Abs(float64(grads[0][i][j]))) {
				t.Fatalf("tensor %d weight %d: gradient %g with micro-batch 1, %g with 5", checkedTensors[i], j, grads[0][i][j], grads[1][i][j])
			}
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
	cfg = testConfig(ObjectiveSFT, 1)
	cfg.Score = ScoreScalar
	if _, err := New(ctx, cfg, initCheckpoint(t, ex), nil, ex); err == nil || !strings.Contains(err.Error(), "apo objective only") {
		t.Errorf("the scalar score for sft: %v", err)
	}
}

// TestAPOHeldOut: with held-out items, the step that ends each epoch (and
// the last) carries their accuracy and ECE, as EvaluateRM computes them,
// and the console prints them.
func TestAPOHeldOut(t *testing.T) {
	ctx := context.Background()
	ex := rmData()
	cfg := testConfig(ObjectiveAPO, 5)
	cfg.BatchSize, cfg.Score = 4, ScoreScalar // items per step, of 6
	tr, err := New(ctx, cfg, initCheckpoint(t, ex), nil, ex)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := tr.SetHeldOut(ex[:6]); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	console := NewConsole(&out, 1)
	var evaluated []int
	for tr.Step() < tr.Total() {
		m, err := tr.TrainStep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.HeldOut != nil {
			evaluated = append(evaluated, m.Step)
			if m.HeldOut.Pairs != 3 || m.HeldOut.PrefAccuracy < 0 || m.HeldOut.PrefAccuracy > 1 || m.HeldOut.ECE < 0 || m.HeldOut.ECE > 1 {
				t.Errorf("step %d: held-out %+v", m.Step, *m.HeldOut)
			}
		}
		console.WriteMetrics(ctx, m)
	}
	// Steps take 4 items of 6, so the first epoch ends inside step 2, the
	// second with step 3 and the third with step 5, the last.
	if fmt.Sprint(evaluated) != "[2 3 5]" {
		t.Errorf("held-out evaluated after steps %v, want [2 3 5]", evaluated)
	}
	if strings.Count(out.String(), "held-out: acc") != 3 {
		t.Errorf("console:\n%s", out.String())
	}
	// Each held-out line names the epochs completed by then, once each:
	// the step ending the second epoch had begun it (its epoch column is
	// 1), so labelling the line by that column printed epoch 1 twice.
	for _, want := range []string{"3 pairs after epoch 1)", "3 pairs after epoch 2)", "3 pairs after epoch 3)"} {
		if strings.Count(out.String(), want) != 1 {
			t.Errorf("console lacks one %q:\n%s", want, out.String())
		}
	}
	got, err := tr.EvaluateHeldOut(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tr.Scores(ctx, tr.Params(), []int{0, 1, 2, 3, 4, 5})
	if err != nil {
		t.Fatal(err)
	}
	want := EvaluateRM([]objective.RMItem{tr.items[0].item, tr.items[1].item, tr.items[2].item}, [][]float64{s[0:2], s[2:4], s[4:6]})
	if *got != *want {
		t.Errorf("held-out %+v, the same items scored as training items %+v", *got, *want)
	}
}

// TestAPOStepsKeepTheirScorers: the apo objective scores every batch with
// the run's own weights before its step; the graphs that do so are built
// once per shape and kept, not built (and leaked) anew every step. The
// kept graphs score the weights as they stand: after the steps they give
// the scores a fresh graph gives.
func TestAPOStepsKeepTheirScorers(t *testing.T) {
	ctx := context.Background()
	ex := rmData()
	cfg := testConfig(ObjectiveAPO, 6)
	cfg.BatchSize, cfg.Score = 3, ScoreScalar
	tr, err := New(ctx, cfg, initCheckpoint(t, ex), nil, ex)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	kept := map[*model.Runner]bool{}
	for tr.Step() < tr.Total() {
		if _, err := tr.TrainStep(ctx); err != nil {
			t.Fatal(err)
		}
		for _, r := range tr.scorers {
			kept[r] = true
		}
	}
	if len(tr.scorers) == 0 || len(kept) != len(tr.scorers) {
		t.Errorf("%d scoring graphs over the steps for %d shapes; want one per shape, kept", len(kept), len(tr.scorers))
	}
	got, err := tr.Scores(ctx, tr.Params(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := tr.Scores(ctx, tr.Params().Clone(), nil) // another *Params: fresh graphs
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("example %d: kept graph scores %v, a fresh one %v", i, got[i], want[i])
		}
	}
}
