package kuhnloop

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/spag-go/spag/rl/trainer"
	"github.com/spag-go/spag/selfplay"
)

// learning is the size of the learning test's loop.
type learning struct {
	sftSteps, hands, steps, rounds int
	seed                           uint64
	lr                             float64
}

// learn runs a loop of l's size with trainer tr from a small model that
// knows only the rules, and returns the exploitability of each round
// from round 0.
func learn(t *testing.T, l learning, tr trainer.Trainer) []float64 {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfg := config(dir, rulesModel(t, dir, l.sftSteps))
	cfg.Rounds, cfg.Hands, cfg.EvalHands, cfg.Seed = l.rounds, l.hands, 0, l.seed
	cfg.Train.Steps, cfg.Train.LR = l.steps, l.lr
	if err := cfg.Prepare(); err != nil {
		t.Fatal(err)
	}
	env := &Env{Session: &selfplay.Session{Path: filepath.Join(dir, "kuhn.db")}, Trainer: tr, CodeVersion: "test"}
	defer env.Session.Close()
	lp, err := Start(ctx, env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer lp.Close()
	if err := lp.Run(ctx); err != nil {
		t.Fatal(err)
	}
	ps, err := lp.Points(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = p.Exploitability
	}
	return out
}

// margin is how far below the starting model's exploitability the
// learning test wants round 1's. With the loop's defaults (max_tokens=3
// at play) seeds 1 to 4 reached 0.4223, 0.3858, 0.4340 and 0.4473 from
// 0.4699, falls of 0.023 to 0.084; another CPU's kernels sum in another
// order and may land anywhere in that spread, so the margin sits below
// its smallest fall, while a round that does not train stays exactly
// where it started.
const margin = 0.01

// TestLearning: one self-play round at a small size brings a small model
// that knows only the rules closer to optimal play, by more than the
// margin. It fails when training is disabled (a trainer that copies the
// model leaves the exploitability where it was).
func TestLearning(t *testing.T) {
	if raceEnabled {
		t.Skip("more than 10 minutes under the race detector on the shared machine; the loop's code runs under it in TestLoopResumesAfterAFailedTraining")
	}
	ex := learn(t, learning{sftSteps: 60, hands: 600, steps: 60, rounds: 1, seed: 1, lr: 3e-3}, trainer.Native{})
	t.Logf("exploitability per round from the start: %.4f", ex)
	if len(ex) != 2 || !(ex[1] <= ex[0]-margin) {
		t.Errorf("exploitability %.4f; want round 1's at least %.2f below round 0's", ex, margin)
	}
}
