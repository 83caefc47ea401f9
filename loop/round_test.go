package loop

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/rl/trainer"
	"github.com/spag-go/spag/selfplay"
)

// say is a one-role test game: the speaker says one thing and the game
// is over.
type say struct{}

func (say) Name() string                            { return "loop-say" }
func (say) String() string                          { return "loop-say(v1)" }
func (say) Roles() []string                         { return []string{"speaker"} }
func (say) NewState(game.Setup) (game.State, error) { return &sayState{}, nil }
func (s *sayState) IsTerminal() bool                { return len(s.said) > 0 }
func (s *sayState) Transcript() []game.Message      { return append([]game.Message(nil), s.said...) }
func (s *sayState) Clone() game.State               { return &sayState{said: s.Transcript()} }
func (s *sayState) Observation(p int) game.Observation {
	return game.Observation{Player: p, Role: "speaker", Turn: 1, MaxUtterances: 1}
}

type sayState struct{ said []game.Message }

func (s *sayState) CurrentPlayer() int {
	if s.IsTerminal() {
		return -1
	}
	return 0
}

func (s *sayState) Apply(text string) error {
	s.said = append(s.said, game.Message{Role: "speaker", Content: text})
	return nil
}

func (s *sayState) Verdict() game.Verdict {
	if !s.IsTerminal() {
		return game.Verdict{}
	}
	return game.Verdict{Outcome: "said", DecidedAt: 1, Rule: "said", Judge: "say@1"}
}

func init() {
	game.Games.Register(&game.Description{Name: "loop-say", Subject: "topic", Roles: say{}.Roles(), Outcomes: []game.Outcome{{Name: "said"}}})
}

