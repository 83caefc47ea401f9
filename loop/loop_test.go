package loop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/selfplay"
)

// fakeConfig and fakeState are a loop of the fake game: each stage adds
// its name and round to the state's trail, and a round starts from the
// last entry of the round before, as a policy is handed on.
type fakeConfig struct {
	Rounds int    `json:"rounds"`
	Out    string `json:"out"`
}

type fakeState struct {
	From  string   `json:"from"`
	Trail []string `json:"trail,omitempty"`
}

// fakeGame is the fake game; begun counts the rounds Begin readied as
// recorded.
func fakeGame(name string, unnamed bool) *Game[fakeConfig, fakeState] {
	return &Game[fakeConfig, fakeState]{
		Name:    name,
		Kind:    "a " + name + " loop",
		Unnamed: unnamed,
		Begin: func(c fakeConfig, prev, st *fakeState, recorded bool) {
			switch {
			case recorded:
			case prev == nil:
				st.From = "init"
			default:
				st.From = prev.Trail[len(prev.Trail)-1]
			}
		},
	}
}

var errBroke = errors.New("broke")

// fakeStages are stages a, b and c; the stage named fail (in round
// failRound) fails once it has changed the state, as a stage killed half
// way would leave it.
func fakeStages(failRound int, fail string) []Stage[fakeState] {
	var stages []Stage[fakeState]
	for _, name := range []string{"a", "b", "c"} {
		stages = append(stages, Stage[fakeState]{Name: name, Run: func(ctx context.Context, r *Round[fakeState]) error {
			if r.N == failRound && name == fail {
				return fmt.Errorf("%s %w", name, errBroke)
			}
			r.State.Trail = append(r.State.Trail, fmt.Sprintf("%s%d", name, r.N))
			r.Logf("stage %s", name)
			return nil
		}})
	}
	return stages
}

// fakeEnv is an environment on the database at path, with its store.
func fakeEnv(t *testing.T, path string, log io.Writer) (*Env, *episodes.Store) {
	t.Helper()
	env := &Env{Session: &selfplay.Session{Path: path}, Log: log, CodeVersion: "test"}
	t.Cleanup(func() { env.Session.Close() })
	store, err := env.Session.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return env, store
}

