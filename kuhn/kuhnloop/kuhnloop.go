// Package kuhnloop runs Kuhn Poker's self-play loop as rounds of the same
// library calls that `spag kuhn play`, `spag kuhn rewards`, `spag train`
// and `spag kuhn exploitability` make, so that every setting of the manual
// recipe (docs/kuhn.md, "Self-play rounds") is a setting of the loop. Each
// round:
//
//  1. selfplay: the round's model plays itself, sampled (kuhnrun);
//  2. rewards: every answer gets its seat's chips less the information
//     set's mean (kuhndata.ZeroSum), as spag kuhn rewards writes them;
//  3. train: the model is trained on them (zerosum, or SPAG's objective
//     for comparison) against the previous round's model or the starting
//     one;
//  4. measure: the new model's exact exploitability (package exploit) and
//     its chips per hand against the equilibrium built-in in each seat,
//     with 95% intervals; round 1 measures the starting model too, which
//     is round 0 of every chart;
//  5. plot: the charts of every round so far.
//
// It runs on package loop: every stage's result is recorded in the
// episodes store as it finishes, so a killed loop resumes at the stage it
// was in without replaying a finished hand, one process at a time.
package kuhnloop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/exploit"
	"github.com/spag-go/spag/kuhn/kuhndata"
	"github.com/spag-go/spag/kuhn/kuhnrun"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
	"github.com/spag-go/spag/selfplay"
)

// Game is the "game" of a Kuhn Poker loop's recorded configuration.
const Game = kuhn.Name

// The stages of a round, in order.
const (
	StageSelfplay = "selfplay"
	StageRewards  = "rewards"
	StageTrain    = "train"
	StageMeasure  = "measure"
	StagePlot     = "plot"
)

// What a round's training keeps its model close to (Config.Ref).
const (
	// RefPrevious is the model the round starts from, as spag train
	// --init kN.ckpt takes it without --ref: the manual recipe's.
	RefPrevious = "previous"
	// RefInit is the loop's starting model in every round.
	RefInit = "init"
)

// Uniform is the exploitability of uniform random play (11/24), the
// charts' reference: a model that knows only the rules starts near it.
const Uniform = 11.0 / 24

// Config is a loop; it is recorded with the loop, and a resumed loop runs
// with the recorded one.
type Config struct {
	// Game is [Game]; [Config.Prepare] sets it.
	Game   string `json:"game"`
	Rounds int    `json:"rounds"`
	// Out is the directory of the loop's files; Init the starting native
	// checkpoint (absolute paths).
	Out  string `json:"out"`
	Init string `json:"init"`
	Seed uint64 `json:"seed"`
	// Ref is RefPrevious or RefInit.
	Ref string `json:"ref"`
	// Hands are the self-play hands of a round; EvalHands the hands in
	// each seat against the equilibrium built-in (0: none, exploitability
	// only).
	Hands     int `json:"hands"`
	EvalHands int `json:"eval_hands"`
	// Baseline is what the advantages subtract (kuhndata.Baselines).
	Baseline string `json:"baseline"`
	// Forfeit is the chips taken beside the lost hand from the advantage
	// of an answer that was no legal move (kuhndata.ZeroSumOptions);
	// loops recorded before it have none, and resume without it.
	Forfeit float64 `json:"forfeit,omitempty"`
	// Options are the players' settings in every run (the model's
	// sampling: temperature=1,top_k=0,top_p=1 unless given).
	Options []string     `json:"options,omitempty"`
	Train   train.Config `json:"train"`
}

// SamplingOptions are the settings that make a native model sample from
// its own distribution at temperature t, as the exact exploitability reads
// it at temperature 1, with the keys options do not set already. They
// include max_tokens=3: a native player keeps only the prompt's last
// context − max_tokens + 1 tokens, 65 of the tiny model's 128 at the
// default 64, while training and the exploitability read 126, so with the
// default it plays a policy other than the one measured; a move is one
// word (docs/kuhn.md).
func SamplingOptions(t float64, options []string) []string {
	out := slices.Clone(options)
	for _, kv := range []string{fmt.Sprintf("temperature=%g", t), "top_k=0", "top_p=1", "max_tokens=3"} {
		key, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(options, func(o string) bool { return strings.HasPrefix(o, key+"=") }) {
			out = append(out, kv)
		}
	}
	return out
}