// sayPlan plans games of say, the speaker failing when broken.
func sayPlan(t *testing.T, games int, broken bool) *selfplay.Plan {
	t.Helper()
	subjects, err := selfplay.Shuffle([]string{"rain", "sun", "wind"}, games, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	speaker := game.PlayerFunc(func(context.Context, game.Request) (game.Reply, error) {
		if broken {
			return game.Reply{}, errors.New("no voice")
		}
		return game.Reply{Text: "hello"}, nil
	})
	return &selfplay.Plan{Game: say{}, Players: []game.Player{speaker}, Names: map[string]string{"speaker": "say"}, Subjects: subjects,
		Seed: 3, Judge: "say@1", MaxTurns: 1, Config: []byte(`{}`), CodeVersion: "test"}
}

// playState is a round of a loop that plays runs.
type playState struct {
	Run string `json:"run,omitempty"`
}

// runStage runs a one-round loop of one stage, body, and returns its log,
// the round's state as recorded and the stage's error.
func runStage(t *testing.T, env *Env, body func(ctx context.Context, r *Round[playState]) error) (string, playState, error) {
	t.Helper()
	ctx := context.Background()
	var log bytes.Buffer
	env.Log = &log
	g := &Game[fakeConfig, playState]{Name: "say",
		Begin: func(fakeConfig, *playState, *playState, bool) {}}
	l, err := Start(ctx, env, g, fakeConfig{Rounds: 1, Out: filepath.Join(t.TempDir(), "out")})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err = l.Run(ctx, []Stage[playState]{{Name: "play", Run: body}})
	states, serr := l.States(ctx)
	if serr != nil || len(states) != 1 {
		t.Fatalf("states %v, %v", states, serr)
	}
	return log.String(), states[0], err
}

// TestPlay plays a round's run: a new run's ID is recorded with the
// round as soon as it begins, a resumed run plays only the games it has
// left, errored games ask for a resume, and a drained run is an
// interruption.
func TestPlay(t *testing.T) {
	ctx := context.Background()
	env, store := fakeEnv(t, filepath.Join(t.TempDir(), "l.db"), nil)
	savedFirst := false
	log, _, err := runStage(t, env, func(ctx context.Context, r *Round[playState]) error {
		return r.Play(ctx, sayPlan(t, 4, false), nil, "talk", func(run string) { r.State.Run = run }, func(run string, pending int) {
			// A watcher that reads this line finds the run recorded.
			rec, err := store.LatestLoop(ctx)
			if err != nil {
				return
			}
			states, err := States[playState](ctx, store, rec.ID)
			savedFirst = err == nil && len(states) == 1 && states[0].Run == run
			r.Logf("run %s, %d games", run, pending)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	run, err := store.Run(ctx, firstRun(t, store))
	if err != nil {
		t.Fatal(err)
	}
	if !savedFirst {
		t.Error("the run was logged before the round recorded it")
	}
	if !strings.Contains(log, "round 1: run "+run.ID+", 4 games\n") {
		t.Errorf("log %q; want the run's four games", log)
	}
	for _, tt := range []struct {
		name    string
		run     *episodes.Run
		broken  bool
		drain   bool
		wantErr string
		pending int
	}{
		{name: "resumed, nothing left", run: run, pending: 0},
		{name: "errored games", broken: true, pending: 4, wantErr: "round 1 play: talk: 4 of 4 games errored (first: "},
		{name: "drained", drain: true, pending: 4, wantErr: "round 1 play: loop interrupted"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env.Options = selfplay.Options{}
			if tt.drain {
				drain := make(chan struct{})
				close(drain)
				env.Options.Drain = drain
			}
			pending := -1
			_, recorded, err := runStage(t, env, func(ctx context.Context, r *Round[playState]) error {
				return r.Play(ctx, sayPlan(t, 4, tt.broken), tt.run, "talk", func(run string) { r.State.Run = run }, func(run string, n int) { pending = n })
			})
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Play: %v, want %q", err, tt.wantErr)
			}
			if pending != tt.pending {
				t.Errorf("%d games pending, want %d", pending, tt.pending)
			}
			if tt.drain && !errors.Is(err, ErrInterrupted) {
				t.Errorf("%v is not ErrInterrupted", err)
			}
			// The stage failed, so only Play saved the round: as soon as
			// a new run began.
			if tt.run == nil && recorded.Run == "" {
				t.Error("the new run's ID was not recorded with the round when it began")
			}
		})
	}
}

// firstRun is the ID of the store's only run.
func firstRun(t *testing.T, store *episodes.Store) string {
	t.Helper()
	run, err := store.LatestRunInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return run.ID
}

// TestRoundTrain trains with the loop's trainer and settings, recording
// the training's ID with the round, and names the training in errors.
func TestRoundTrain(t *testing.T) {
	for _, tt := range []struct {
		name    string
		fail    bool
		wantErr string
	}{
		{name: "trained"},
		{name: "failed", fail: true, wantErr: "round 1 play: policy training: out of memory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env, store := fakeEnv(t, filepath.Join(t.TempDir(), "l.db"), nil)
			var got trainer.Job
			env.Trainer = trainer.Func(func(ctx context.Context, job trainer.Job) (trainer.Result, error) {
				got = job
				if err := job.Recorded("t-1"); err != nil {
					return trainer.Result{}, err
				}
				if tt.fail {
					return trainer.Result{}, errors.New("out of memory")
				}
				return trainer.Result{Policy: trainer.Policy{Checkpoint: job.Out}, Step: 1, Total: 1, TrainingID: "t-1"}, nil
			})
			env.CodeVersion = "v-test"
			var ckpt, id string
			_, _, err := runStage(t, env, func(ctx context.Context, r *Round[playState]) error {
				var err error
				ckpt, err = r.Train(ctx, trainer.Job{Out: filepath.Join(r.Dir, "p.ckpt")}, &id, func(bool) {}, "policy training")
				return err
			})
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Train: %v, want %q", err, tt.wantErr)
			}
			if id != "t-1" || got.Store != store || got.CodeVersion != "v-test" || got.LogEvery != 10 || got.SaveInterval != SaveInterval {
				t.Errorf("training %q; job %+v: want the loop's store, code version, a line every 10 steps and a save every minute", id, got)
			}
			if !tt.fail && filepath.Base(ckpt) != "p.ckpt" {
				t.Errorf("checkpoint %q", ckpt)
			}
		})
	}
}

// TestRoundPlot writes the loop's charts into its directory and logs
// them, and writes none before there is a result.
func TestRoundPlot(t *testing.T) {
	env, _ := fakeEnv(t, filepath.Join(t.TempDir(), "l.db"), nil)
	results := []eval.RoundResult{{Round: 1, Opponent: "ref", Role: "speaker", Wins: 3, Games: 4, BaselineWins: 2, BaselineGames: 4}}
	for _, tt := range []struct {
		name    string
		results []eval.RoundResult
		want    bool
	}{{"no result yet", nil, false}, {"a round's results", results, true}} {
		t.Run(tt.name, func(t *testing.T) {
			var out string
			log, _, err := runStage(t, env, func(ctx context.Context, r *Round[playState]) error {
				out = filepath.Dir(r.Dir)
				return r.Plot(eval.LoopCharts{Rounds: tt.results})
			})
			if err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(out, "*.png"))
			if (len(files) > 0) != tt.want || strings.Contains(log, "round 1: win rate per round and role") != tt.want {
				t.Errorf("figures %v, log %q; want figures %v", files, log, tt.want)
			}
		})
	}
}
