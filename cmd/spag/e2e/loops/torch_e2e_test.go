package loops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/internal/torchtest"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/hf"
)

// TestIterateTorchTrainer runs a two-round loop whose trainer is
// examples/torch/train.py with two DDP workers, kills spag while the
// trainer runs and resumes it: the loop completes, and round 2 plays the
// policy the trainer returned as a Hugging Face directory (imported as
// round 1's checkpoint).
func TestIterateTorchTrainer(t *testing.T) {
	torchtest.Require(t)
	script, err := filepath.Abs("../../../../examples/torch/train.py")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	start := []string{"iterate", "--rounds", "2", "--games", "6", "--eval-games", "4", "--steps", "2", "--batch-size", "2",
		"--out", "loop", "--db", "it.db", "--seed", "3", "--concurrency", "4", "--max-turns", "3",
		"--trainer", "exec:exec " + torchtest.Python + " " + script + " --nproc 2"}
	startUntil(t, dir, "train: running exec:", start...)
	// Two rounds of PyTorch training and an arena: minutes on a loaded
	// machine; the limit only bounds a hung loop.
	r := spag(t, dir, "iterate", "--db", "it.db", "--resume", "latest", "--concurrency", "4")
	if r.Code != 0 {
		t.Fatalf("resume: exit %d, stderr %s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "round 2: self-play of native:"+filepath.Join(dir, "loop", "round-1", "policy.ckpt")) {
		t.Fatalf("round 2 did not play round 1's policy: %s", r.Stderr)
	}
	played, err := checkpoint.Load(filepath.Join(dir, "loop", "round-1", "policy.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	returned, err := hf.Import(filepath.Join(dir, "loop", "round-1", "policy.hf"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := checkpoint.WeightsDigest(played.Params)
	b, _ := checkpoint.WeightsDigest(returned.Params)
	if a != b {
		t.Fatalf("round 1's checkpoint %s is not the directory the trainer returned (%s)", a, b)
	}
	for _, round := range []string{"round-1", "round-2"} {
		if _, err := os.Stat(filepath.Join(dir, "loop", round, "policy.ckpt")); err != nil {
			t.Errorf("%s: %v", round, err)
		}
	}
}
