package objective

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

type golden struct {
	SFT []struct {
		L, Ref, Weight []float64
		Beta, Loss     float64
		Grad           []float64
	}
	SPAG []struct {
		L, Ref, Reward, Weight []float64
		SFT                    []bool
		Beta, Eps, Alpha, Loss float64
		Grad                   []float64
		ClipFrac               float64 `json:"clip_frac"`
	}
	VAR []struct {
		L, Ref, Reward []float64
		Group          []string
		Lam, Loss      float64
		Grad           []float64
	}
	ZeroSum []struct {
		L, Old, Ref, Reward, Weight []float64
		SFT                         []bool
		Beta, Eps, Alpha, Loss      float64
		Grad                        []float64
		ClipFrac                    float64 `json:"clip_frac"`
	}
	APO []struct {
		Prefs       [][]float64
		Adversarial []bool
		Gamma, Mu   float64
		M           int
		Scores      [][]float64
		Loss        float64
		Grad        [][]float64
	}
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	data, err := os.ReadFile("testdata/objectives_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.SFT) == 0 || len(g.SPAG) == 0 || len(g.VAR) == 0 || len(g.APO) == 0 || len(g.ZeroSum) == 0 {
		t.Fatal("golden file lacks cases")
	}
	return g
}

const relTol = 1e-5

func assertClose(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > relTol*math.Max(1e-8, math.Abs(want)) && math.Abs(got-want) > 1e-12 {
		t.Errorf("%s = %.12g, want %.12g", what, got, want)
	}
}

// checkObjective compares value and gradient with the golden ones and with
// central differences of f itself.
func checkObjective(t *testing.T, f func(l []float64) (Result, error), l []float64, wantLoss float64, wantGrad []float64) Result {
	t.Helper()
	res, err := f(l)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "loss", res.Loss, wantLoss)
	sum := 0.0
	for _, v := range res.Terms {
		sum += v
	}
	assertClose(t, "sum of terms", sum, wantLoss)
	for i := range wantGrad {
		assertClose(t, fmt.Sprintf("grad[%d]", i), res.Grad[i], wantGrad[i])
	}
	const h = 1e-6
	for i := range l {
		x := append([]float64(nil), l...)
		x[i] = l[i] + h
		up, err := f(x)
		if err != nil {
			t.Fatal(err)
		}
		x[i] = l[i] - h
		down, err := f(x)
		if err != nil {
			t.Fatal(err)
		}
		num := (up.Loss - down.Loss) / (2 * h)
		if math.Abs(num-res.Grad[i]) > 1e-6*math.Max(1, math.Abs(num)) {
			t.Errorf("central difference grad[%d] = %.9g, analytic %.9g", i, num, res.Grad[i])
		}
	}
	return res
}

func TestSFTMatchesTorch(t *testing.T) {
	for n, c := range loadGolden(t).SFT {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s := make([]Sample, len(c.L))
			for i := range s {
				s[i] = Sample{Weight: c.Weight[i], Ref: c.Ref[i]}
			}
			checkObjective(t, func(l []float64) (Result, error) { return SFT(l, s, c.Beta) }, c.L, c.Loss, c.Grad)
		})
	}
}

func TestSPAGMatchesTorch(t *testing.T) {
	for n, c := range loadGolden(t).SPAG {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s := make([]Sample, len(c.L))
			for i := range s {
				s[i] = Sample{Weight: c.Weight[i], Ref: c.Ref[i], Reward: c.Reward[i], SFT: c.SFT[i]}
			}
			p := SPAGParams{Beta: c.Beta, Eps: c.Eps, Alpha: c.Alpha}
			res := checkObjective(t, func(l []float64) (Result, error) { return SPAG(l, s, p) }, c.L, c.Loss, c.Grad)
			assertClose(t, "clip fraction", res.ClipFrac, c.ClipFrac)
		})
	}
}