// TestResumeAfterAFailureAtEachStage fails a two-round loop at each stage
// of each round, then resumes it from the store in a new loop value, as a
// second process would: the failure names its round and stage, the
// resumed loop runs from the failed stage on, no finished stage runs
// again, and each round starts from what the round before made.
func TestResumeAfterAFailureAtEachStage(t *testing.T) {
	want := [][]string{{"a1", "b1", "c1"}, {"a2", "b2", "c2"}}
	for _, round := range []int{1, 2} {
		for _, stage := range []string{"a", "b", "c"} {
			t.Run(fmt.Sprintf("round %d stage %s", round, stage), func(t *testing.T) {
				ctx := context.Background()
				dir := t.TempDir()
				var log bytes.Buffer
				env, store := fakeEnv(t, filepath.Join(dir, "l.db"), &log)
				g := fakeGame("fake", false)
				l, err := Start(ctx, env, g, fakeConfig{Rounds: 2, Out: filepath.Join(dir, "out")})
				if err != nil {
					t.Fatal(err)
				}
				err = l.Run(ctx, fakeStages(round, stage))
				var se *StageError
				if !errors.As(err, &se) || se.Loop != l.ID || se.Round != round || se.Stage != stage {
					t.Fatalf("Run: %v (%#v); want a StageError of round %d stage %s", err, se, round, stage)
				}
				if !errors.Is(err, errBroke) {
					t.Errorf("%v does not unwrap to the stage's error", err)
				}
				if want := fmt.Sprintf("round %d %s: %s broke", round, stage, stage); err.Error() != want {
					t.Errorf("error %q, want %q", err, want)
				}
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}

				rec, err := store.Loop(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				resumed, err := Resume(ctx, env, g, rec)
				if err != nil {
					t.Fatal(err)
				}
				defer resumed.Close()
				if err := resumed.Run(ctx, fakeStages(0, "")); err != nil {
					t.Fatal(err)
				}
				states, err := resumed.States(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(states) != 2 || states[0].From != "init" || states[1].From != "c1" ||
					strings.Join(states[0].Trail, ",") != strings.Join(want[0], ",") || strings.Join(states[1].Trail, ",") != strings.Join(want[1], ",") {
					t.Errorf("states %+v; want each stage once, round 2 from c1", states)
				}
				rounds, err := resumed.Rounds(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rounds {
					if r.Stage != StageDone {
						t.Errorf("round %d recorded at stage %q, want done", r.Round, r.Stage)
					}
					if _, err := os.Stat(Dir(filepath.Join(dir, "out"), r.Round)); err != nil {
						t.Errorf("round %d's directory: %v", r.Round, err)
					}
				}
				if !strings.Contains(log.String(), "loop "+l.ID+": round 2: stage c\n") {
					t.Errorf("log:\n%s\nwant a line of round 2's stage c", log.String())
				}
			})
		}
	}
}

// TestRunAFinishedLoop runs no stage of a loop whose rounds are done, and
// refuses a round recorded at a stage the loop does not have.
func TestRunAFinishedLoop(t *testing.T) {
	for _, tt := range []struct {
		name    string
		stage   string
		wantErr string
	}{
		{name: "done", stage: StageDone},
		{name: "unknown stage", stage: "x", wantErr: `round 1: unknown stage "x"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := recordedRound(t, tt.stage, `{"from":"init"}`)
			ran := false
			err := l.Run(context.Background(), []Stage[fakeState]{{Name: "a", Run: func(context.Context, *Round[fakeState]) error { ran = true; return nil }}})
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Run: %v, want %q", err, tt.wantErr)
			}
			if ran {
				t.Error("a stage ran")
			}
		})
	}
}

// recordedRound is a one-round loop of the fake game whose round 1 is
// recorded at stage with state, as a resumed loop reads it.
func recordedRound(t *testing.T, stage, state string) *Loop[fakeConfig, fakeState] {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	env, store := fakeEnv(t, filepath.Join(dir, "l.db"), nil)
	l, err := Start(ctx, env, fakeGame("fake", false), fakeConfig{Rounds: 1, Out: filepath.Join(dir, "out")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := store.SaveRound(ctx, l.ID, episodes.Round{Round: 1, Stage: stage, State: json.RawMessage(state)}); err != nil {
		t.Fatal(err)
	}
	if l.recorded, err = l.Rounds(ctx); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestStoredStateUnreadable names the loop and the round of a state that
// does not decode, when the loop runs and when its states are read.
func TestStoredStateUnreadable(t *testing.T) {
	ctx := context.Background()
	l := recordedRound(t, "a", `{"from": 3}`)
	if err := l.Run(ctx, fakeStages(0, "")); err == nil || !strings.Contains(err.Error(), "loop "+l.ID+": round 1: stored state unreadable") {
		t.Errorf("Run: %v; want the round's state named unreadable", err)
	}
	if _, err := l.States(ctx); err == nil || !strings.Contains(err.Error(), "loop "+l.ID+" round 1: stored state unreadable") {
		t.Errorf("States: %v; want the round's state named unreadable", err)
	}
}

// TestOutputDirectory refuses to run a loop whose directory cannot be
// made (its parent is gone), before any round is recorded.
func TestOutputDirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env, _ := fakeEnv(t, filepath.Join(dir, "l.db"), nil)
	l, err := Start(ctx, env, fakeGame("fake", false), fakeConfig{Rounds: 1, Out: filepath.Join(dir, "gone", "out")})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Run(ctx, nil); err == nil || !strings.Contains(err.Error(), "a round has no stage to run") {
		t.Errorf("Run of no stage: %v", err)
	}
	if err := l.Run(ctx, fakeStages(0, "")); err == nil || !strings.Contains(err.Error(), "output directory") {
		t.Errorf("Run: %v; want the output directory refused", err)
	}
	if rounds, err := l.Rounds(ctx); err != nil || len(rounds) != 0 {
		t.Errorf("rounds %v, %v; want none recorded", rounds, err)
	}
}

// TestGameRecorded records every loop's game in its configuration, in
// front of the game's own fields; a resume takes only its own game's
// loops, and the game marked Unnamed also those recorded before loops
// recorded their game.
func TestGameRecorded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env, store := fakeEnv(t, filepath.Join(dir, "l.db"), nil)
	cfg := fakeConfig{Rounds: 1, Out: filepath.Join(dir, "out")}
	l, err := Start(ctx, env, fakeGame("fake", false), cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	rec, err := store.Loop(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"game":"fake","rounds":1,"out":` + fmt.Sprintf("%q", cfg.Out) + `}`; string(rec.Config) != want {
		t.Errorf("recorded %s, want %s", rec.Config, want)
	}
	old := &episodes.Loop{Config: json.RawMessage(`{"rounds":1}`), CodeVersion: "old"}
	if err := store.CreateLoop(ctx, old); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		game    *Game[fakeConfig, fakeState]
		rec     *episodes.Loop
		wantErr string
	}{
		{"its own game", fakeGame("fake", false), rec, ""},
		{"another game", fakeGame("other", false), rec, "loop " + rec.ID + " is a loop of the fake game, not a other loop"},
		{"an old loop, of the unnamed game", fakeGame("first", true), old, ""},
		{"an old loop, of another game", fakeGame("fake", false), old, "loop " + old.ID + " records no game, so it is not a fake loop"},
		{"an unnamed game's own loop", fakeGame("first", true), rec, "is a loop of the fake game, not a first loop"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Resume(ctx, env, tt.game, tt.rec)
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Resume: %v, want %q", err, tt.wantErr)
			}
			if err == nil {
				if l.Config.Rounds != 1 {
					t.Errorf("config %+v, want the recorded one", l.Config)
				}
				l.Close()
			}
		})
	}
}

func TestWithGame(t *testing.T) {
	for _, tt := range []struct{ in, want, wantErr string }{
		{in: `{"rounds":2}`, want: `{"game":"g","rounds":2}`},
		{in: `{}`, want: `{"game":"g"}`},
		{in: `{"game":"apo","rounds":2}`, want: `{"game":"apo","rounds":2}`},
		{in: `[1]`, wantErr: "a configuration is a JSON object"},
	} {
		got, err := withGame(json.RawMessage(tt.in), "g")
		if string(got) != tt.want || (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("withGame(%s) = %s, %v; want %s, %q", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && !json.Valid(got) {
			t.Errorf("withGame(%s) = %s: not JSON", tt.in, got)
		}
	}
	env, _ := fakeEnv(t, filepath.Join(t.TempDir(), "l.db"), nil)
	if _, err := Start(context.Background(), env, &Game[[]int, fakeState]{Name: "g"}, []int{1}); err == nil {
		t.Error("a configuration that is no object was recorded")
	}
}

func TestGameOf(t *testing.T) {
	for in, want := range map[string]string{
		`{"game":"apo","rounds":2}`: "apo",
		`{"rounds":2,"games":10}`:   "",
		`not json`:                  "",
	} {
		if got := GameOf([]byte(in)); got != want {
			t.Errorf("GameOf(%s) = %q, want %q", in, got, want)
		}
	}
}

// TestLease lets one process at a time run a loop: while the loop's
// creator holds it, a resume through another connection is refused with
// the holder named; once released (twice is harmless), the resume takes
// it.
func TestLease(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	first, _ := fakeEnv(t, path, nil)
	second, store := fakeEnv(t, path, nil)
	g := fakeGame("fake", false)
	l, err := Start(ctx, first, g, fakeConfig{Rounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.Loop(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Resume(ctx, second, g, rec)
	if !errors.Is(err, episodes.ErrBusy) || !strings.Contains(err.Error(), fmt.Sprintf("loop %s is in use by process %d", l.ID, os.Getpid())) {
		t.Fatalf("resume while the loop runs: %v; want it refused naming process %d", err, os.Getpid())
	}
	for range 2 {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	resumed, err := Resume(ctx, second, g, rec)
	if err != nil {
		t.Fatalf("resume after the first let go: %v", err)
	}
	if err := resumed.Close(); err != nil {
		t.Fatal(err)
	}
}
