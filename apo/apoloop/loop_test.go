package apoloop

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/spag-go/spag/apo/likelihood"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/loop/looptest"
	_ "github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/selfplay"
)

// TestLoopResumesAfterAFailedTraining runs a two-round APO loop of tiny
// models in process with a fake trainer that fails the first time: the
// error names round 1's reward-model training, and the resumed loop
// finishes both rounds without playing a finished run again, round 2
// starting from round 1's models and taking over its baseline.
func TestLoopResumesAfterAFailedTraining(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Chdir(dir)
	tinyCheckpoint(t, "gen.ckpt", false)
	tinyCheckpoint(t, "rm.ckpt", true)
	item := `{"query": "What does the word \"cat\" mean?", "responses": ["a domesticated animal", "a stream of water"], "prefs": [1, 0]}` + "\n"
	if err := os.WriteFile("prefs.jsonl", []byte(item), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := goodConfig()
	cfg.Queries, cfg.Samples, cfg.EvalQueries, cfg.RM.Steps, cfg.Gen.Steps, cfg.MaxResponseBytes = 2, 2, 2, 1, 1, 40
	if err := cfg.Prepare(); err != nil {
		t.Fatal(err)
	}
	tr := &looptest.Trainer{Fail: true}
	var log bytes.Buffer
	env := &Env{Session: &selfplay.Session{Path: filepath.Join(dir, "apo.db")}, Trainer: tr, Log: &log, CodeVersion: "test"}
	defer env.Session.Close()
	l, err := Start(ctx, env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	resumed := looptest.FailThenResume(t, tr, l, l.Store, l.ID, StageRMTrain, "round 1 rm-train: reward model training: fake training failed",
		func(rec *episodes.Loop) (*Loop, error) { return Resume(ctx, env, rec) })
	defer resumed.Close()
	states, err := resumed.States(ctx)
	if err != nil || len(states) != 2 {
		t.Fatalf("states %+v, %v", states, err)
	}
	if states[1].Generator != states[0].NewGenerator || states[1].RewardModel != states[0].NewRewardModel || states[1].BaselineRun != "" ||
		states[1].Baseline == nil || states[1].Measures == nil {
		t.Errorf("round 2 %+v; want it from round 1's models, with round 1's baseline", states[1])
	}
	if tr.Trained != 4 {
		t.Errorf("%d trainings; want 4, two models in two rounds", tr.Trained)
	}
	if n := strings.Count(log.String(), "round 1: answers for the reward model"); n != 1 {
		t.Errorf("round 1's answers began %d times; want once:\n%s", n, log.String())
	}
	results, err := resumed.Results(ctx)
	if err != nil || len(results) == 0 {
		t.Errorf("results %v, %v", results, err)
	}
}