func TestZeroSumMatchesTorch(t *testing.T) {
	for n, c := range loadGolden(t).ZeroSum {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s := make([]Sample, len(c.L))
			for i := range s {
				s[i] = Sample{Weight: c.Weight[i], Ref: c.Ref[i], Old: c.Old[i], Reward: c.Reward[i], SFT: c.SFT[i]}
			}
			p := ZeroSumParams{Beta: c.Beta, Eps: c.Eps, Alpha: c.Alpha}
			res := checkObjective(t, func(l []float64) (Result, error) { return ZeroSum(l, s, p) }, c.L, c.Loss, c.Grad)
			assertClose(t, "clip fraction", res.ClipFrac, c.ClipFrac)
		})
	}
}

// TestZeroSumDirection: the clip is against the policy that played (Old),
// not the reference: a loss pushes a sample down until its ratio to Old
// leaves the clip range, and then only the KL penalty acts, pulling it
// back up towards the reference (where SPAG's penalised samples ran away).
func TestZeroSumDirection(t *testing.T) {
	tests := []struct {
		name        string
		l, old, ref float64
		adv, beta   float64
		wantSign    float64 // sign of dL/dl (negative: descent raises l)
	}{
		{"win inside the clip range", -1, -1, -1, 1, 0, -1},
		{"loss inside the clip range", -1, -1, -1, -1, 0, 1},
		{"loss below the range, no penalty: stops", -1 + math.Log(0.7), -1, -1, -1, 0, 0},
		{"loss below the range, penalty pulls back up", -1 + math.Log(0.7), -1, -1, -1, 0.1, -1},
		{"win above the range: stops", -1 + math.Log(1.3), -1, -1 + math.Log(1.3), 1, 0.1, 0},
		{"clip is against old, not ref", -1, -1, -0.5, -1, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ZeroSum([]float64{tc.l}, []Sample{{Weight: 1, Reward: tc.adv, Old: tc.old, Ref: tc.ref}}, ZeroSumParams{Beta: tc.beta, Eps: 0.2})
			if err != nil {
				t.Fatal(err)
			}
			g := res.Grad[0]
			switch {
			case tc.wantSign == 0 && math.Abs(g) > 1e-15:
				t.Errorf("gradient %v, want 0", g)
			case tc.wantSign != 0 && g*tc.wantSign <= 0:
				t.Errorf("gradient %v, want sign %v", g, tc.wantSign)
			}
		})
	}
}

// TestZeroSumKLIsK3: with no advantage the loss is beta times the k3
// estimate, zero exactly at the reference and positive on both sides.
func TestZeroSumKLIsK3(t *testing.T) {
	for _, d := range []float64{-0.5, 0, 0.3} {
		res, err := ZeroSum([]float64{-1 + d}, []Sample{{Weight: 1, Old: -1 + d, Ref: -1}}, ZeroSumParams{Beta: 2, Eps: 0.2})
		if err != nil {
			t.Fatal(err)
		}
		want := 2 * (math.Exp(-d) + d - 1)
		if math.Abs(res.Loss-want) > 1e-15 || (d != 0) != (res.Loss > 0) {
			t.Errorf("l - r = %v: loss %v, want %v", d, res.Loss, want)
		}
	}
}

func TestVARMatchesTorch(t *testing.T) {
	for n, c := range loadGolden(t).VAR {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s := make([]Sample, len(c.L))
			for i := range s {
				s[i] = Sample{Ref: c.Ref[i], Reward: c.Reward[i], Group: c.Group[i]}
			}
			checkObjective(t, func(l []float64) (Result, error) { return VAR(l, s, c.Lam) }, c.L, c.Loss, c.Grad)
		})
	}
}

func TestAPOMatchesTorch(t *testing.T) {
	for n, c := range loadGolden(t).APO {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			items := make([]RMItem, len(c.Prefs))
			for i := range items {
				items[i] = RMItem{Prefs: c.Prefs[i], Adversarial: c.Adversarial[i]}
			}
			p := APOParams{Gamma: c.Gamma, Mu: c.Mu, Samples: c.M}
			loss, grad, err := APO(items, c.Scores, p)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, "loss", loss, c.Loss)
			const h = 1e-6
			for i := range grad {
				for j := range grad[i] {
					assertClose(t, fmt.Sprintf("grad[%d][%d]", i, j), grad[i][j], c.Grad[i][j])
					orig := c.Scores[i][j]
					c.Scores[i][j] = orig + h
					up, _, _ := APO(items, c.Scores, p)
					c.Scores[i][j] = orig - h
					down, _, _ := APO(items, c.Scores, p)
					c.Scores[i][j] = orig
					if num := (up - down) / (2 * h); math.Abs(num-grad[i][j]) > 1e-6 {
						t.Errorf("central difference grad[%d][%d] = %g, analytic %g", i, j, num, grad[i][j])
					}
				}
			}
		})
	}
}

