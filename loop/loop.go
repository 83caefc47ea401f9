// Package loop runs a game's loop of rounds, each round a list of stages,
// and owns what every game's loop does the same way: the loop's record in
// the episodes store (its configuration and its game, once; each round's
// next stage and state, saved as each stage finishes); resuming a killed
// loop at the stage it was in; one process at a time running a loop (a
// lease); errors that name the round and stage they happened in
// ([*StageError]); a run played or resumed so that its ID is recorded as
// soon as it begins ([Round.Play]); and a training stage that resumes its
// own interrupted run ([Round.Train]). A game's loop is its [Game] (its
// name and how a round's state begins) and its stages' bodies: package
// iterate for Taboo, apo/apoloop for APO.
//
// A stage's own work (stored episodes, saved training steps) is taken up
// by the resumed stage, so a killed loop replays no finished game and a
// killed training resumes from its checkpoint, saved every
// [SaveInterval], repeating at most the steps since that save, in the
// same training record.
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

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/rl/trainer"
	"github.com/spag-go/spag/selfplay"
)

// StageDone is the stage a finished round records.
const StageDone = "done"

// ErrInterrupted is returned when a loop stopped for a drain or a
// cancellation; what finished is recorded and the loop can be resumed.
var ErrInterrupted = errors.New("loop interrupted")

// Game is what one game's loops share, whatever their configuration C
// and round state S: every loop records the game's name, and a resumed
// loop of another game is refused. It is a value a game's loop package
// declares once; the stages' bodies are given to [Loop.Run].
//
// C marshals to a JSON object whose "rounds" is the number of rounds a
// loop runs and "out" its directory of files (round N's under round-N,
// [Dir]).
type Game[C, S any] struct {
	// Name is recorded in every loop's configuration as "game"; Kind
	// names one of its loops in errors ("a Taboo loop").
	Name, Kind string
	// Unnamed marks the game whose loops were recorded before loops
	// recorded their game: a loop without one is this game's.
	Unnamed bool
	// Check reports a configuration that cannot start a loop (one not
	// checked or not prepared); nil takes any.
	Check func(C) error
	// Begin readies round's state before its stages run: prev is the
	// state the round before ended with (nil for round 1), recorded
	// whether st was read back from the store (a resumed round) or is the
	// zero S of a round not begun.
	Begin func(cfg C, prev, st *S, recorded bool)
}

// Stage is one stage of a round: its name, recorded as the round's next
// stage until it has run, and its body, which works on the round's
// state.
type Stage[S any] struct {
	Name string
	Run  func(ctx context.Context, r *Round[S]) error
}

// StageError is a stage's failure, naming the loop, the round and the
// stage; it unwraps to the stage's error.
type StageError struct {
	Loop  string
	Round int
	Stage string
	Err   error
}

func (e *StageError) Error() string { return fmt.Sprintf("round %d %s: %v", e.Round, e.Stage, e.Err) }

func (e *StageError) Unwrap() error { return e.Err }

// Env is what every loop runs with: the database, the trainer and the
// play options. A game's loop adds what its own stages need.
type Env struct {
	Session *selfplay.Session
	// Trainer trains each round's models.
	Trainer trainer.Trainer
	// Options play every run (concurrency, drain, progress).
	Options selfplay.Options
	// Stop, when closed, ends training between steps (a first Ctrl-C).
	Stop <-chan struct{}
	// Log receives a line per stage; nil discards them.
	Log         io.Writer
	CodeVersion string
}

// Loop is a loop being run, held by this process: its lease keeps a
// second process from running it at once (a second --resume), which would
// play and train every remaining stage again. Close releases it.
type Loop[C, S any] struct {
	ID      string
	Config  C
	Store   *episodes.Store
	Env     *Env
	game    *Game[C, S]
	release func() error
	// recorded are the rounds recorded when the loop was taken up;
	// rounds and out are the configuration's number of rounds and
	// directory.
	recorded []episodes.Round
	rounds   int
	out      string
}

