// Package apoloop runs APO's loop (Adversarial Preference Optimization:
// a reward model and a generator that improve each other through the game)
// as rounds of library calls, on a task with gold answers such as the
// definitions task. Each round:
//
//  1. generate: the generator answers the round's training queries, k
//     samples each, in games against the current reward model;
//  2. rm-data: the round's gold-versus-samples items ([apo.Game.TrainingItems])
//     follow the preference items, APO's mix;
//  3. rm-train: the reward model is trained on them with APO's loss;
//  4. rate: the generator answers the same queries against the new reward
//     model;
//  5. gen-data: of each query's answers the best rated is kept (rejection
//     sampling, [aporun.BestOfEach]);
//  6. gen-train: the generator imitates them;
//  7. eval: on held-out queries the new generator plays the frozen initial
//     reward model and is measured with the task's reverse dictionary, and
//     the new reward model, beside the initial one, is measured on held-out
//     preference items and on the gold-versus-generated items of those
//     games;
//  8. plot: the charts of every round so far are written.
//
// Each round's stage and what its stages made are recorded in the episodes
// store as they finish, as package iterate does for Taboo, so a killed loop
// resumes at the stage it was in without replaying a finished game; a
// killed training resumes from its last save ([loop.SaveInterval]); it
// runs on package loop, which holds what the two loops share.
package apoloop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/apo/aporun"
	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/apo/revdict"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
	"github.com/spag-go/spag/selfplay"
)

// Game is the "game" of an APO loop's recorded configuration
// ([loop.GameOf]), which tells it apart from another game's loop in the
// same database.
const Game = "apo"

// The stages of a round, in order. A round records the next stage to
// run, and [loop.StageDone] once it is over.
const (
	StageGenerate = "generate"
	StageRMData   = "rm-data"
	StageRMTrain  = "rm-train"
	StageRate     = "rate"
	StageGenData  = "gen-data"
	StageGenTrain = "gen-train"
	StageEval     = "eval"
	StagePlot     = "plot"
)

// Config is a loop. It is recorded with the loop; a resumed loop runs with
// the recorded one.
type Config struct {
	// Game is [Game]; [Config.Prepare] sets it.
	Game   string `json:"game"`
	Rounds int    `json:"rounds"`
	// Queries is the number of training queries each round draws (0: all
	// of Prompts), each answered Samples times (APO's k); EvalQueries the
	// number of held-out queries of the evaluation (0: all of
	// EvalPrompts), answered once each.
	Queries     int `json:"queries"`
	Samples     int `json:"samples"`
	EvalQueries int `json:"eval_queries"`
	// Prompts and EvalPrompts are the sources of the training and the
	// held-out queries with their gold answers (apo.Items); they must not
	// share a query.
	Prompts     string `json:"prompts"`
	EvalPrompts string `json:"eval_prompts"`
	// Generator and RewardModel are the initial native checkpoints: a
	// generator (taught the task by imitation) and a reward model with a
	// scalar head. The initial reward model stays frozen as the judge of
	// the generator's evaluation. Absolute paths.
	Generator   string `json:"generator"`
	RewardModel string `json:"reward_model"`
	// Preferences are the preference items (spag apo preferences) of every
	// round's reward-model data; HeldOutPreferences, when set, measure the
	// reward model.
	Preferences        string `json:"preferences"`
	HeldOutPreferences string `json:"heldout_preferences,omitempty"`
	// Out is the directory of the loop's files.
	Out  string `json:"out"`
	Seed uint64 `json:"seed"`
	// RM and Gen are the training of the reward model (objective apo,
	// score scalar) and of the generator (objective sft) in every round.
	RM  train.Config `json:"rm_train"`
	Gen train.Config `json:"gen_train"`
	// MaxResponseBytes is the game's limit on an answer (0: the game's
	// default); Options are key=value settings of the players.
	MaxResponseBytes int      `json:"max_response_bytes,omitempty"`
	Options          []string `json:"options,omitempty"`
}