// TestSPAGDirection: the gradient raises positively rewarded responses and
// lowers negatively rewarded ones, and with beta = 0 clipping stops the
// update once the ratio has left the clip range in the rewarded direction.
func TestSPAGDirection(t *testing.T) {
	p := SPAGParams{Beta: 0, Eps: 0.2, Alpha: 0.5}
	tests := []struct {
		name     string
		kl       float64 // l - r
		reward   float64
		wantSign float64 // sign of dL/dl (negative: descent raises l)
	}{
		{"positive reward inside", 0, 1, -1},
		{"negative reward inside", 0, -1, 1},
		{"positive reward above range", math.Log(1.3), 1, 0},
		{"negative reward below range", math.Log(0.7), -1, 0},
		{"positive reward below range still pushes", math.Log(0.7), 1, -1},
		{"negative reward above range still pushes", math.Log(1.3), -1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := SPAG([]float64{-1 + tc.kl}, []Sample{{Weight: 1, Reward: tc.reward, Ref: -1}}, p)
			if err != nil {
				t.Fatal(err)
			}
			g := res.Grad[0]
			switch {
			case tc.wantSign == 0 && g != 0:
				t.Errorf("gradient %v, want 0 (clipped)", g)
			case tc.wantSign != 0 && g*tc.wantSign <= 0:
				t.Errorf("gradient %v, want sign %v", g, tc.wantSign)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	if _, err := SFT([]float64{1}, nil, 0.1); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := SPAG(nil, nil, DefaultSPAG()); err == nil {
		t.Error("empty batch accepted")
	}
	if _, err := VAR([]float64{math.NaN()}, []Sample{{}}, 1); err == nil {
		t.Error("NaN score accepted")
	}
	if _, err := VAR([]float64{-1}, []Sample{{}}, 0); err == nil {
		t.Error("lambda 0 accepted")
	}
	if _, _, err := APO([]RMItem{{Prefs: []float64{1, 0}}}, [][]float64{{1}}, DefaultAPO()); err == nil {
		t.Error("APO score/preference mismatch accepted")
	}
}

func TestPreferenceMetrics(t *testing.T) {
	items := []RMItem{{Prefs: []float64{2, 1, 0, -1}}, {Prefs: []float64{0, 1}}}
	scores := [][]float64{{3, 1, 2, 100}, {0, 5}}
	acc, ok := PreferenceAccuracy(items, scores)
	// pairs: (0>1 ok) (0>2 ok) (1>2 wrong) (1 over 0 in item 2 ok) => 3/4
	if !ok || acc != 0.75 {
		t.Errorf("accuracy %v, %v; want 0.75", acc, ok)
	}
	ece, ok := CalibrationError([]RMItem{{Prefs: []float64{1, 0}}}, [][]float64{{0, 0}}, 10)
	// One pair that the model cannot tell apart: confidence 0.5 either way,
	// right in one orientation of two. Calibrated: ECE 0.
	if !ok || math.Abs(ece) > 1e-12 {
		t.Errorf("ECE %v, %v; want 0", ece, ok)
	}
	// Certain and always right: calibrated; certain and always wrong: ECE 1.
	for _, tc := range []struct {
		scores []float64
		want   float64
	}{{[]float64{40, 0}, 0}, {[]float64{0, 40}, 1}} {
		if ece, ok := CalibrationError([]RMItem{{Prefs: []float64{1, 0}}}, [][]float64{tc.scores}, 10); !ok || math.Abs(ece-tc.want) > 1e-9 {
			t.Errorf("scores %v: ECE %v, %v; want %v", tc.scores, ece, ok, tc.want)
		}
	}
	if _, ok := PreferenceAccuracy([]RMItem{{Prefs: []float64{1, -1}}}, [][]float64{{0, 0}}); ok {
		t.Error("accuracy without pairs reported ok")
	}
}

func ExampleSPAG() {
	// One game sample whose response won (reward +1) and one imitation sample.
	l := []float64{-1.0, -2.0}
	s := []Sample{{Weight: 1, Reward: 1, Ref: -1.0}, {Weight: 1, SFT: true}}
	res, err := SPAG(l, s, DefaultSPAG())
	if err != nil {
		panic(err)
	}
	fmt.Printf("loss %.3f grad %.3f %.3f\n", res.Loss, res.Grad[0], res.Grad[1])
	// Output: loss 0.000 grad -0.800 -0.500
}

// TestCalibrationErrorBins checks the ECE over several bins by hand. Each
// pair counts as (q, outcome) and (1 - q, 1 - outcome):
//
//	item 1, prefs (1, 0), scores (ln 3, 0):   q = 0.75 -> (0.75, 1) bin 7, (0.25, 0) bin 2
//	item 2, prefs (1, 0), scores (ln 19, 0):  q = 0.95 -> (0.95, 1) bin 9, (0.05, 0) bin 0
//	item 3, prefs (0, 1), scores (ln 19, 0):  q = 0.95 -> (0.95, 0) bin 9, (0.05, 1) bin 0
//	item 4, prefs (1, 0, 1, -1), scores (ln 3, 0, ln 3, 9):
//	  (0,1) q = 0.75, a preferred -> (0.75, 1) bin 7, (0.25, 0) bin 2;
//	  (0,2) a tie, skipped;
//	  (1,2) q = 0.25, b preferred -> (0.25, 0) bin 2, (0.75, 1) bin 7;
//	  slot 3 is padding.
//
// Ten bins, 10 points: bins 7 and 2 hold 3 each, |1 - 0.75| and |0 -
// 0.25|; bins 9 and 0 hold 2 each, |0.5 - 0.95| and |0.5 - 0.05|: ECE =
// (3·0.25 + 3·0.25 + 2·0.45 + 2·0.45)/10 = 0.33. One bin: mean outcome and
// mean confidence are both 0.5 (the orientations mirror): ECE 0.
func TestCalibrationErrorBins(t *testing.T) {
	ln3 := math.Log(3)
	ln19 := math.Log(19)
	items := []RMItem{{Prefs: []float64{1, 0}}, {Prefs: []float64{1, 0}}, {Prefs: []float64{0, 1}}, {Prefs: []float64{1, 0, 1, -1}}}
	scores := [][]float64{{ln3, 0}, {ln19, 0}, {ln19, 0}, {ln3, 0, ln3, 9}}
	if ece, ok := CalibrationError(items, scores, 10); !ok || math.Abs(ece-0.33) > 1e-12 {
		t.Errorf("ECE over 10 bins %v, %v; want 0.33", ece, ok)
	}
	if ece, ok := CalibrationError(items, scores, 1); !ok || math.Abs(ece) > 1e-12 {
		t.Errorf("ECE over 1 bin %v, %v; want 0", ece, ok)
	}
	if _, ok := CalibrationError(items, scores, 0); ok {
		t.Error("ECE with no bins reported ok")
	}
}

// TestCalibrationErrorIgnoresOrder: listing an item's responses in another
// order (with their preferences and scores) does not change the ECE.
func TestCalibrationErrorIgnoresOrder(t *testing.T) {
	items := []RMItem{{Prefs: []float64{1, 0, 0}}, {Prefs: []float64{1, 0}}}
	scores := [][]float64{{0.3, 1.2, -2}, {2.5, 0.1}}
	swapped := []RMItem{{Prefs: []float64{0, 0, 1}}, {Prefs: []float64{0, 1}}}
	swappedScores := [][]float64{{-2, 1.2, 0.3}, {0.1, 2.5}}
	a, okA := CalibrationError(items, scores, 10)
	b, okB := CalibrationError(swapped, swappedScores, 10)
	if !okA || !okB || math.Abs(a-b) > 1e-12 {
		t.Errorf("ECE %v in one order, %v in the other", a, b)
	}
}
