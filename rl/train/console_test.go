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