// Check reports a configuration that cannot run, naming the setting.
func (c *Config) Check() error {
	switch {
	case c.Rounds < 1:
		return fmt.Errorf("rounds must be at least 1 (got %d)", c.Rounds)
	case c.Samples < 1:
		return fmt.Errorf("samples must be at least 1 (got %d)", c.Samples)
	case c.Queries < 0 || c.EvalQueries < 0:
		return fmt.Errorf("queries and eval queries must be 0 (all) or more (got %d and %d)", c.Queries, c.EvalQueries)
	case c.Generator == "":
		return errors.New("no initial generator")
	case c.RewardModel == "":
		return errors.New("no initial reward model")
	case c.Preferences == "":
		return errors.New("no preference items")
	case c.Prompts == "" || c.EvalPrompts == "":
		return errors.New("give both the training and the held-out prompts")
	case c.Prompts == c.EvalPrompts:
		return fmt.Errorf("the training and the held-out prompts are both %s: the evaluation must be on queries never trained on", c.Prompts)
	case c.Out == "":
		return errors.New("no output directory")
	case c.RM.Objective != train.ObjectiveAPO || c.RM.Score != train.ScoreScalar:
		return fmt.Errorf("the reward model trains with objective apo and the scalar score (got %s, %q)", c.RM.Objective, c.RM.Score)
	case c.Gen.Objective != train.ObjectiveSFT:
		return fmt.Errorf("the generator trains with objective sft on its best answers (got %s)", c.Gen.Objective)
	case c.RM.Steps < 1 || c.Gen.Steps < 1:
		return fmt.Errorf("reward-model and generator steps must be at least 1 (got %d and %d)", c.RM.Steps, c.Gen.Steps)
	}
	if err := loop.CheckTraining(c.RM, "rm-"); err != nil {
		return err
	}
	return loop.CheckTraining(c.Gen, "gen-")
}

// Prepare completes a new loop's configuration after [Config.Check]: Game
// is set, the checkpoints and item files made absolute and checked (the
// checkpoints verified whole, the reward model must have a scalar head,
// the preference items parsed as every round's training will), and the
// prompt sources read, which must share no query. Only then is Out made
// absolute and created, so that a refused loop leaves nothing behind.
// Errors about a setting are [*selfplay.SettingError]s naming it.
func (c *Config) Prepare() error {
	c.Game = Game
	// "native" is the shipped model, copied into Out once everything else
	// has been checked, as a Taboo loop's default --init is.
	shipped := c.Generator == "native"
	gen := loop.File{Setting: "generator", Path: &c.Generator, Check: loop.CheckpointWhole}
	if shipped {
		gen.Path = new(string) // nothing to check yet
	}
	// The rounds' reward-model data begins with the preference items,
	// and the held-out ones measure every round: a bad line found there
	// would name the round's file, not the user's.
	err := loop.PrepareFiles(&c.Out, gen,
		loop.File{Setting: "reward-model", Path: &c.RewardModel, Check: rewardModel},
		loop.File{Setting: "preferences", Path: &c.Preferences, Check: preferences},
		loop.File{Setting: "heldout-preferences", Path: &c.HeldOutPreferences, Check: preferences})
	if err != nil {
		return err
	}
	training, err := queries(c.Prompts, "prompts")
	if err != nil {
		return err
	}
	held, err := queries(c.EvalPrompts, "eval-prompts")
	if err != nil {
		return err
	}
	for q := range held {
		if training[q] {
			return &selfplay.SettingError{Setting: "eval-prompts", Err: fmt.Errorf("the query %q is also a training query: the evaluation must be on queries never trained on", q)}
		}
	}
	for _, p := range []*string{&c.Prompts, &c.EvalPrompts} {
		if *p, err = apo.ItemSource(*p); err != nil {
			return &selfplay.SettingError{Setting: "prompts", Err: err}
		}
	}
	if err := loop.MakeOut(c.Out); err != nil {
		return err
	}
	if shipped {
		c.Generator, err = loop.CopyShipped(c.Out)
	}
	return err
}

// rewardModel verifies the reward model's checkpoint whole, with a
// scalar head.
func rewardModel(path string) error {
	h, err := checkpoint.ReadHeader(path)
	if err == nil && !h.Model.ScoreHead {
		err = fmt.Errorf("%s has no scalar head; train one with spag train --objective apo --score scalar", path)
	}
	return err
}

