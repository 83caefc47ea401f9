// Package selfplay plays a run of episodes as a library: a [Plan] (the game,
// its players, the subjects, the seed and the shard) is recorded as a run in
// the episodes store, or a stored run is resumed, and [Session.Play] plays
// the episodes it is missing, stores each as it finishes and says how the
// run ended. Every command that plays (selfplay, apo, play, arena, iterate)
// goes through it.
//
// It sits between game/episodes and the commands: it knows no flags, no
// terminal and no game by name.
package selfplay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/progress"
)

// Plan is a run to play: everything that decides its episodes.
type Plan struct {
	// Game is the game every episode plays.
	Game game.Game
	// Players play the game's roles, by index (Players[0] plays
	// Game.Roles()[0]). One player may play several roles.
	Players []game.Player
	// Names are the players as the run records them, by role: enough to
	// tell which model (and which weights) played.
	Names map[string]string
	// Subjects are the episodes' subjects, by index.
	Subjects Subjects
	// Seed derives every episode's seed.
	Seed uint64
	// Shard selects the episodes this process plays.
	Shard Shard
	// Judge is what the game's verdicts record as their judge.
	Judge string
	// MaxTurns is recorded with the run (Taboo's turns per side; 1 for a
	// game without turns to count).
	MaxTurns int
	// Config is the command's whole configuration, stored with the run so
	// that it can be resumed and every number traced to it.
	Config json.RawMessage
	// CodeVersion is the build that made the run.
	CodeVersion string
}

// Shard is one of N parts of a run: the episodes whose index is I modulo N.
// The zero value (and {0, 1}) is the whole run.
type Shard struct{ I, N int }

// ParseShard reads "i/n" with 0 <= i < n; "" is the whole run.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{0, 1}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 0 <= i < n, for example 0/4", s)
	}
	return Shard{i, n}, nil
}

