package judge

import (
	"encoding/json"
	"os"
	"testing"
)

// TestSpagGolden compares Spag and Plural with verdicts computed by an
// independent Python re-implementation of the reference's judging
// (testdata/spag_golden.py, which uses Python's own str.lower and re).
func TestSpagGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/spag_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Episodes []struct {
			Target    string `json:"target_word"`
			MaxTurns  int    `json:"max_turns"`
			History   []struct{ Role, Content string }
			Outcome   string `json:"outcome"`
			DecidedAt int    `json:"decided_at"`
		}
		Plurals []struct{ Word, Plural string }
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatalf("testdata/spag_golden.json: %v", err)
	}
	if len(golden.Episodes) < 100 || len(golden.Plurals) < 100 {
		t.Fatalf("golden file has %d episodes and %d plurals; regenerate it", len(golden.Episodes), len(golden.Plurals))
	}
	outcomes := map[string]Outcome{
		"attacker wins":             AttackerWins,
		"defender wins":             DefenderWins,
		"attacker breaks the rules": AttackerBrokeRules,
		"tied game":                 Tie,
	}
	j := NewSpag()
	for i, ep := range golden.Episodes {
		h := make([]Utterance, len(ep.History))
		for k, u := range ep.History {
			h[k] = Utterance{Role: u.Role, Text: u.Content}
		}
		v := j.Judge(ep.Target, ep.MaxTurns, h)
		if want := outcomes[ep.Outcome]; v.Outcome != want || v.DecidedAt != ep.DecidedAt {
			t.Errorf("episode %d (target %q, max_turns %d, history %q): got %s at %d, Python %s at %d",
				i, ep.Target, ep.MaxTurns, h, v.Outcome, v.DecidedAt, want, ep.DecidedAt)
		}
	}
	for _, p := range golden.Plurals {
		if got := Plural(p.Word); got != p.Plural {
			t.Errorf("Plural(%q) = %q, Python %q", p.Word, got, p.Plural)
		}
	}
}