// preferences parses preference items as every round's training will.
func preferences(path string) error {
	_, _, err := trainer.ReadData(path, train.ObjectiveAPO)
	return err
}

func queries(source, setting string) (map[string]bool, error) {
	items, err := apo.Items(source)
	if err != nil {
		return nil, &selfplay.SettingError{Setting: setting, Err: err}
	}
	qs := make(map[string]bool, len(items))
	for _, it := range items {
		qs[it.Query] = true
	}
	return qs, nil
}

// Env is what a loop runs with: the database, the trainer and the play
// options.
//
// Its trainer trains both models: the native trainer, as the loop plays
// and scores native checkpoints.
type Env = loop.Env

// RoundState is what a round's finished stages made.
type RoundState struct {
	// Generator and RewardModel are the checkpoints the round starts from.
	Generator   string `json:"generator"`
	RewardModel string `json:"reward_model"`
	// GenerateRun and RateRun are the training games against the current
	// and the new reward model; EvalRun the new generator's held-out games
	// against the frozen reward model, BaselineRun the initial generator's
	// (round 1 plays it; later rounds take its measures over).
	GenerateRun string `json:"generate_run,omitempty"`
	RateRun     string `json:"rate_run,omitempty"`
	EvalRun     string `json:"eval_run,omitempty"`
	BaselineRun string `json:"baseline_run,omitempty"`
	// RMData and GenData are the training data files; RMItems and
	// GenItems count their items (GenRated the answers they were chosen
	// from).
	RMData   string `json:"rm_data,omitempty"`
	RMItems  int    `json:"rm_items,omitempty"`
	GenData  string `json:"gen_data,omitempty"`
	GenItems int    `json:"gen_items,omitempty"`
	GenRated int    `json:"gen_rated,omitempty"`
	// NewRewardModel and NewGenerator are the trained checkpoints, with
	// their training records.
	NewRewardModel string `json:"new_reward_model,omitempty"`
	RMTrainingID   string `json:"rm_training_id,omitempty"`
	NewGenerator   string `json:"new_generator,omitempty"`
	GenTrainingID  string `json:"gen_training_id,omitempty"`
	// Measures are the new pair's, Baseline the initial pair's on the same
	// held-out queries.
	Measures *Measures `json:"measures,omitempty"`
	Baseline *Measures `json:"baseline,omitempty"`
}

// Measures are one generator's and one reward model's held-out numbers.
type Measures struct {
	// GeneratorWins of Games are the generator's wins against the frozen
	// initial reward model.
	GeneratorWins int `json:"generator_wins"`
	Games         int `json:"games"`
	// Yardstick is the reverse dictionary's top-1 and top-5 counts of the
	// generator's answers.
	Yardstick revdict.Rates `json:"yardstick"`
	// Preferences and Generated are the reward model's accuracy and
	// calibration on the held-out preference items (nil without them) and
	// on the gold-versus-generated items of the round's held-out games
	// (for the baseline: the initial reward model on the same items).
	Preferences *train.RMEval `json:"preferences,omitempty"`
	Generated   *train.RMEval `json:"generated,omitempty"`
}

// ErrInterrupted is returned when the loop stopped for a drain or a
// cancellation; what finished is recorded and the loop can be resumed.
var ErrInterrupted = loop.ErrInterrupted

