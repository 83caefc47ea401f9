package tabooloop_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/loop/looptest"
	_ "github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/tabooloop"
	"github.com/spag-go/spag/taboo/taboorun"
)

// tabooEnv plans Taboo runs of three turns a side, as spag iterate does.
func tabooEnv(t *testing.T, db string, tr trainer.Trainer, log io.Writer) *tabooloop.Env {
	t.Helper()
	j, err := judge.ByName("strict")
	if err != nil {
		t.Fatal(err)
	}
	env := &tabooloop.Env{Env: loop.Env{Session: &selfplay.Session{Path: db}, Trainer: tr, Log: log, CodeVersion: "test",
		Options: selfplay.Options{Concurrency: 2}}, Judge: j}
	t.Cleanup(func() { env.Session.Close() })
	env.Plan = func(attacker, defender, words string, games int, seed uint64, run *episodes.Run) (*selfplay.Plan, error) {
		cfg := taboorun.Config{MaxTurns: 3, Judge: "strict", Style: taboo.StyleCompact, Attacker: attacker, Defender: defender,
			Words: words, Games: games, Seed: seed}
		if run != nil {
			if err := selfplay.StoredConfig(run, &cfg); err != nil {
				return nil, err
			}
		}
		list, err := taboo.Words(cfg.Words)
		if err != nil {
			return nil, err
		}
		return cfg.Plan(context.Background(), list, run)
	}
	return env
}

// TestLoopResumesAfterAFailedTraining runs a one-round Taboo loop from
// the shipped model in process with a fake trainer that fails the first
// time: the error names the round and the stage, and the resumed loop
// trains, evaluates and plots without playing its self-play again.
func TestLoopResumesAfterAFailedTraining(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "it.db")
	cfg := tabooloop.Config{Rounds: 1, Games: 6, EvalGames: 2, Out: filepath.Join(dir, "loop"), Seed: 3, Decay: 0.8,
		TrainWords: taboo.WordsTrain, EvalWords: taboo.WordsHeldOut, Train: train.DefaultConfig(train.ObjectiveSPAG)}
	cfg.Train.Steps = 1
	if err := cfg.Prepare(); err != nil {
		t.Fatal(err)
	}
	tr := &looptest.Trainer{Fail: true}
	var log bytes.Buffer
	l, err := tabooloop.Start(ctx, tabooEnv(t, db, tr, &log), cfg)
	if err != nil {
		t.Fatal(err)
	}
	resumed := looptest.FailThenResume(t, tr, l, l.Store, l.ID, tabooloop.StageTrain, "round 1 train: training: fake training failed",
		func(rec *episodes.Loop) (*tabooloop.Loop, error) {
			return tabooloop.Resume(ctx, tabooEnv(t, db, tr, &log), rec)
		})
	defer resumed.Close()
	rounds, err := resumed.Rounds(ctx)
	if err != nil || len(rounds) != 1 || rounds[0].Stage != tabooloop.StageDone {
		t.Fatalf("rounds %+v, %v; want round 1 done", rounds, err)
	}
	if tr.Trained != 1 {
		t.Errorf("%d trainings; want 1", tr.Trained)
	}
	if n := strings.Count(log.String(), "round 1: self-play of"); n != 1 {
		t.Errorf("self-play began %d times; want once:\n%s", n, log.String())
	}
	results, _, err := resumed.History(ctx)
	if err != nil || len(results) == 0 {
		t.Errorf("results %v, %v; want the arena's", results, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Out, "round-1", "policy.ckpt")); err != nil {
		t.Error(err)
	}
	store, err := episodes.Open(ctx, db, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	stored, err := store.Loop(ctx, resumed.ID)
	if err != nil || loop.GameOf(stored.Config) != tabooloop.Game {
		t.Errorf("the loop records game %q (%v); want %q", loop.GameOf(stored.Config), err, tabooloop.Game)
	}
}
