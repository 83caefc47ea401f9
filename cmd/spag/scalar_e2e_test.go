package main

import (
	"fmt"
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
	if r.Code != 0 {
		t.Fatalf("train: exit %d\n%s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "held-out: acc") {
		t.Errorf("train printed no held-out metrics:\n%s", r.Stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "m.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var evals []float64
	var lastECE float64
	pairs := 0
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var m struct {
			HeldOut *struct {
				Acc   float64 `json:"pref_accuracy"`
				ECE   float64 `json:"ece"`
				Pairs int     `json:"pairs"`
			} `json:"heldout"`
		}
		mustJSON(t, line, &m)
		if m.HeldOut != nil {
			evals, lastECE, pairs = append(evals, m.HeldOut.Acc), m.HeldOut.ECE, m.HeldOut.Pairs
		}
	}
	if len(evals) != 3 {
		t.Fatalf("%d held-out evaluations in 3 epochs: %s", len(evals), raw)
	}
	// spag apo evaluate scores the saved model as training scored it at
	// the end, and a likelihood model (no head) in its own way.
	ev := spag(t, dir, "apo", "evaluate", "--reward-model", "rm.ckpt", "--items", "items.jsonl", "--items", "items.jsonl")
	want := fmt.Sprintf("items.jsonl: %d pairs, accuracy %.4f, ECE %.4f\n", pairs, evals[2], lastECE)
	if ev.Code != 0 || ev.Stdout != want+want {
		t.Errorf("apo evaluate: exit %d, %q; want %q twice\n%s", ev.Code, ev.Stdout, want, ev.Stderr)
	}
	if ev := spag(t, dir, "apo", "evaluate", "--reward-model", "tiny.ckpt", "--items", "items.jsonl"); ev.Code != 0 || !strings.Contains(ev.Stdout, fmt.Sprintf("items.jsonl: %d pairs, accuracy ", pairs)) {
		t.Errorf("apo evaluate of a likelihood model: exit %d, %q\n%s", ev.Code, ev.Stdout, ev.Stderr)
	}
	if ev := spag(t, dir, "apo", "evaluate", "--items", "items.jsonl"); ev.Code != 2 || !strings.Contains(ev.Stderr, "give --reward-model CKPT") {
		t.Errorf("apo evaluate without a model: exit %d, %q", ev.Code, ev.Stderr)
	}
	if r := spag(t, dir, "apo", "--prompts", "sub.jsonl", "--reward-model", "scalar:tiny.ckpt", "--db", "x.db"); r.Code == 0 || !strings.Contains(r.Stderr, "no scalar head") {
		t.Errorf("a checkpoint without a head as scalar: exit %d\n%s", r.Code, r.Stderr)
	}
	gold := goldPreferred(t, dir, "scalar:rm.ckpt")
	t.Logf("held-out accuracy by epoch %v; gold preferred %.2f", evals, gold)
	if gold < 0.9 {
		t.Errorf("gold preferred by the trained scalar reward model %.2f", gold)
	}
}