// apoLoop is the APO loop as package loop runs it.
var apoLoop = &loop.Game[Config, RoundState]{
	Name: Game,
	Kind: "an APO loop",
	Check: func(c Config) error {
		if err := c.Check(); err != nil {
			return err
		}
		if c.Game != Game {
			return errors.New("apo loop: the configuration is not prepared (Config.Prepare)")
		}
		return nil
	},
	Begin: func(c Config, prev, st *RoundState, recorded bool) {
		if !recorded {
			// The pair the round before trained, or the initial one.
			st.Generator, st.RewardModel = c.Generator, c.RewardModel
			if prev != nil {
				st.Generator, st.RewardModel = prev.NewGenerator, prev.NewRewardModel
			}
		}
		if st.Baseline == nil && prev != nil && prev.Baseline != nil {
			// A copy: the round sets its own reward-model baseline.
			b := *prev.Baseline
			st.Baseline = &b
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
	return held(loop.Start(ctx, env, apoLoop, cfg))
}

// Resume takes up the recorded APO loop rec and takes its lease
// ([Loop.Close] releases it): a loop that another live process runs is
// refused with an error naming it ([episodes.ErrBusy]).
func Resume(ctx context.Context, env *Env, rec *episodes.Loop) (*Loop, error) {
	return held(loop.Resume(ctx, env, apoLoop, rec))
}

// held is the loop that loop.Start or loop.Resume took up.
func held(l *loop.Loop[Config, RoundState], err error) (*Loop, error) {
	if err != nil {
		return nil, err
	}
	return &Loop{l}, nil
}

// Run runs the loop's rounds from where it stands to the end.
func (l *Loop) Run(ctx context.Context) error {
	return l.Loop.Run(ctx, []loop.Stage[RoundState]{
		{Name: StageGenerate, Run: l.generate}, {Name: StageRMData, Run: l.rmData}, {Name: StageRMTrain, Run: l.rmTrain},
		{Name: StageRate, Run: l.rate}, {Name: StageGenData, Run: l.genData}, {Name: StageGenTrain, Run: l.genTrain},
		{Name: StageEval, Run: l.evaluate}, {Name: StagePlot, Run: l.plot},
	})
}

// roundSeed gives each round its own seed, so that rounds draw other
// queries and samples.
func roundSeed(seed uint64, round int) uint64 { return selfplay.EpisodeSeed(seed, 2_000_000+round) }

// apoRun is one of a round's runs: the generator against the reward
// model (checkpoints) on the queries of prompts, samples answers to each
// of queries of them (0: all). what names it in the log and in errors.
type apoRun struct {
	what, generator, rm, prompts string
	queries, samples             int
	seed                         uint64
}

// playRun plays (or resumes) the run p, the run *id when it is recorded,
// and records its ID in *id as soon as it begins.
func (l *Loop) playRun(ctx context.Context, r *Round, id *string, p apoRun) error {
	var run *episodes.Run
	cfg := aporun.Config{Prompts: p.prompts, MaxResponseBytes: l.Config.MaxResponseBytes, Generator: "native:" + p.generator,
		RewardModel: "scalar:" + p.rm, Seed: p.seed, Samples: p.samples, Games: p.queries * p.samples, Options: l.Config.Options}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = apo.DefaultMaxResponseBytes
	}
	if *id != "" {
		var err error
		if run, err = l.Store.Run(ctx, *id); err != nil {
			return err
		}
		cfg = aporun.Config{}
		if err := selfplay.StoredConfig(run, &cfg); err != nil {
			return err
		}
	}
	plan, err := l.plan(ctx, cfg, run)
	if err != nil {
		return fmt.Errorf("%s: %w", p.what, err)
	}
	return r.Play(ctx, plan, run, p.what, func(run string) { *id = run }, func(run string, pending int) {
		r.Logf("%s: generator %s against reward model %s, run %s, %d games to play", p.what, p.generator, p.rm, run, pending)
	})
}

// plan is the plan of an APO run: the stored run's, or a new one's.
func (l *Loop) plan(ctx context.Context, cfg aporun.Config, run *episodes.Run) (*selfplay.Plan, error) {
	items, err := apo.Items(cfg.Prompts)
	if err != nil {
		return nil, err
	}
	if run == nil {
		if err := cfg.Prepare(items); err != nil {
			return nil, err
		}
	}
	return cfg.Plan(ctx, items, run)
}

func (l *Loop) generate(ctx context.Context, r *Round) error {
	st := &r.State
	return l.playRun(ctx, r, &st.GenerateRun, apoRun{"answers for the reward model", st.Generator, st.RewardModel,
		l.Config.Prompts, l.Config.Queries, l.Config.Samples, roundSeed(l.Config.Seed, r.N)})
}

// stored reads a finished run of the loop back.
func (l *Loop) stored(ctx context.Context, id string) (*aporun.Stored, error) {
	run, err := l.Store.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	return aporun.Read(ctx, l.Store, run)
}

// rmData writes the preference items followed by the round's
// gold-versus-samples items.
func (l *Loop) rmData(ctx context.Context, r *Round) error {
	st := &r.State
	sr, err := l.stored(ctx, st.GenerateRun)
	if err != nil {
		return err
	}
	items, _, err := sr.Game.TrainingItems(sr.Rated)
	if err != nil {
		return err
	}
	prefs, err := os.ReadFile(l.Config.Preferences)
	if err != nil {
		return fmt.Errorf("preference items: %w", err)
	}
	path := filepath.Join(r.Dir, "rm.jsonl")
	if err := writeItems(path, prefs, items); err != nil {
		return err
	}
	st.RMData, st.RMItems = path, len(items)
	r.Logf("reward-model data: the preference items and %d gold-versus-samples items", len(items))
	return nil
}

// writeItems writes reward-model items as JSON Lines to path, atomically,
// after head (the lines of other items; nil for none).
func writeItems(path string, head []byte, items []apo.TrainingItem) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		if _, err := w.Write(head); err != nil {
			return err
		}
		if len(head) > 0 && head[len(head)-1] != '\n' {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, it := range items {
			if err := enc.Encode(it); err != nil {
				return err
			}
		}
		return nil
	})
}

