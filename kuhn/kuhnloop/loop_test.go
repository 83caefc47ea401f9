package kuhnloop

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	_ "github.com/spag-go/spag/kuhn/kuhnbuiltin"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/loop/looptest"
	_ "github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/selfplay"
)

// TestLoopResumesAfterAFailedTraining runs a two-round loop of a small
// model with a fake trainer that fails the first time: the error names
// round 1's training, and the resumed loop finishes both rounds without
// playing round 1's self-play again, round 2 starting from round 1's
// model and carrying the starting model's measure (round 0); the chart
// and the table show rounds 0 to 2.
func TestLoopResumesAfterAFailedTraining(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := config(dir, rulesModel(t, dir, 0))
	if err := cfg.Prepare(); err != nil {
		t.Fatal(err)
	}
	tr := &looptest.Trainer{Fail: true}
	var log bytes.Buffer
	env := &Env{Session: &selfplay.Session{Path: filepath.Join(dir, "kuhn.db")}, Trainer: tr, Log: &log, CodeVersion: "test"}
	defer env.Session.Close()
	l, err := Start(ctx, env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	resumed := looptest.FailThenResume(t, tr, l, l.Store, l.ID, StageTrain, "round 1 train: training: fake training failed",
		func(rec *episodes.Loop) (*Loop, error) { return Resume(ctx, env, rec) })
	defer resumed.Close()
	states, err := resumed.States(ctx)
	if err != nil || len(states) != 2 {
		t.Fatalf("states %+v, %v", states, err)
	}
	if states[1].Policy != states[0].NewPolicy || states[1].Start == nil || states[1].Start.Model != cfg.Init || len(states[1].StartRuns) != 0 {
		t.Errorf("round 2 %+v; want it from round 1's model, with round 1's measure of the start", states[1])
	}
	if n := strings.Count(log.String(), "round 1: self-play:"); n != 1 {
		t.Errorf("round 1's self-play began %d times; want once:\n%s", n, log.String())
	}
	ps, err := resumed.Points(ctx)
	if err != nil || len(ps) != 3 || ps[0].Round != 0 || ps[2].Round != 2 || len(ps[1].Seats) != 2 || ps[1].Seats[1].Hands != 6 {
		t.Fatalf("points %+v, %v; want rounds 0 to 2, each with both seats", ps, err)
	}
	// The fake trainer copies its model: every round is the start.
	if ps[2].Exploitability != ps[0].Exploitability {
		t.Errorf("exploitability %v then %v; want the copied model's", ps[0].Exploitability, ps[2].Exploitability)
	}
	if _, err := os.Stat(filepath.Join(cfg.Out, ChartName+".png")); err != nil {
		t.Error(err)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, ps); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(table.String()), "\n"); len(lines) != 5 || !strings.HasPrefix(lines[4], "lowest exploitability") {
		t.Errorf("table:\n%s", table.String())
	}
	c, err := History(ctx, resumed.Store, resumed.ID)
	if err != nil || len(c.Values) != 1 || len(c.Values[0].Panels) != 3 || len(c.Tables) != 1 || len(c.Tables[0].Rows) != 3 {
		t.Errorf("history %+v, %v", c, err)
	}
}

// TestCheck refuses configurations that cannot run, naming spag
// iterate's flag.
func TestCheck(t *testing.T) {
	for name, tc := range map[string]struct {
		change  func(c *Config)
		setting string
	}{
		"no hands":          {func(c *Config) { c.Hands = 0 }, "games"},
		"negative eval":     {func(c *Config) { c.EvalHands = -1 }, "eval-games"},
		"unknown baseline":  {func(c *Config) { c.Baseline = "round" }, "baseline"},
		"unknown reference": {func(c *Config) { c.Ref = "best" }, "ref"},
		"negative forfeit":  {func(c *Config) { c.Forfeit = -1 }, "forfeit"},
		"sft":               {func(c *Config) { c.Train = train.DefaultConfig(train.ObjectiveSFT); c.Train.Steps = 1 }, "objective"},
		"no steps":          {func(c *Config) { c.Train.Steps = 0 }, "steps"},
		"no model":          {func(c *Config) { c.Init = "" }, "init"},
		"bad lr":            {func(c *Config) { c.Train.LR = -1 }, "lr"},
	} {
		t.Run(name, func(t *testing.T) {
			c := config(t.TempDir(), "k.ckpt")
			tc.change(&c)
			var se *selfplay.SettingError
			if err := c.Check(); !errors.As(err, &se) || se.Setting != tc.setting {
				t.Errorf("Check: %v; want an error naming %s", err, tc.setting)
			}
		})
	}
	c := config(t.TempDir(), "k.ckpt")
	if err := c.Check(); err != nil {
		t.Errorf("a good configuration: %v", err)
	}
}

// TestSamplingOptions: the model samples its own distribution, and
// answers in at most 3 tokens so that it keeps the prompt training reads,
// unless the user's options set a key.
func TestSamplingOptions(t *testing.T) {
	for _, tc := range []struct {
		t    float64
		opts []string
		want string
	}{
		{1, nil, "temperature=1 top_k=0 top_p=1 max_tokens=3"},
		{0.7, []string{"top_k=5"}, "top_k=5 temperature=0.7 top_p=1 max_tokens=3"},
		{1, []string{"temperature=2"}, "temperature=2 top_k=0 top_p=1 max_tokens=3"},
		{1, []string{"max_tokens=8"}, "max_tokens=8 temperature=1 top_k=0 top_p=1"},
	} {
		if got := strings.Join(SamplingOptions(tc.t, tc.opts), " "); got != tc.want {
			t.Errorf("SamplingOptions(%v, %q) = %q; want %q", tc.t, tc.opts, got, tc.want)
		}
	}
}

// TestDrainedLoopResumes: a loop drained before its first hand (a first
// Ctrl-C) stops with loop.ErrInterrupted, having recorded its self-play
// run; while it is held a second process cannot take it up; resumed, it
// plays that run and finishes.
func TestDrainedLoopResumes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := config(dir, rulesModel(t, dir, 0))
	cfg.Rounds, cfg.EvalHands = 1, 0
	if err := cfg.Prepare(); err != nil {
		t.Fatal(err)
	}
	drain := make(chan struct{})
	close(drain)
	session := &selfplay.Session{Path: filepath.Join(dir, "kuhn.db")}
	defer session.Close()
	env := &Env{Session: session, Trainer: &looptest.Trainer{}, Options: selfplay.Options{Drain: drain}, Stop: drain, CodeVersion: "test"}
	l, err := Start(ctx, env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Run(ctx); !errors.Is(err, loop.ErrInterrupted) {
		t.Fatalf("Run: %v; want the loop interrupted", err)
	}
	rec, err := l.Store.Loop(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Resume(ctx, env, rec); !errors.Is(err, episodes.ErrBusy) {
		t.Errorf("a second Resume while the loop is held: %v; want it refused as busy", err)
	}
	l.Close()
	states, err := l.States(ctx)
	if err != nil || len(states) != 1 || states[0].SelfplayRun == "" {
		t.Fatalf("states %+v, %v; want round 1's self-play run recorded", states, err)
	}
	env2 := &Env{Session: session, Trainer: &looptest.Trainer{}, CodeVersion: "test"}
	resumed, err := Resume(ctx, env2, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	if err := resumed.Run(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := resumed.States(ctx)
	if err != nil || after[0].SelfplayRun != states[0].SelfplayRun || after[0].Measure == nil {
		t.Errorf("resumed %+v, %v; want the recorded run played and the round measured", after, err)
	}
}