// Check reports a configuration that cannot run, naming the setting as
// spag iterate's flag.
func (c *Config) Check() error {
	bad := func(setting, format string, args ...any) error {
		return &selfplay.SettingError{Setting: setting, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case c.Rounds < 1:
		return bad("rounds", "must be at least 1 (got %d)", c.Rounds)
	case c.Hands < 1:
		return bad("games", "self-play hands per round must be at least 1 (got %d)", c.Hands)
	case c.EvalHands < 0:
		return bad("eval-games", "hands per seat against the equilibrium must be 0 (none) or more (got %d)", c.EvalHands)
	case !slices.Contains(kuhndata.Baselines, c.Baseline):
		return bad("baseline", "%q: want %s", c.Baseline, strings.Join(kuhndata.Baselines, " or "))
	case !(c.Forfeit >= 0):
		return bad("forfeit", "must be 0 or more chips (got %v)", c.Forfeit)
	case c.Ref != RefPrevious && c.Ref != RefInit:
		return bad("ref", "%q: want %s (the model the round starts from) or %s (the loop's starting model)", c.Ref, RefPrevious, RefInit)
	case c.Train.Objective != train.ObjectiveZeroSum && c.Train.Objective != train.ObjectiveSPAG:
		return bad("objective", "%q: a Kuhn loop trains with zerosum or spag", c.Train.Objective)
	case c.Train.Steps < 1:
		return bad("steps", "must be at least 1 (got %d)", c.Train.Steps)
	case c.Init == "":
		return bad("init", "no starting model")
	case c.Out == "":
		return bad("out", "no directory")
	}
	return loop.CheckTraining(c.Train, "")
}

// Prepare completes a new loop's configuration after [Config.Check]: Game
// is set, Init made absolute and verified whole, the options checked
// against the players that will take them, and only then Out made
// absolute and created, so that a refused loop leaves nothing behind.
func (c *Config) Prepare() error {
	c.Game = Game
	if err := loop.PrepareFiles(&c.Out, loop.File{Setting: "init", Path: &c.Init, Check: loop.CheckpointWhole}); err != nil {
		return err
	}
	err := players.CheckOptions([]string{"native:" + c.Init, "builtin"},
		[]players.Env{{Flag: "init", Game: kuhn.Name, Role: kuhn.First}, {Flag: "init", Game: kuhn.Name, Role: kuhn.Second}}, c.Options)
	if err != nil {
		return err
	}
	return loop.MakeOut(c.Out)
}

// RoundState is what a round's stages made, recorded after each.
type RoundState struct {
	// Policy is the checkpoint the round plays and trains from.
	Policy      string `json:"policy"`
	SelfplayRun string `json:"selfplay_run,omitempty"`
	// Forfeits are the self-play hands lost by an answer that was no
	// legal move.
	Forfeits int                    `json:"forfeits,omitempty"`
	Data     string                 `json:"data,omitempty"`
	Rewards  *kuhndata.ZeroSumStats `json:"rewards,omitempty"`
	// TrainingID is the training's record; NewPolicy its checkpoint.
	TrainingID string `json:"training_id,omitempty"`
	NewPolicy  string `json:"new_policy,omitempty"`
	// StartRuns and EvalRuns are the runs against the equilibrium of the
	// starting model (round 1) and of the new one, first seat then
	// second, recorded as they begin.
	StartRuns []string `json:"start_runs,omitempty"`
	EvalRuns  []string `json:"eval_runs,omitempty"`
	// Start is the starting model's measure (round 0), which every round
	// carries; Measure the new model's.
	Start   *Measure `json:"start,omitempty"`
	Measure *Measure `json:"measure,omitempty"`
}

// Measure is how far one model is from optimal play.
type Measure struct {
	Model string `json:"model"`
	// Exploitability is exact (kuhn.Exploitability of the strategy read
	// from the model's probabilities); BestResponseFirst and Second are
	// what a best response wins against each seat.
	Exploitability     float64 `json:"exploitability"`
	BestResponseFirst  float64 `json:"best_response_first"`
	BestResponseSecond float64 `json:"best_response_second"`
	// Outside is the largest probability the model puts outside the legal
	// moves at an information set.
	Outside float64 `json:"outside"`
	// Seats are its chips per hand against the equilibrium built-in,
	// first seat then second (none without evaluation hands).
	Seats []Seat `json:"seats,omitempty"`
}

// Seat is a model's chips per hand in one seat against the equilibrium.
type Seat struct {
	Seat     string     `json:"seat"`
	Chips    float64    `json:"chips_per_hand"`
	Interval [2]float64 `json:"interval_95"`
	// Value is the seat's game value (-1/18 first, +1/18 second).
	Value    float64 `json:"game_value"`
	Hands    int     `json:"hands"`
	Forfeits int     `json:"forfeits"`
	Run      string  `json:"run"`
}

// Env is what the loop runs with.
type Env = loop.Env

// kuhnLoop is the Kuhn loop as package loop runs it.
var kuhnLoop = &loop.Game[Config, RoundState]{
	Name: Game,
	Kind: "a Kuhn Poker loop",
	Check: func(c Config) error {
		if err := c.Check(); err != nil {
			return err
		}
		if c.Game != Game {
			return errors.New("kuhn loop: the configuration is not prepared (Config.Prepare)")
		}
		return nil
	},
	Begin: func(c Config, prev, st *RoundState, recorded bool) {
		if !recorded {
			st.Policy = c.Init
			if prev != nil {
				st.Policy = prev.NewPolicy
			}
		}
		if st.Start == nil && prev != nil {
			st.Start = prev.Start
		}
	},
}

// Round is a round of the loop, as its stages see it.
type Round = loop.Round[RoundState]

// Loop is a loop being run.
type Loop struct {
	*loop.Loop[Config, RoundState]
}

// Start records a new loop and takes its lease ([Loop.Close] releases
// it); cfg must be prepared ([Config.Prepare]).
func Start(ctx context.Context, env *Env, cfg Config) (*Loop, error) {
	return held(loop.Start(ctx, env, kuhnLoop, cfg))
}

// Resume takes up the recorded Kuhn loop rec and takes its lease: a loop
// another live process runs is refused, naming it.
func Resume(ctx context.Context, env *Env, rec *episodes.Loop) (*Loop, error) {
	return held(loop.Resume(ctx, env, kuhnLoop, rec))
}

func held(l *loop.Loop[Config, RoundState], err error) (*Loop, error) {
	if err != nil {
		return nil, err
	}
	return &Loop{l}, nil
}

// Run runs the loop's rounds from where it stands to the end.
func (l *Loop) Run(ctx context.Context) error {
	return l.Loop.Run(ctx, []loop.Stage[RoundState]{
		{Name: StageSelfplay, Run: l.selfplay}, {Name: StageRewards, Run: l.rewards}, {Name: StageTrain, Run: l.train},
		{Name: StageMeasure, Run: l.measure}, {Name: StagePlot, Run: l.plot},
	})
}

// roundSeed gives each round its own deals, samples and data order;
// round 0's seeds every evaluation, so that all rounds meet the
// equilibrium on the same deals.
func roundSeed(seed uint64, round int) uint64 { return selfplay.EpisodeSeed(seed, 3_000_000+round) }

// play plays (or resumes) the run *id when it is recorded, else a new run
// of cfg, recording its ID in *id as soon as it begins; it returns the
// run's chips.
func (l *Loop) play(ctx context.Context, r *Round, id *string, cfg kuhnrun.Config, what string) (kuhnrun.Chips, error) {
	var run *episodes.Run
	var err error
	if *id != "" {
		if run, err = l.Store.Run(ctx, *id); err != nil {
			return kuhnrun.Chips{}, err
		}
		cfg = kuhnrun.Config{}
		if err := selfplay.StoredConfig(run, &cfg); err != nil {
			return kuhnrun.Chips{}, err
		}
	} else if err := cfg.Prepare(); err != nil {
		return kuhnrun.Chips{}, fmt.Errorf("%s: %w", what, err)
	}
	plan, err := cfg.Plan(ctx, run)
	if err != nil {
		return kuhnrun.Chips{}, fmt.Errorf("%s: %w", what, err)
	}
	err = r.Play(ctx, plan, run, what, func(run string) { *id = run }, func(run string, pending int) {
		r.Logf("%s: %s against %s, run %s, %d hands to play", what, cfg.First, cfg.Second, run, pending)
	})
	if err != nil {
		return kuhnrun.Chips{}, err
	}
	if run, err = l.Store.Run(ctx, *id); err != nil {
		return kuhnrun.Chips{}, err
	}
	return kuhnrun.ReadChips(ctx, l.Store, run)
}

func (l *Loop) selfplay(ctx context.Context, r *Round) error {
	st := &r.State
	spec := "native:" + st.Policy
	chips, err := l.play(ctx, r, &st.SelfplayRun, kuhnrun.Config{First: spec, Second: spec, Games: l.Config.Hands,
		Seed: roundSeed(l.Config.Seed, r.N), Options: l.Config.Options}, "self-play")
	st.Forfeits = chips.Forfeits[kuhn.First] + chips.Forfeits[kuhn.Second]
	return err
}

// rewards writes the self-play's answers with their advantages, as spag
// kuhn rewards does.
func (l *Loop) rewards(ctx context.Context, r *Round) error {
	st := &r.State
	run, err := l.Store.Run(ctx, st.SelfplayRun)
	if err != nil {
		return err
	}
	samples, stats, err := kuhndata.ZeroSumWith(ctx, l.Store, run, kuhndata.ZeroSumOptions{Baseline: l.Config.Baseline, Forfeit: l.Config.Forfeit})
	if err != nil {
		return err
	}
	path := filepath.Join(r.Dir, "rewards.json")
	if err := atomicfile.Write(path, func(w io.Writer) error { return rl.WriteSPAGTraining(w, samples) }); err != nil {
		return err
	}
	st.Data, st.Rewards = path, &stats
	r.Logf("rewards: %d answers of %d hands (%s baseline), %d hands forfeited", stats.Samples, stats.Hands, stats.Baseline, st.Forfeits)
	return nil
}

// train trains the round's model on its rewards, as spag train --init
// does (with --ref the starting model when Config.Ref is RefInit).
func (l *Loop) train(ctx context.Context, r *Round) error {
	st := &r.State
	cfg := l.Config.Train
	cfg.Seed = roundSeed(l.Config.Seed, r.N)
	job := trainer.Job{Config: cfg, Data: st.Data, Init: trainer.Policy{Checkpoint: st.Policy}, Out: filepath.Join(r.Dir, "policy.ckpt")}
	if l.Config.Ref == RefInit {
		job.Ref = trainer.Policy{Checkpoint: l.Config.Init}
	}
	ckpt, err := r.Train(ctx, job, &st.TrainingID, func(resumed bool) {
		r.Logf("training %s on %s, %d steps of %s (resume %v)", st.Policy, st.Data, cfg.Steps, cfg.Objective, resumed)
	}, "training")
	st.NewPolicy = ckpt
	return err
}

// measure measures the new model, and in round 1 the starting one.
func (l *Loop) measure(ctx context.Context, r *Round) error {
	st := &r.State
	if st.Start == nil {
		m, err := l.measureModel(ctx, r, l.Config.Init, &st.StartRuns, "the starting model")
		if err != nil {
			return err
		}
		st.Start = m
		if err := r.Save(ctx); err != nil {
			return err
		}
	}
	m, err := l.measureModel(ctx, r, st.NewPolicy, &st.EvalRuns, "the new model")
	if err != nil {
		return err
	}
	st.Measure = m
	r.Logf("exploitability %.4f (starting model %.4f)%s", m.Exploitability, st.Start.Exploitability, seatsLine(m.Seats))
	return nil
}

func seatsLine(seats []Seat) string {
	var b strings.Builder
	for _, s := range seats {
		fmt.Fprintf(&b, "; as %s %+.4f chips per hand (%+.4f to %+.4f, value %+.4f)", s.Seat, s.Chips, s.Interval[0], s.Interval[1], s.Value)
	}
	return b.String()
}

// measureModel reads the model's exact exploitability and plays it
// against the equilibrium built-in in each seat (runs, recorded as they
// begin).
func (l *Loop) measureModel(ctx context.Context, r *Round, model string, runs *[]string, what string) (*Measure, error) {
	res, err := exploit.Measure(ctx, "native:"+model, exploit.Options{})
	if err != nil {
		return nil, fmt.Errorf("exploitability of %s: %w", what, err)
	}
	m := &Measure{Model: model, Exploitability: res.Exploitability, BestResponseFirst: res.BestResponseFirst, BestResponseSecond: res.BestResponseSecond}
	for _, is := range res.InfoSets {
		m.Outside = math.Max(m.Outside, is.Outside)
	}
	if l.Config.EvalHands == 0 {
		return m, nil
	}
	for len(*runs) < 2 {
		*runs = append(*runs, "")
	}
	spec := "native:" + model
	for i, seat := range []string{kuhn.First, kuhn.Second} {
		first, second := spec, "builtin"
		if i == 1 {
			first, second = second, first
		}
		chips, err := l.play(ctx, r, &(*runs)[i], kuhnrun.Config{First: first, Second: second, Games: l.Config.EvalHands,
			Seed: roundSeed(l.Config.Seed, 0), Options: l.Config.Options}, fmt.Sprintf("%s as %s player against the equilibrium", what, seat))
		if err != nil {
			return nil, err
		}
		s := Seat{Seat: seat, Chips: chips.First, Interval: chips.Interval, Value: kuhnrun.GameValue, Hands: chips.Hands,
			Forfeits: chips.Forfeits[seat], Run: chips.Run}
		if i == 1 {
			s.Chips, s.Interval, s.Value = -chips.First, [2]float64{-chips.Interval[1], -chips.Interval[0]}, -kuhnrun.GameValue
		}
		m.Seats = append(m.Seats, s)
	}
	return m, nil
}
