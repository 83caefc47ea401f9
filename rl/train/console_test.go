package train

import (
	"context"
	"strings"
	"testing"
)

// TestConsolePrintsTheLastStep: with 25 steps and a line every 10, the
// console shows steps 1, 10, 20 and the last one, 25.
func TestConsolePrintsTheLastStep(t *testing.T) {
	var out strings.Builder
	c := NewConsole(&out, 10)
	c.Last = 25
	for step := 1; step <= 25; step++ {
		if err := c.WriteMetrics(context.Background(), Metrics{Step: step}); err != nil {
			t.Fatal(err)
		}
	}
	var steps []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		steps = append(steps, strings.Fields(line)[1])
	}
	if got := strings.Join(steps, " "); got != "1 10 20 25" {
		t.Errorf("printed steps %s, want 1 10 20 25", got)
	}
}

// TestConsolePrintsEveryHeldOutEvaluation: an epoch that ends between two
// logged steps still shows its held-out evaluation, with its step's line.
func TestConsolePrintsEveryHeldOutEvaluation(t *testing.T) {
	var out strings.Builder
	c := NewConsole(&out, 10)
	c.Last = 25
	for step := 1; step <= 25; step++ {
		m := Metrics{Step: step, Epoch: (step-1)/7 + 1}
		if step%7 == 0 { // the end of an epoch of 7 steps
			m.HeldOut = &RMEval{PrefAccuracy: 0.5, Pairs: 4}
		}
		if err := c.WriteMetrics(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(out.String(), "held-out"); n != 3 {
		t.Errorf("printed %d held-out evaluations, want 3 (steps 7, 14, 21):\n%s", n, out.String())
	}
	for _, step := range []string{"step     7", "step    14", "step    21"} {
		if !strings.Contains(out.String(), step) {
			t.Errorf("no line of the evaluated %s:\n%s", step, out.String())
		}
	}
}