// trainModel trains cfg from init on data into out, resuming a run that
// out holds unfinished; it returns the checkpoint and the training ID.
func (l *Loop) trainModel(ctx context.Context, r *Round, what string, cfg train.Config, init, data, heldOut, out string, trainingID *string) (string, error) {
	cfg.Seed = roundSeed(l.Config.Seed, r.N)
	job := trainer.Job{Config: cfg, Data: data, HeldOut: heldOut, Init: trainer.Policy{Checkpoint: init},
		Out: out}
	return r.Train(ctx, job, trainingID, func(resume bool) {
		r.Logf("training the %s %s on %s (resume %v)", what, init, data, resume)
	}, what+" training")
}

func (l *Loop) rmTrain(ctx context.Context, r *Round) error {
	st := &r.State
	ckpt, err := l.trainModel(ctx, r, "reward model", l.Config.RM, st.RewardModel, st.RMData, l.Config.HeldOutPreferences,
		filepath.Join(r.Dir, "reward-model.ckpt"), &st.RMTrainingID)
	st.NewRewardModel = ckpt
	return err
}

func (l *Loop) rate(ctx context.Context, r *Round) error {
	st := &r.State
	// The round's seed again: the same queries, rated by the new model.
	return l.playRun(ctx, r, &st.RateRun, apoRun{"answers rated by the new reward model", st.Generator, st.NewRewardModel,
		l.Config.Prompts, l.Config.Queries, l.Config.Samples, roundSeed(l.Config.Seed, r.N)})
}

// genData keeps each query's best-rated answer.
func (l *Loop) genData(ctx context.Context, r *Round) error {
	st := &r.State
	sr, err := l.stored(ctx, st.RateRun)
	if err != nil {
		return err
	}
	samples, _, _, err := sr.GeneratorSamples()
	if err != nil {
		return err
	}
	best := aporun.BestOfEach(samples)
	if len(best) == 0 {
		return fmt.Errorf("no rated answer to learn from in run %s (see spag replay --run %s)", sr.Run.ID, sr.Run.ID)
	}
	path := filepath.Join(r.Dir, "generator.json")
	if err := atomicfile.Write(path, func(w io.Writer) error { return rl.WriteSPAGTraining(w, best) }); err != nil {
		return err
	}
	st.GenData, st.GenItems, st.GenRated = path, len(best), len(samples)
	r.Logf("generator data: %s", bestOfLine(len(samples), len(best)))
	return nil
}

// bestOfLine says what the generator's data was chosen from: each query's
// best answer among its own rated answers (rated over queries of them),
// not among all the round's.
func bestOfLine(rated, queries int) string {
	if rated%queries == 0 {
		return fmt.Sprintf("the best-rated answer of each of %d queries, among its %d rated answers (%d in all)", queries, rated/queries, rated)
	}
	return fmt.Sprintf("the best-rated answer of each of %d queries, among its rated answers (%.2f a query on average, %d in all)",
		queries, float64(rated)/float64(queries), rated)
}