// String is "i/n", or "" for the whole run.
func (s Shard) String() string {
	if s.N <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

func (s Shard) parts() int { return max(s.N, 1) }

// Has reports whether episode index belongs to the shard.
func (s Shard) Has(index int) bool { return index%s.parts() == s.I }

// Size is the number of the first n indices that belong to the shard.
func (s Shard) Size(n int) int {
	if n <= s.I {
		return 0
	}
	return (n-1-s.I)/s.parts() + 1
}

// EpisodeSeed derives episode index's seed from the run's seed, so that an
// episode plays the same whichever process, shard or order plays it.
func EpisodeSeed(runSeed uint64, index int) uint64 {
	return game.SplitMix64(runSeed ^ game.SplitMix64(uint64(index)))
}

// Record returns the run record of a new run of the plan.
func (p *Plan) Record() *episodes.Run {
	return &episodes.Run{Game: p.Game.String(), Judge: p.Judge, Seed: p.Seed, MaxTurns: p.MaxTurns,
		Players: p.Names, Config: p.Config, CodeVersion: p.CodeVersion, Shard: p.Shard.String(),
		Total: p.Shard.Size(p.Subjects.Len())}
}

// A GameMismatchError says that a resumed run is of another game than the
// command resuming it plays.
type GameMismatchError struct {
	RunID string
	// Game is the stored run's game name; Want the one asked for.
	Game, Want string
}

func (e *GameMismatchError) Error() string {
	return fmt.Sprintf("run %s is %s run, not %s run", e.RunID, withArticle(title(e.Game)), withArticle(title(e.Want)))
}

// title is a game's name for people, from its description.
func title(name string) string {
	if d, ok := game.Games.Lookup(name); ok && d.Title != "" {
		return d.Title
	}
	return name
}

func withArticle(s string) string {
	if s != "" && strings.ContainsRune("AEIOUaeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// A PlayersChangedError says that a resumed run would now be played by
// other players (another model, other weights) than the ones it recorded.
type PlayersChangedError struct {
	RunID, Role string
	Stored, Now string
}

func (e *PlayersChangedError) Error() string {
	return fmt.Sprintf("run %s was played with %s %s, but would now be played with %s; resume it with the spag build and files that started it, or start a new run", e.RunID, e.Role, e.Stored, e.Now)
}

// CheckResumable compares a stored run with the plan that would resume it:
// the same game (parameters, templates and judge) and the same players.
func CheckResumable(run *episodes.Run, p *Plan) error {
	if got := p.Game.String(); got != run.Game {
		return fmt.Errorf("run %s was played as %s but would now be %s (templates, items or judge changed); start a new run", run.ID, run.Game, got)
	}
	for _, role := range p.Game.Roles() {
		if now := p.Names[role]; now != run.Players[role] {
			return &PlayersChangedError{RunID: run.ID, Role: role, Stored: run.Players[role], Now: now}
		}
	}
	return nil
}

// Session is a play command's database: it is opened when first needed, so
// that bad flags and unreachable players never create one, and it counts
// episodes on the progress meter as they become durable. A Session is used
// by one goroutine.
type Session struct {
	// Path is the SQLite database.
	Path  string
	meter atomic.Pointer[progress.Meter]
	store *episodes.Store
	// leased are the runs whose lease this session holds (until Close).
	leased map[string]bool
}

// lease takes the lease of a run unless this session holds it already.
func (s *Session) lease(ctx context.Context, runID string) error {
	if s.leased[runID] {
		return nil
	}
	if _, err := s.store.AcquireRun(ctx, runID); err != nil {
		return err
	}
	if s.leased == nil {
		s.leased = map[string]bool{}
	}
	s.leased[runID] = true
	return nil
}

// Store opens the database when it is not open yet.
func (s *Session) Store(ctx context.Context) (*episodes.Store, error) {
	if s.store != nil {
		return s.store, nil
	}
	store, err := episodes.Open(ctx, s.Path, episodes.Options{OnCommit: func(eps []game.Episode) {
		m := s.meter.Load()
		if m == nil {
			return
		}
		outcomes := make([]string, len(eps))
		for i := range eps {
			outcomes[i] = eps[i].Verdict.Outcome
		}
		m.Add(outcomes...)
	}})
	if err != nil {
		return nil, err
	}
	s.store = store
	return store, nil
}

// Close closes the database, making every stored episode durable.
func (s *Session) Close() error {
	if s.store == nil {
		return nil
	}
	err := s.store.Close() // releases the leases
	s.store, s.leased = nil, nil
	return err
}

// ErrNoDatabase is wrapped by [Session.Resume] when the database to resume
// from does not exist.
var ErrNoDatabase = errors.New("selfplay: no such database")

// Resume loads a stored run of the named game. Its errors wrap
// [ErrNoDatabase] or [episodes.ErrNotFound] when there is nothing to resume,
// or are a [*GameMismatchError].
func (s *Session) Resume(ctx context.Context, runID, gameName string) (*episodes.Run, error) {
	if _, err := os.Stat(s.Path); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDatabase, err)
	}
	store, err := s.Store(ctx)
	if err != nil {
		return nil, err
	}
	run, err := store.Run(ctx, runID)
	if err != nil {
		return nil, err
	}
	if got := game.NameOf(run.Game); got != gameName {
		return nil, &GameMismatchError{RunID: run.ID, Game: got, Want: gameName}
	}
	return run, nil
}

// Begin records a new run of the plan (run is nil) or takes up a resumed
// one, and returns the run with the episodes still to play. It takes the
// run's lease (see [episodes.Store.AcquireRun]) until the session closes,
// so that two processes resuming one run do not both play it: the second
// gets an error wrapping [episodes.ErrRunBusy] naming the first.
func (s *Session) Begin(ctx context.Context, p *Plan, run *episodes.Run) (*episodes.Run, *Pending, error) {
	store, err := s.Store(ctx)
	if err != nil {
		return nil, nil, err
	}
	if run == nil {
		run = p.Record()
		if err := store.CreateRun(ctx, run); err != nil {
			return nil, nil, err
		}
		if err := s.lease(ctx, run.ID); err != nil {
			return nil, nil, err
		}
		return run, &Pending{plan: p, total: run.Total}, nil
	}
	if err := s.lease(ctx, run.ID); err != nil {
		return nil, nil, err
	}
	done, err := store.DoneIndices(ctx, run.ID)
	if err != nil {
		return nil, nil, err
	}
	total := 0
	for i := range p.Subjects.Len() {
		if p.Shard.Has(i) && !done[i] {
			total++
		}
	}
	return run, &Pending{plan: p, done: done, total: total}, nil
}

// Pending is the episodes of a run still to play.
type Pending struct {
	plan  *Plan
	done  map[int]bool
	total int
}

// Len is the number of episodes to play.
func (q *Pending) Len() int { return q.total }

// Setups yields the setups of the episodes to play, in index order, one at
// a time.
func (q *Pending) Setups() iter.Seq[game.Setup] {
	return func(yield func(game.Setup) bool) {
		p := q.plan
		n := p.Subjects.Len()
		for i := p.Shard.I; i < n; i += p.Shard.parts() {
			if q.done[i] {
				continue
			}
			if !yield(game.Setup{Index: i, Seed: EpisodeSeed(p.Seed, i), Subject: p.Subjects.At(i)}) {
				return
			}
		}
	}
}

// Options tune [Session.Play].
type Options struct {
	// Concurrency is the number of episodes in flight; 0 means
	// [DefaultConcurrency] of the players.
	Concurrency int
	// TurnTimeout bounds each player call; 0 means none.
	TurnTimeout time.Duration
	// Drain, when closed, stops new episodes from starting; the ones in
	// flight finish and are stored (a first Ctrl-C).
	Drain <-chan struct{}
	// DrainGrace is how long the episodes in flight may take to finish
	// once Drain is closed; then their turns are cancelled and they are
	// left to a resume (see [game.Runner.DrainGrace]). 0 means
	// [DefaultDrainGrace]; a negative value waits for them however long.
	DrainGrace time.Duration
	// Progress, when not nil, receives a progress line (a redrawn bar when
	// Terminal is set) with the rates of the game's outcomes.
	Progress io.Writer
	Terminal bool
	// Watch, when not nil, plays the run under a live view: it must call
	// play and return its error once both the run and the view are over.
	Watch func(ctx context.Context, r *game.Runner, play func() error) error
}

// DefaultDrainGrace is the time games in flight get to finish after a
// first Ctrl-C: a turn that answers is rarely longer, and a backend that
// fails or stalls, whose turns would retry or wait out the turn timeout,
// then holds the drain no longer.
const DefaultDrainGrace = 5 * time.Second

func (o Options) drainGrace() time.Duration {
	switch {
	case o.DrainGrace == 0:
		return DefaultDrainGrace
	case o.DrainGrace < 0:
		return 0
	}
	return o.DrainGrace
}

// Result is how a call of [Session.Play] ended.
type Result struct {
	Run *episodes.Run
	// Planned is the number of episodes this call set out to play; Played
	// the ones finished and judged, Errored the ones that failed (they stay
	// to be played by a resume).
	Planned, Played, Errored int
	// FirstError is the reason the first errored episode gave.
	FirstError string
	// Interrupted reports that the run was stopped (drained or cancelled)
	// before every planned episode was played.
	Interrupted bool
}

// Complete reports whether every planned episode was played and judged.
func (r Result) Complete() bool { return !r.Interrupted && r.Errored == 0 && r.Played == r.Planned }

// Play plays the pending episodes of run, stores each as it finishes, and
// makes them durable whatever happens. Its error is a failure of the run
// itself (the store failed, the context was cancelled with another cause);
// errored episodes and interruptions are in the Result.
func (s *Session) Play(ctx context.Context, run *episodes.Run, p *Plan, pending *Pending, o Options) (Result, error) {
	store, err := s.Store(ctx)
	if err != nil {
		return Result{Run: run}, err
	}
	res := Result{Run: run, Planned: pending.Len()}
	meterOut := o.Progress
	if meterOut == nil {
		meterOut = io.Discard
	}
	s.meter.Store(progress.New(meterOut, pending.Len(), progress.Options{Terminal: o.Terminal, Columns: Columns(p.Game)}))
	concurrency := o.Concurrency
	if concurrency == 0 {
		concurrency = DefaultConcurrency(p.Players)
	}
	var played, errored atomic.Int64
	var first atomic.Pointer[string]
	runner := &game.Runner{Game: p.Game, Players: p.Players, Concurrency: concurrency,
		TurnTimeout: o.TurnTimeout, Drain: o.Drain, DrainGrace: o.drainGrace(),
		// Turns of games in flight, for `spag watch` in another process.
		OnTurn: func(su game.Setup, turns []game.Turn) { store.WriteLive(run.ID, su.Index, su.Subject, turns) }}
	play := func() error {
		return runner.RunSeq(ctx, pending.Len(), pending.Setups(), func(ctx context.Context, ep *game.Episode) error {
			if ep.Errored() {
				errored.Add(1)
				reason := ep.Err
				first.CompareAndSwap(nil, &reason)
			} else {
				played.Add(1)
			}
			return store.Write(ctx, run.ID, *ep)
		})
	}
	var runErr error
	if o.Watch != nil {
		runErr = o.Watch(ctx, runner, play)
	} else {
		runErr = play()
	}
	// Whatever happened, make what finished durable before reporting.
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	flushErr := store.Flush(flushCtx)
	s.meter.Load().Finish()
	res.Played, res.Errored = int(played.Load()), int(errored.Load())
	if f := first.Load(); f != nil {
		res.FirstError = *f
	}
	if flushErr != nil {
		return res, fmt.Errorf("store episodes in %s: %w", s.Path, flushErr)
	}
	switch {
	case errors.Is(runErr, game.ErrDrained), errors.Is(runErr, context.Canceled):
		res.Interrupted = true
		return res, nil
	case runErr != nil:
		return res, runErr
	}
	return res, nil
}

// Columns are the progress line's outcome rates for a game: its described
// outcomes, or nil (the meter's default) for an undescribed game.
func Columns(g game.Game) []progress.Column {
	d, ok := game.Games.Lookup(g.Name())
	if !ok {
		return nil
	}
	cols := make([]progress.Column, 0, len(d.Outcomes))
	for _, o := range d.Outcomes {
		label := o.Label
		if label == "" {
			label = o.Name
		}
		cols = append(cols, progress.Column{Label: label, Outcome: o.Name})
	}
	return cols
}

// DefaultConcurrency keeps every parallel slot of the model players busy:
// the sum of their capacities (a player serving several roles counted
// once), and at least 8 or the number of CPUs for players without a limit.
func DefaultConcurrency(players []game.Player) int {
	slots := 0
	seen := map[any]bool{}
	for _, p := range players {
		c, ok := p.(game.Capacity)
		if !ok {
			continue
		}
		if reflect.TypeOf(p).Comparable() {
			if seen[p] {
				continue
			}
			seen[p] = true
		}
		slots += max(c.Capacity(), 0)
	}
	return max(slots, 8, runtime.GOMAXPROCS(0))
}

// Preflighter is [game.Preflighter], the optional interface of players
// that can check before a run that they will be able to play.
type Preflighter = game.Preflighter

// Preflight checks every player that can be checked, naming the role of the
// first that fails.
func Preflight(ctx context.Context, p *Plan) error {
	roles := p.Game.Roles()
	for i, pl := range p.Players {
		if c, ok := pl.(Preflighter); ok {
			if err := c.Preflight(ctx); err != nil {
				return fmt.Errorf("%s: %w", roles[i], err)
			}
		}
	}
	return nil
}