// Start records a new loop of game g with configuration cfg (as JSON,
// with the game's name) and takes its lease.
func Start[C, S any](ctx context.Context, env *Env, g *Game[C, S], cfg C) (*Loop[C, S], error) {
	if g.Check != nil {
		if err := g.Check(cfg); err != nil {
			return nil, err
		}
	}
	store, err := env.Session.Store(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	if raw, err = withGame(raw, g.Name); err != nil {
		return nil, err
	}
	rec := &episodes.Loop{Config: raw, CodeVersion: env.CodeVersion}
	if err := store.CreateLoop(ctx, rec); err != nil {
		return nil, err
	}
	return hold(ctx, store, env, g, rec, cfg)
}

// withGame adds "game" to a configuration that has none, in front, so
// that the rest is recorded as the game's configuration marshals it.
func withGame(config json.RawMessage, game string) (json.RawMessage, error) {
	if GameOf(config) != "" {
		return config, nil
	}
	rest, ok := bytes.CutPrefix(bytes.TrimSpace(config), []byte("{"))
	if !ok {
		return nil, fmt.Errorf("loop: a configuration is a JSON object, not %.20s", config)
	}
	name, err := json.Marshal(game)
	if err != nil {
		return nil, err
	}
	sep := ","
	if len(bytes.TrimSpace(rest)) == 1 { // "}": no field
		sep = ""
	}
	return json.RawMessage(`{"game":` + string(name) + sep + string(rest)), nil
}

// Resume takes up the recorded loop rec of game g and takes its lease: a
// loop that another live process runs is refused with an error naming
// it (an [*episodes.BusyError]); one left by a process that died on this
// host (killed) is taken over.
func Resume[C, S any](ctx context.Context, env *Env, g *Game[C, S], rec *episodes.Loop) (*Loop[C, S], error) {
	store, err := env.Session.Store(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := g.Config(rec)
	if err != nil {
		return nil, err
	}
	l, err := hold(ctx, store, env, g, rec, cfg)
	if err != nil {
		return nil, err
	}
	if l.recorded, err = store.Rounds(ctx, rec.ID); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Config decodes the configuration of the recorded loop rec, refusing a
// loop of another game.
func (g *Game[C, S]) Config(rec *episodes.Loop) (C, error) {
	var cfg C
	if name := GameOf(rec.Config); name != g.Name && !(name == "" && g.Unnamed) {
		if name == "" {
			return cfg, fmt.Errorf("loop %s records no game, so it is not %s", rec.ID, g.Kind)
		}
		return cfg, fmt.Errorf("loop %s is a loop of the %s game, not %s", rec.ID, name, g.Kind)
	}
	if err := json.Unmarshal(rec.Config, &cfg); err != nil {
		return cfg, fmt.Errorf("loop %s: stored configuration unreadable: %w", rec.ID, err)
	}
	return cfg, nil
}

func hold[C, S any](ctx context.Context, store *episodes.Store, env *Env, g *Game[C, S], rec *episodes.Loop, cfg C) (*Loop[C, S], error) {
	var layout struct {
		Rounds int    `json:"rounds"`
		Out    string `json:"out"`
	}
	if err := json.Unmarshal(rec.Config, &layout); err != nil {
		return nil, fmt.Errorf("loop %s: its rounds and directory: %w", rec.ID, err)
	}
	release, err := store.AcquireLoop(ctx, rec.ID)
	if err != nil {
		return nil, err
	}
	return &Loop[C, S]{ID: rec.ID, Config: cfg, Store: store, Env: env, game: g, release: release,
		rounds: layout.Rounds, out: layout.Out}, nil
}

// GameOf is the game a recorded loop configuration names in its "game"
// field: "" for a loop recorded before loops recorded their game (a
// [Game] marked Unnamed), or for a configuration that is not JSON.
func GameOf(config json.RawMessage) string {
	var g struct {
		Game string `json:"game"`
	}
	if json.Unmarshal(config, &g) != nil {
		return ""
	}
	return g.Game
}

// Close releases the loop's lease; it is safe to call more than once.
func (l *Loop[C, S]) Close() error {
	if l.release == nil {
		return nil
	}
	err := l.release()
	l.release = nil
	return err
}

// Logf writes a line about the loop.
func (l *Loop[C, S]) Logf(format string, args ...any) {
	if l.Env.Log != nil {
		fmt.Fprintf(l.Env.Log, "loop %s: "+format+"\n", append([]any{l.ID}, args...)...)
	}
}

// Rounds returns the loop's rounds as recorded.
func (l *Loop[C, S]) Rounds(ctx context.Context) ([]episodes.Round, error) {
	return l.Store.Rounds(ctx, l.ID)
}

// States are the recorded states of the loop's rounds, in order.
func (l *Loop[C, S]) States(ctx context.Context) ([]S, error) { return States[S](ctx, l.Store, l.ID) }

// States are the recorded states of loop id's rounds, in order, for
// views that read a loop another process may be running.
func States[S any](ctx context.Context, store *episodes.Store, id string) ([]S, error) {
	rounds, err := store.Rounds(ctx, id)
	if err != nil {
		return nil, err
	}
	states := make([]S, len(rounds))
	for i, r := range rounds {
		if err := json.Unmarshal(r.State, &states[i]); err != nil {
			return nil, fmt.Errorf("loop %s round %d: stored state unreadable: %w", id, r.Round, err)
		}
	}
	return states, nil
}

// Run runs the loop's rounds from where it stands to the end: each round
// from the stage it records (the first of stages for a round not begun)
// to the last, its stage and state saved after each.
func (l *Loop[C, S]) Run(ctx context.Context, stages []Stage[S]) error {
	if len(stages) == 0 {
		return fmt.Errorf("loop %s: a round has no stage to run", l.ID)
	}
	out := l.out
	if err := atomicfile.Mkdir(out); err != nil {
		return fmt.Errorf("loop %s: output directory: %w", l.ID, err)
	}
	var prev *S
	for n := 1; n <= l.rounds; n++ {
		r := &Round[S]{N: n, Stage: stages[0].Name, Dir: Dir(out, n), out: out, loop: l.ID, env: l.Env, store: l.Store, logf: l.Logf, save: l.save}
		recorded, ok, err := find(l.recorded, n, &r.State)
		if err != nil {
			return fmt.Errorf("loop %s: %w", l.ID, err)
		}
		if ok {
			r.Stage = recorded.Stage
		}
		l.game.Begin(l.Config, prev, &r.State, ok)
		if r.Stage != StageDone {
			if err := l.play(ctx, r, stages); err != nil {
				return err
			}
		}
		prev = &r.State
	}
	return nil
}

// play runs round r's remaining stages.
func (l *Loop[C, S]) play(ctx context.Context, r *Round[S], stages []Stage[S]) error {
	if err := os.MkdirAll(r.Dir, 0o777); err != nil {
		return fmt.Errorf("loop %s round %d: %w", l.ID, r.N, err)
	}
	if err := r.Save(ctx); err != nil {
		return err
	}
	for i, s := range stages {
		if r.Stage != s.Name {
			continue
		}
		if err := s.Run(ctx, r); err != nil {
			return &StageError{Loop: l.ID, Round: r.N, Stage: s.Name, Err: err}
		}
		r.Stage = StageDone
		if i+1 < len(stages) {
			r.Stage = stages[i+1].Name
		}
		if err := r.Save(ctx); err != nil {
			return err
		}
	}
	if r.Stage != StageDone {
		return fmt.Errorf("loop %s round %d: unknown stage %q", l.ID, r.N, r.Stage)
	}
	return nil
}

// save records round n's stage and state (as JSON).
func (l *Loop[C, S]) save(ctx context.Context, n int, stage string, state any) error {
	raw, err := json.Marshal(state)
	if err != nil {
		return err
	}
	return l.Store.SaveRound(ctx, l.ID, episodes.Round{Round: n, Stage: stage, State: raw})
}

// find returns round n of the recorded rounds and decodes its state into
// state; ok is false when round n was not recorded.
func find(rounds []episodes.Round, n int, state any) (round episodes.Round, ok bool, err error) {
	for _, r := range rounds {
		if r.Round == n {
			if err := json.Unmarshal(r.State, state); err != nil {
				return r, true, fmt.Errorf("round %d: stored state unreadable: %w", n, err)
			}
			return r, true, nil
		}
	}
	return episodes.Round{}, false, nil
}

// Dir is the directory of round n's files in a loop's directory out.
func Dir(out string, n int) string { return filepath.Join(out, fmt.Sprintf("round-%d", n)) }

// Round is a round being played, as its stages see it.
type Round[S any] struct {
	// N is the round's number, from 1.
	N int
	// Stage is the stage it runs (the next one, once saved).
	Stage string
	// State is what its finished stages made; a stage adds to it.
	State S
	// Dir is the directory of its files, made before its first stage.
	Dir   string
	out   string
	loop  string // the loop's ID, named in its charts
	env   *Env
	store *episodes.Store
	logf  func(format string, args ...any)
	save  func(ctx context.Context, n int, stage string, state any) error
}

// Save records the round's stage and state. The loop saves after each
// stage; a stage saves too as soon as it has begun a run or a training,
// so that a crash loses at most the stage in flight, whose own work the
// resumed stage takes up.
func (r *Round[S]) Save(ctx context.Context) error { return r.save(ctx, r.N, r.Stage, &r.State) }

// Logf writes a line about the round: "loop ID: round N: " and the line.
func (r *Round[S]) Logf(format string, args ...any) {
	r.logf("round %d: "+format, append([]any{r.N}, args...)...)
}