func (l *Loop) genTrain(ctx context.Context, r *Round) error {
	st := &r.State
	ckpt, err := l.trainModel(ctx, r, "generator", l.Config.Gen, st.Generator, st.GenData, "",
		filepath.Join(r.Dir, "generator.ckpt"), &st.GenTrainingID)
	st.NewGenerator = ckpt
	return err
}

// evaluate measures the new pair on the held-out queries, and in round 1
// the initial pair too.
func (l *Loop) evaluate(ctx context.Context, r *Round) error {
	st := &r.State
	seed := roundSeed(l.Config.Seed, 0) // every round's evaluation plays the same queries
	if st.Baseline == nil {
		if err := l.playRun(ctx, r, &st.BaselineRun, apoRun{"held-out answers of the initial generator", l.Config.Generator, l.Config.RewardModel,
			l.Config.EvalPrompts, l.Config.EvalQueries, 1, seed}); err != nil {
			return err
		}
		m, err := l.measure(ctx, st.BaselineRun, l.Config.RewardModel, filepath.Join(r.Dir, "baseline-generated.jsonl"))
		if err != nil {
			return err
		}
		st.Baseline = m
		if err := r.Save(ctx); err != nil {
			return err
		}
	}
	if err := l.playRun(ctx, r, &st.EvalRun, apoRun{"held-out answers of the new generator", st.NewGenerator, l.Config.RewardModel,
		l.Config.EvalPrompts, l.Config.EvalQueries, 1, seed}); err != nil {
		return err
	}
	items := filepath.Join(r.Dir, "heldout-generated.jsonl")
	m, err := l.measure(ctx, st.EvalRun, st.NewRewardModel, items)
	if err != nil {
		return err
	}
	// The initial reward model on the same generated answers, so that the
	// two are compared on one set.
	if m.Preferences == nil && l.Config.HeldOutPreferences != "" {
		return errors.New("the held-out preference items hold no pair")
	}
	initial, err := trainer.EvaluateRewardModel(ctx, l.Config.RewardModel, items)
	if err != nil {
		return err
	}
	st.Baseline.Generated = initial
	st.Measures = m
	r.Logf("generator against the frozen reward model %d/%d (initial %d/%d); reverse dictionary %v (initial %v)",
		m.GeneratorWins, m.Games, st.Baseline.GeneratorWins, st.Baseline.Games, m.Yardstick, st.Baseline.Yardstick)
	return nil
}

