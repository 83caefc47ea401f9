package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPOScalarRewardModel trains the scalar reward model (a scalar head on
// the tiny model) with held-out items, which the metrics report at the end
// of every epoch, and plays it as the APO game's reward model.
func TestAPOScalarRewardModel(t *testing.T) {
	dir := rewardModelItems(t)
	r := spag(t, dir, "train", "--objective", "apo", "--score", "scalar", "--data", "items.jsonl", "--heldout", "items.jsonl",
		"--init", "tiny.ckpt", "--epochs", "3", "--batch-size", "4", "--lr", "3e-3", "--warmup", "0", "--out", "rm.ckpt", "--db", "", "--metrics", "m.jsonl")
	if r.code != 0 {
		t.Fatalf("train: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "held-out: acc") {
		t.Errorf("train printed no held-out metrics:\n%s", r.stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "m.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var evals []float64
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var m struct {
			HeldOut *struct {
				Acc float64 `json:"pref_accuracy"`
				ECE float64 `json:"ece"`
			} `json:"heldout"`
		}
		mustJSON(t, line, &m)
		if m.HeldOut != nil {
			evals = append(evals, m.HeldOut.Acc)
		}
	}
	if len(evals) != 3 {
		t.Errorf("%d held-out evaluations in 3 epochs: %s", len(evals), raw)
	}
	if r := spag(t, dir, "apo", "--prompts", "sub.jsonl", "--reward-model", "scalar:tiny.ckpt", "--db", "x.db"); r.code == 0 || !strings.Contains(r.stderr, "no scalar head") {
		t.Errorf("a checkpoint without a head as scalar: exit %d\n%s", r.code, r.stderr)
	}
	gold := goldPreferred(t, dir, "scalar:rm.ckpt")
	t.Logf("held-out accuracy by epoch %v; gold preferred %.2f", evals, gold)
	if gold < 0.9 {
		t.Errorf("gold preferred by the trained scalar reward model %.2f", gold)
	}
}