// measure reads the held-out run id (the generator against the frozen
// reward model): the generator's wins and its answers' reverse-dictionary
// ranks, and the reward model rm's accuracy on the held-out preference
// items and on the run's gold-versus-generated items, which it writes to
// items.
func (l *Loop) measure(ctx context.Context, id, rm, items string) (*Measures, error) {
	sr, err := l.stored(ctx, id)
	if err != nil {
		return nil, err
	}
	m := &Measures{}
	for _, ep := range sr.Rated {
		gold, sample, err := apo.EpisodeRatings(ep.Seed, ep.Reply)
		m.Games++
		if err == nil && sample > gold {
			m.GeneratorWins++
		}
	}
	if m.Yardstick, err = l.yardstick(sr); err != nil {
		return nil, err
	}
	trainingItems, _, err := sr.Game.TrainingItems(sr.Rated)
	if err != nil {
		return nil, err
	}
	if err := writeItems(items, nil, trainingItems); err != nil {
		return nil, err
	}
	if m.Generated, err = trainer.EvaluateRewardModel(ctx, rm, items); err != nil {
		return nil, err
	}
	if l.Config.HeldOutPreferences != "" {
		if m.Preferences, err = trainer.EvaluateRewardModel(ctx, rm, l.Config.HeldOutPreferences); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// yardstick ranks the run's answers with the definitions task's reverse
// dictionary; another task's runs have no yardstick (zero rates).
func (l *Loop) yardstick(sr *aporun.Stored) (revdict.Rates, error) {
	if len(sr.Rated) == 0 {
		return revdict.Rates{}, nil
	}
	if _, ok := definitions.WordOf(sr.Rated[0].Query); !ok {
		return revdict.Rates{}, nil
	}
	entries, err := definitions.Builtin()
	if err != nil {
		return revdict.Rates{}, err
	}
	ix, err := definitions.ReverseDictionary(entries)
	if err != nil {
		return revdict.Rates{}, err
	}
	return sr.Yardstick(ix)
}

// WriteCalibration prints the calibration errors of each round's reward
// model beside the initial model's on the same items, which the win-rate
// table of [Loop.Results] cannot show.
func WriteCalibration(w io.Writer, states []RoundState) error {
	ece := func(e *train.RMEval) string {
		if e == nil {
			return "-"
		}
		return fmt.Sprintf("%.4f", e.ECE)
	}
	if _, err := fmt.Fprint(w, "\nreward model calibration error (ECE, 10 bins; initial model in brackets)\nround  held-out preferences  held-out gold vs generated\n"); err != nil {
		return err
	}
	for i, st := range states {
		if st.Measures == nil || st.Baseline == nil {
			continue
		}
		if _, err := fmt.Fprintf(w, "%-5d  %-6s (%-6s)       %-6s (%s)\n", i+1, ece(st.Measures.Preferences), ece(st.Baseline.Preferences),
			ece(st.Measures.Generated), ece(st.Baseline.Generated)); err != nil {
			return err
		}
	}
	return nil
}

// Results are the evaluation of every finished round as win-rate cells
// (package eval), the initial pair's numbers as each cell's baseline: the
// generator's wins against the frozen reward model and its answers'
// reverse-dictionary top-1 and top-5 counts, and the reward model's
// correctly ranked pairs of held-out preference items and of held-out
// gold-versus-generated items.
func (l *Loop) Results(ctx context.Context) ([]eval.RoundResult, error) {
	states, err := l.States(ctx)
	if err != nil {
		return nil, err
	}
	return resultsOf(states), nil
}

// resultsOf is the evaluation of the rounds whose states are given.
func resultsOf(states []RoundState) []eval.RoundResult {
	var out []eval.RoundResult
	for i, st := range states {
		if st.Measures != nil && st.Baseline != nil {
			out = append(out, roundResults(i+1, st.Measures, st.Baseline)...)
		}
	}
	return out
}

// History is the evaluation of a stored APO loop's finished rounds, as
// [Loop.Results] gives it, with how its chart shows them, read without
// taking up the loop: what a report page of the loop draws
// (iterate.ReportOptions.Histories).
func History(ctx context.Context, store *episodes.Store, loopID string) (eval.LoopCharts, error) {
	states, err := loop.States[RoundState](ctx, store, loopID)
	if err != nil {
		return eval.LoopCharts{}, err
	}
	return chartsOf(states), nil
}

// chartsOf is the chart of the rounds whose states are given: a panel
// per measure, each with its own axis (a win rate, a hit rate, pairs
// ranked right), and the reward models' calibration errors. Round 0 is
// the initial pair, which the loop measures once as every round's
// baseline, except on each round's gold-versus-generated items: the
// initial reward model is measured on those of each round's new
// generator, not of the initial one.
func chartsOf(states []RoundState) eval.LoopCharts {
	o := eval.WinRateOptions{
		ByOpponent: true,
		Baseline:   "the initial generator and reward model",
		Axes: map[string]string{AgainstFrozenRM: "win rate", AgainstTop1: "top-1 hit rate", AgainstTop5: "top-5 hit rate",
			AgainstPreferences: "pairs ranked right", AgainstGenerated: "pairs ranked right"},
		Names: map[string]string{AgainstFrozenRM: "generator vs the initial reward model",
			AgainstTop1: "reverse dictionary: top-1 hits", AgainstTop5: "reverse dictionary: top-5 hits",
			AgainstPreferences: "reward model: held-out preferences", AgainstGenerated: "reward model: gold vs generated"},
	}
	prefs := eval.MetricPanel{Role: RoleRewardModel, Title: "calibration: held-out preferences", YLabel: "calibration error (ECE, 10 bins)"}
	gen := eval.MetricPanel{Role: RoleRewardModel, Title: "calibration: gold vs generated", YLabel: prefs.YLabel}
	ece := func(e *train.RMEval) float64 {
		if e == nil {
			return math.NaN()
		}
		return e.ECE
	}
	for i, st := range states {
		if st.Measures == nil || st.Baseline == nil {
			continue
		}
		if o.Start == nil {
			for _, c := range roundResults(0, st.Baseline, st.Baseline) {
				if c.Opponent != AgainstGenerated {
					c.BaselineWins, c.BaselineGames = 0, 0
					o.Start = append(o.Start, c)
				}
			}
			if st.Baseline.Preferences != nil {
				prefs.Points = append(prefs.Points, eval.MetricPoint{Round: 0, Value: st.Baseline.Preferences.ECE, Baseline: math.NaN()})
			}
		}
		if st.Measures.Preferences != nil {
			prefs.Points = append(prefs.Points, eval.MetricPoint{Round: i + 1, Value: ece(st.Measures.Preferences), Baseline: ece(st.Baseline.Preferences)})
		}
		if st.Measures.Generated != nil {
			gen.Points = append(gen.Points, eval.MetricPoint{Round: i + 1, Value: ece(st.Measures.Generated), Baseline: ece(st.Baseline.Generated)})
		}
	}
	for _, m := range []eval.MetricPanel{prefs, gen} {
		if len(m.Points) > 0 {
			o.Metrics = append(o.Metrics, m)
		}
	}
	if len(o.Start) > 0 {
		o.Notes = append(o.Notes, "Round 0 is the initial generator and reward model, measured once as every round's baseline; "+
			"the initial reward model's gold-vs-generated baseline is on each round's new answers.")
	}
	return eval.LoopCharts{Rounds: resultsOf(states), WinRate: o}
}

// Cell names of [Loop.Results]: the role is the model measured, the
// "opponent" what measured it.
const (
	RoleGenerator      = "generator"
	RoleRewardModel    = "reward model"
	AgainstFrozenRM    = "frozen reward model"
	AgainstTop1        = "reverse dictionary top-1"
	AgainstTop5        = "reverse dictionary top-5"
	AgainstPreferences = "held-out preferences"
	AgainstGenerated   = "held-out gold vs generated"
)

func roundResults(round int, m, base *Measures) []eval.RoundResult {
	cell := func(role, against string, wins, games, bWins, bGames int) eval.RoundResult {
		return eval.RoundResult{Round: round, Opponent: against, Role: role, Wins: wins, Games: games, BaselineWins: bWins, BaselineGames: bGames}
	}
	out := []eval.RoundResult{
		cell(RoleGenerator, AgainstFrozenRM, m.GeneratorWins, m.Games, base.GeneratorWins, base.Games),
		cell(RoleGenerator, AgainstTop1, m.Yardstick.Top1, m.Yardstick.N, base.Yardstick.Top1, base.Yardstick.N),
		cell(RoleGenerator, AgainstTop5, m.Yardstick.Top5, m.Yardstick.N, base.Yardstick.Top5, base.Yardstick.N),
	}
	for _, c := range []struct {
		against string
		m, base *train.RMEval
	}{{AgainstPreferences, m.Preferences, base.Preferences}, {AgainstGenerated, m.Generated, base.Generated}} {
		if c.m == nil || c.base == nil {
			continue
		}
		out = append(out, cell(RoleRewardModel, c.against, rightPairs(c.m), c.m.Pairs, rightPairs(c.base), c.base.Pairs))
	}
	return out
}

// rightPairs is the number of pairs an evaluation ranked right.
func rightPairs(e *train.RMEval) int { return int(e.PrefAccuracy*float64(e.Pairs) + 0.5) }

// plot draws the results of every round so far.
func (l *Loop) plot(ctx context.Context, r *Round) error {
	states, err := l.States(ctx)
	if err != nil {
		return err
	}
	return r.Plot(chartsOf(states))
}
