// Package tabooloop runs SPAG's loop (Adversarial Taboo's) as rounds of library calls: each round
// (1) the current policy plays itself (or opponents drawn from a
// population, [PlanRound]) on the training words, (2) SPAG's reward rule
// turns the winners' turns into training data (or the zero-sum rule every
// learning turn), (3) a trainer trains the policy with the SPAG objective
// (or zerosum) against the frozen reference,
// (4) the arena measures the new policy against the reference and against
// fixed opponents in both roles on held-out words, and (5) the plots of
// every round so far are written. Each round's stage and what its stages
// made are recorded in the episodes store as they finish, so a killed loop
// resumes at the stage it was in, without replaying a finished game; a
// killed training resumes from its last save ([loop.SaveInterval]).
//
// The loop knows the Taboo game only through the plans its caller makes
// ([Env.Plan]) and the dataset package's reward rule.
package tabooloop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spag-go/spag/arena"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo/dataset"
	"github.com/spag-go/spag/taboo/reward"
)

// The stages of a round, in order. A round records the next stage to run.
const (
	StageSelfplay = "selfplay"
	StageRewards  = "rewards"
	StageTrain    = "train"
	StageEval     = "eval"
	StagePlot     = "plot"
	StageDone     = loop.StageDone
)

// Config is a loop. It is recorded with the loop; a resumed loop runs with
// the recorded one.
type Config struct {
	Rounds int `json:"rounds"`
	// Games is the number of self-play games per round; EvalGames the
	// number of games per arena pairing.
	Games     int `json:"games"`
	EvalGames int `json:"eval_games"`
	// Init is the policy of round 1 (the imitation model), a native
	// checkpoint; Ref the frozen reference of every round's training
	// (Init when empty). Absolute paths.
	Init string `json:"init"`
	Ref  string `json:"ref"`
	// InitSpec is the player spec that plays Init ("native" for the
	// shipped model); empty means "native:" + Init.
	InitSpec string `json:"init_spec,omitempty"`
	// SFT is a SPAG training JSON file whose imitation samples are mixed
	// into every round's data, as SPAG mixes general instruction data.
	SFT string `json:"sft,omitempty"`
	// Play are the settings every run of the loop is played with (the
	// game's rules and the players' options), stored so that a resumed
	// loop plays its new runs as it played the first ones. The loop does
	// not read them: they are the caller's, for its [Env.Plan].
	Play json.RawMessage `json:"play,omitempty"`
	// Out is the directory of the loop's files: each round's data,
	// checkpoint and plots.
	Out string `json:"out"`
	// Opponents are fixed players the policy is measured against besides
	// the reference.
	Opponents []string `json:"opponents"`
	// TrainWords and EvalWords are the word sources of self-play and of
	// the arena (taboo.Words: a built-in source or a file); they must not
	// share a word, so that the arena measures the policy on words it never
	// trained on ([Config.CheckWords]).
	TrainWords string `json:"train_words"`
	EvalWords  string `json:"eval_words"`
	Seed       uint64 `json:"seed"`
	// Trainer is "native" or "exec:CMD" (see trainer.Open).
	Trainer string `json:"trainer"`
	// Train holds the objective (spag) and its settings; Steps or Epochs
	// set the length of each round's training.
	Train  train.Config `json:"train"`
	Epochs float64      `json:"epochs,omitempty"`
	// Decay is SPAG's reward decay.
	Decay float64 `json:"decay"`
	// LoserReward, when negative, also trains on each loser's decisive
	// move with this reward (reward.RewardOptions.LoserReward); 0 is SPAG's
	// rule.
	LoserReward float64 `json:"loser_reward,omitempty"`
	// ZeroSum, set exactly when Train.Objective is zerosum, makes each
	// round's data with the zero-sum rule instead of SPAG's.
	ZeroSum *ZeroSumRule `json:"zerosum,omitempty"`
	// Population is the mixture each round's self-play draws its games'
	// opponents from (see PlanRound); nil is self-play alone, one run a
	// round, as before populations existed.
	Population Mixture `json:"population,omitempty"`
	// NotHeldOut are the evaluation opponents that also play in training
	// (built-in players in the population): their results do not measure
	// the policy against an opponent it never met. Start fills it in.
	NotHeldOut []string `json:"not_held_out,omitempty"`
}

// ZeroSumRule are the zero-sum rule's settings (reward.ZeroSumOptions): which
// turns get the advantage and the running mean's decay. The running mean
// itself goes from round to round in the rounds' records
// (RoundState.ZeroSum.Baseline).
type ZeroSumRule struct {
	Credit        string  `json:"credit"`
	BaselineDecay float64 `json:"baseline_decay"`
	// BaselinePer is what the baseline is the mean return of
	// (rl.ZeroSumOptions.Per); "" in loops recorded before it existed.
	BaselinePer string `json:"baseline_per,omitempty"`
}

// Check reports a configuration that cannot run, naming the setting, and
// reads no file: a command calls it before anything is recorded or
// created. Errors about a setting are [*selfplay.SettingError]s naming it
// as spag iterate's flag does. An empty Init is the shipped model, which
// [Config.Prepare] fills in.
func (c *Config) Check() error {
	bad := func(setting string, format string, args ...any) error {
		return &selfplay.SettingError{Setting: setting, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case c.Rounds < 1:
		return bad("rounds", "must be at least 1 (got %d)", c.Rounds)
	case c.Games < 1:
		return bad("games", "must be at least 1 (got %d)", c.Games)
	case c.EvalGames < 1:
		return bad("eval-games", "must be at least 1 (got %d)", c.EvalGames)
	case c.Out == "":
		return bad("out", "no output directory")
	case (c.Train.Steps > 0) == (c.Epochs > 0):
		return errors.New("give exactly one of --steps and --epochs (both positive)")
	case math.IsInf(c.Epochs, 0):
		return bad("epochs", "must be a finite number (got %v)", c.Epochs)
	case !(c.Decay > 0 && c.Decay <= 1):
		return bad("decay", "must be in (0, 1] (got %v)", c.Decay)
	case !(c.LoserReward <= 0):
		return bad("loser-reward", "must be 0 or negative (got %v)", c.LoserReward)
	case c.Train.Objective != "" && c.Train.Objective != train.ObjectiveSPAG && c.Train.Objective != train.ObjectiveZeroSum:
		return bad("objective", "%q: a loop trains with spag or zerosum", c.Train.Objective)
	case (c.Train.Objective == train.ObjectiveZeroSum) != (c.ZeroSum != nil):
		return errors.New("the zero-sum rule's settings go with the zerosum objective, and only with it")
	case c.ZeroSum != nil && c.LoserReward != 0:
		return bad("loser-reward", "is SPAG's rule; the zero-sum rule already rewards every loss")
	}
	if c.ZeroSum != nil {
		if err := reward.CheckZeroSum(c.ZeroSum.Credit, c.ZeroSum.BaselineDecay); err != nil {
			return err
		}
		if err := reward.CheckBaselinePer(c.ZeroSum.BaselinePer); err != nil {
			return bad("baseline-per", "%v", err)
		}
	}
	if c.Population != nil {
		if _, err := ParseMixture(c.Population.String()); err != nil {
			return bad("opponents", "%v", err)
		}
	}
	return loop.CheckTraining(c.Train, "")
}

// InTraining lists the evaluation opponents that the population plays in
// training: the built-in ones, when it draws builtin.
func (c *Config) InTraining() []string {
	var out []string
	if c.Population.Has(OpponentBuiltin) {
		for _, o := range c.Opponents {
			if o == "builtin" || strings.HasPrefix(o, "builtin:") {
				out = append(out, o)
			}
		}
	}
	return out
}

// Prepare completes a new loop's configuration after [Config.Check]: Init,
// Ref and SFT are made absolute and must be sound, so that a loop resumed
// from another directory finds them and a damaged file is refused before
// the loop is recorded: the checkpoints are verified whole, the imitation
// data is parsed. Only then is Out made absolute and created; an empty
// Init is the shipped model, copied to Out so that a trainer can start
// from it, and played as "native". Errors about a path are
// [*selfplay.SettingError]s naming the setting: out, init, ref or sft.
func (c *Config) Prepare() error {
	err := loop.PrepareFiles(&c.Out, loop.File{Setting: "init", Path: &c.Init, Check: loop.CheckpointWhole},
		loop.File{Setting: "ref", Path: &c.Ref, Check: loop.CheckpointWhole}, loop.File{Setting: "sft", Path: &c.SFT, Check: checkSFT})
	if err != nil {
		return err
	}
	if err := loop.MakeOut(c.Out); err != nil {
		return err
	}
	if c.Init == "" {
		if c.Init, err = loop.CopyShipped(c.Out); err != nil {
			return err
		}
		c.InitSpec = "native"
	}
	if c.InitSpec == "" {
		c.InitSpec = "native:" + c.Init
	}
	return nil
}

// checkSFT parses the imitation data at path as every round will.
func checkSFT(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = rl.ReadSFT(f, path)
	return err
}

// CheckWords reads the two word sources with read (the game's reader of
// a word source) and reports, as a [*selfplay.SettingError] naming words
// or eval-words, a source that cannot be read or a word the two share.
func (c *Config) CheckWords(read func(source string) ([]string, error)) error {
	lists := make([]map[string]bool, 2)
	for i, p := range []struct{ setting, source string }{{"words", c.TrainWords}, {"eval-words", c.EvalWords}} {
		words, err := read(p.source)
		if err != nil {
			return &selfplay.SettingError{Setting: p.setting, Err: err}
		}
		lists[i] = make(map[string]bool, len(words))
		for _, w := range words {
			lists[i][w] = true
		}
	}
	var shared []string
	for w := range lists[1] {
		if lists[0][w] {
			shared = append(shared, w)
		}
	}
	if len(shared) > 0 {
		sort.Strings(shared)
		return &selfplay.SettingError{Setting: "eval-words", Err: fmt.Errorf(
			"%d of its words are also training words (%s): the evaluation must be on words the policy never trained on; give disjoint lists",
			len(shared), strings.Join(shared[:min(len(shared), 5)], ", "))}
	}
	return nil
}

// Env is what a loop runs with: what every loop does ([loop.Env]: the
// database, the trainer, the play options), how to make a plan and the
// judge of the rewards.
type Env struct {
	loop.Env
	// Plan makes the plan of a run of attacker against defender on the
	// words of a source, with games episodes and the seed; run is the
	// stored run when resuming (nil for a new one).
	Plan func(attacker, defender, words string, games int, seed uint64, run *episodes.Run) (*selfplay.Plan, error)
	// Judge judges the episodes for the rewards (the run's own judge).
	Judge judge.Judge
}

// RoundState is what a round's finished stages made.
type RoundState struct {
	// Policy is the spec of the policy this round starts from.
	Policy string `json:"policy"`
	// PolicyCheckpoint is its checkpoint.
	PolicyCheckpoint string `json:"policy_checkpoint"`
	SelfplayRun      string `json:"selfplay_run,omitempty"`
	// Plan is the round's self-play runs when the loop draws opponents
	// from a population, SelfplayRuns their runs by PlannedRun.Key.
	Plan         []PlannedRun      `json:"plan,omitempty"`
	SelfplayRuns map[string]string `json:"selfplay_runs,omitempty"`
	// Data is the round's training data; Rewards its counts (SPAG's
	// rule) or ZeroSum (the zero-sum rule, with the running mean after
	// this round).
	Data    string               `json:"data,omitempty"`
	Rewards *reward.RewardStats  `json:"rewards,omitempty"`
	ZeroSum *reward.ZeroSumStats `json:"zerosum,omitempty"`
	// Checkpoint is the trained policy; TrainingID its training record.
	Checkpoint string `json:"checkpoint,omitempty"`
	TrainingID string `json:"training_id,omitempty"`
	// Arenas are the evaluation's runs: by opponent, by pairing label.
	Arenas map[string]map[string]string `json:"arenas,omitempty"`
	// Results are the evaluation's results.
	Results []eval.RoundResult `json:"results,omitempty"`
}

// ErrInterrupted is returned when the loop stopped for a drain or a
// cancellation; what finished is recorded and the loop can be resumed.
var ErrInterrupted = loop.ErrInterrupted

// ErrNothingToTrain is wrapped when a round's self-play produced no
// winning game: SPAG rewards only winners, so there is nothing to learn.
var ErrNothingToTrain = errors.New("iterate: no winning game to train on")

// Game is the name a Taboo loop records ([loop.Game]); loops recorded
// before loops named their game are Taboo loops.
const Game = "taboo"

// tabooLoop is the Taboo loop as package loop runs it.
var tabooLoop = &loop.Game[Config, RoundState]{
	Name:    Game,
	Kind:    "a Taboo loop",
	Unnamed: true,
	Check: func(c Config) error {
		if err := c.Check(); err != nil {
			return err
		}
		if c.Init == "" || c.InitSpec == "" {
			return errors.New("iterate: the configuration is not prepared (Config.Prepare)")
		}
		return nil
	},
	Begin: func(c Config, prev, st *RoundState, recorded bool) {
		// A round begins with the policy the round before trained.
		if !recorded && prev != nil {
			st.Policy, st.PolicyCheckpoint = "native:"+prev.Checkpoint, prev.Checkpoint
		} else if !recorded {
			st.Policy, st.PolicyCheckpoint = initialPolicy(c)
		}
	},
}

// Round is a round of the loop, as its stages see it.
type Round = loop.Round[RoundState]

// Loop is a loop being run.
type Loop struct {
	*loop.Loop[Config, RoundState]
	env *Env
}

// Start records a new loop and takes its lease ([Loop.Close] releases
// it); cfg must be prepared ([Config.Prepare]).
func Start(ctx context.Context, env *Env, cfg Config) (*Loop, error) {
	cfg.NotHeldOut = cfg.InTraining()
	return env.wrap(loop.Start(ctx, &env.Env, tabooLoop, cfg))
}

// Resume takes up the recorded Taboo loop rec and takes its lease
// ([Loop.Close] releases it): a loop that another live process runs is
// refused with an error naming it ([episodes.ErrBusy]).
func Resume(ctx context.Context, env *Env, rec *episodes.Loop) (*Loop, error) {
	return env.wrap(loop.Resume(ctx, &env.Env, tabooLoop, rec))
}

// wrap is the loop that loop.Start or loop.Resume returned, run in env.
func (env *Env) wrap(l *loop.Loop[Config, RoundState], err error) (*Loop, error) {
	if err != nil {
		return nil, err
	}
	return &Loop{Loop: l, env: env}, nil
}

// Recorded reads loop id ("" for the latest) and its configuration,
// refusing another game's loop.
func Recorded(ctx context.Context, store *episodes.Store, id string) (*episodes.Loop, Config, error) {
	var rec *episodes.Loop
	var err error
	if id == "" {
		rec, err = store.LatestLoop(ctx)
	} else {
		rec, err = store.Loop(ctx, id)
	}
	if err != nil {
		return nil, Config{}, err
	}
	cfg, err := tabooLoop.Config(rec)
	if err != nil {
		return nil, cfg, fmt.Errorf("%w (spag iterate --resume %s prints its table)", err, rec.ID)
	}
	return rec, cfg, nil
}

// Run runs the loop's rounds from where it stands to the end.
func (l *Loop) Run(ctx context.Context) error {
	return l.Loop.Run(ctx, []loop.Stage[RoundState]{
		{Name: StageSelfplay, Run: l.selfplay},
		{Name: StageRewards, Run: l.rewards},
		{Name: StageTrain, Run: l.train},
		{Name: StageEval, Run: l.evaluate},
		{Name: StagePlot, Run: l.plot},
	})
}

func initialPolicy(c Config) (spec, ckpt string) {
	spec = c.InitSpec
	if spec == "" {
		spec = "native:" + c.Init
	}
	return spec, c.Init
}

func (l *Loop) selfplay(ctx context.Context, r *Round) error {
	st := &r.State
	seed := roundSeed(l.Config.Seed, r.N)
	if l.Config.Population != nil {
		return l.populationSelfplay(ctx, r, st, seed)
	}
	var run *episodes.Run
	var err error
	if st.SelfplayRun != "" {
		if run, err = l.Store.Run(ctx, st.SelfplayRun); err != nil {
			return err
		}
	}
	plan, err := l.env.Plan(st.Policy, st.Policy, l.Config.TrainWords, l.Config.Games, seed, run)
	if err != nil {
		return err
	}
	return r.Play(ctx, plan, run, "self-play", func(run string) { st.SelfplayRun = run }, func(run string, pending int) {
		r.Logf("self-play of %s, run %s, %d games to play", st.Policy, run, pending)
	})
}

// populationSelfplay plays the round's runs against the opponents drawn
// from the population: the plan is made once and recorded, each run's ID
// is recorded as it begins, so a resumed round plays the same runs.
func (l *Loop) populationSelfplay(ctx context.Context, r *Round, st *RoundState, seed uint64) error {
	if st.Plan == nil {
		past, err := l.pastPolicies(ctx, r.N)
		if err != nil {
			return err
		}
		init, _ := initialPolicy(l.Config)
		st.Plan = PlanRound(l.Config.Population, l.Config.Games, seed, st.Policy, init, past)
		st.SelfplayRuns = map[string]string{}
		if err := r.Save(ctx); err != nil {
			return err
		}
	}
	for k, p := range st.Plan {
		var run *episodes.Run
		if id := st.SelfplayRuns[p.Key]; id != "" {
			var err error
			if run, err = l.Store.Run(ctx, id); err != nil {
				return err
			}
		}
		plan, err := l.env.Plan(p.Attacker, p.Defender, l.Config.TrainWords, p.Games, selfplay.EpisodeSeed(seed, 2_000_000+k), run)
		if err != nil {
			return fmt.Errorf("against %s: %w", p.Key, err)
		}
		err = r.Play(ctx, plan, run, "self-play against "+p.Key, func(run string) { st.SelfplayRuns[p.Key] = run }, func(run string, pending int) {
			r.Logf("self-play %s: %s against %s, run %s, %d games to play", p.Key, p.Attacker, p.Defender, run, pending)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// pastPolicies are the specs of the policies of rounds 2..n-1 (the
// checkpoints rounds 1..n-2 trained): the earlier policies other than the
// initial one and round n's own.
func (l *Loop) pastPolicies(ctx context.Context, n int) ([]string, error) {
	states, err := l.States(ctx)
	if err != nil {
		return nil, err
	}
	var past []string
	for i, st := range states[:max(0, min(len(states), n-2))] {
		if st.Checkpoint == "" {
			return nil, fmt.Errorf("loop %s: round %d has no trained policy for round %d's population", l.ID, i+1, n)
		}
		past = append(past, "native:"+st.Checkpoint)
	}
	return past, nil
}

func (l *Loop) rewards(ctx context.Context, r *Round) error {
	st := &r.State
	var sft []rl.Sample
	if l.Config.SFT != "" {
		f, err := os.Open(l.Config.SFT)
		if err != nil {
			return fmt.Errorf("imitation data: %w", err)
		}
		sft, err = rl.ReadSFT(f, l.Config.SFT)
		f.Close()
		if err != nil {
			return err
		}
	}
	games := dataset.NewGames(l.env.Judge, "", nil)
	runs := []dataset.RunLearner{{RunID: st.SelfplayRun}}
	if st.Plan != nil {
		runs = runs[:0]
		for _, p := range st.Plan {
			runs = append(runs, dataset.RunLearner{RunID: st.SelfplayRuns[p.Key], Learner: p.Learner})
		}
	}
	pass, err := dataset.FromRuns(ctx, l.Store, runs, l.env.Judge, games)
	if err != nil {
		return err
	}
	path := filepath.Join(r.Dir, "train.json")
	if l.Config.ZeroSum != nil {
		return l.zeroSumRewards(ctx, r, st, pass, games, sft, path)
	}
	var stats reward.RewardStats
	err = atomicfile.Write(path, func(w io.Writer) error {
		var err error
		stats, err = dataset.Write(w, pass, games, dataset.Options{Decay: l.Config.Decay, SFT: sft, LoserReward: l.Config.LoserReward})
		return err
	})
	if err != nil {
		return err
	}
	r.Logf("%s", stats.Summary(len(sft)))
	if stats.AttackerWins+stats.DefenderWins == 0 {
		return fmt.Errorf("%w: self-play of %s gave %d games, %d attacker wins, %d defender wins, %d ties or rule breaks (see spag replay --run %s)",
			ErrNothingToTrain, st.Policy, stats.Episodes, stats.AttackerWins, stats.DefenderWins, stats.Dropped, st.SelfplayRun)
	}
	st.Data, st.Rewards = path, &stats
	return nil
}

// zeroSumRewards writes the round's data with the zero-sum rule, its
// running mean starting from the previous round's.
func (l *Loop) zeroSumRewards(ctx context.Context, r *Round, st *RoundState, pass func() iter.Seq2[*rl.Episode, error], games *dataset.Games, sft []rl.Sample, path string) error {
	var prev map[string]float64
	if r.N > 1 {
		states, err := l.States(ctx)
		if err != nil {
			return err
		}
		if len(states) >= r.N-1 && states[r.N-2].ZeroSum != nil {
			prev = states[r.N-2].ZeroSum.Baseline
		}
	}
	var stats reward.ZeroSumStats
	err := atomicfile.Write(path, func(w io.Writer) error {
		var err error
		stats, err = dataset.WriteZeroSum(w, pass, games, dataset.Options{SFT: sft},
			reward.ZeroSumOptions{Credit: l.Config.ZeroSum.Credit, BaselineDecay: l.Config.ZeroSum.BaselineDecay, Baseline: prev,
				Per: l.Config.ZeroSum.BaselinePer})
		return err
	})
	if err != nil {
		return err
	}
	r.Logf("%s", stats.Summary(len(sft)))
	if stats.Samples == 0 {
		return fmt.Errorf("%w: self-play of %s gave %d games and no turn of the learning policy", ErrNothingToTrain, st.Policy, stats.Episodes)
	}
	st.Data, st.ZeroSum = path, &stats
	return nil
}

func (l *Loop) train(ctx context.Context, r *Round) error {
	st := &r.State
	out := filepath.Join(r.Dir, "policy.ckpt")
	ref := l.Config.Ref
	if ref == "" {
		ref = l.Config.Init
	}
	cfg := l.Config.Train
	cfg.Seed = roundSeed(l.Config.Seed, r.N)
	job := trainer.Job{Config: cfg, Epochs: l.Config.Epochs, Data: st.Data,
		Init: trainer.Policy{Checkpoint: st.PolicyCheckpoint}, Ref: trainer.Policy{Checkpoint: ref},
		Out: out}
	ckpt, err := r.Train(ctx, job, &st.TrainingID, func(resume bool) {
		r.Logf("training %s on %s (reference %s, resume %v)", st.PolicyCheckpoint, st.Data, ref, resume)
	}, "training")
	st.Checkpoint = ckpt
	return err
}

// opponents are the players a round's policy is measured against: the
// reference first, then the fixed opponents.
func (l *Loop) opponents() []string {
	ref, _ := reference(l.Config)
	return append([]string{ref}, l.Config.Opponents...)
}

// reference is the spec of the loop's frozen reference, and whether it
// is the starting policy (the reference of round 1 is then the policy of
// round 0).
func reference(c Config) (spec string, start bool) {
	spec, _ = initialPolicy(c)
	if c.Ref != "" && c.Ref != c.Init {
		return "native:" + c.Ref, false
	}
	return spec, true
}

func (l *Loop) evaluate(ctx context.Context, r *Round) error {
	st := &r.State
	if st.Arenas == nil {
		st.Arenas = map[string]map[string]string{}
	}
	policy := "native:" + st.Checkpoint
	seed := roundSeed(l.Config.Seed, r.N) ^ 0x5eed
	st.Results = st.Results[:0]
	for _, opp := range l.opponents() {
		runs := st.Arenas[opp]
		if runs == nil {
			runs = map[string]string{}
			st.Arenas[opp] = runs
		}
		r.Logf("arena of %s against %s on %s", policy, opp, l.Config.EvalWords)
		res, err := arena.Play(ctx, l.env.Session, arena.Config{A: policy, B: opp, Runs: runs, Options: l.env.Options,
			Plan: func(p arena.Pairing, run *episodes.Run) (*selfplay.Plan, error) {
				return l.env.Plan(p.Players[0], p.Players[1], l.Config.EvalWords, l.Config.EvalGames, seed, run)
			},
			OnRun: func(arena.Pairing, *episodes.Run) error { return r.Save(ctx) }})
		if err != nil {
			return fmt.Errorf("arena against %s: %w", opp, err)
		}
		if res.Interrupted {
			return ErrInterrupted
		}
		if res.Errored > 0 {
			return fmt.Errorf("arena against %s: %d games errored; resume the loop to play them", opp, res.Errored)
		}
		st.Results = append(st.Results, res.RoundResults(r.N, opp)...)
	}
	return nil
}

// History returns the evaluation results and training curves of every
// finished round, for plots and reports.
func (l *Loop) History(ctx context.Context) ([]eval.RoundResult, []eval.TrainingPoint, error) {
	return History(ctx, l.Store, l.ID)
}

// History returns the evaluation results and training curves of every
// finished round of loop id in store, for views that read a loop another
// process may be running.
func History(ctx context.Context, store *episodes.Store, id string) ([]eval.RoundResult, []eval.TrainingPoint, error) {
	states, err := loop.States[RoundState](ctx, store, id)
	if err != nil {
		return nil, nil, err
	}
	var results []eval.RoundResult
	var points []eval.TrainingPoint
	for i, st := range states {
		results = append(results, st.Results...)
		if st.TrainingID == "" {
			continue
		}
		steps, err := store.TrainingSteps(ctx, st.TrainingID)
		if err != nil {
			return nil, nil, err
		}
		for _, raw := range steps {
			var m train.Metrics
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, nil, fmt.Errorf("training %s: %w", st.TrainingID, err)
			}
			points = append(points, eval.TrainingPoint{Round: i + 1, Step: m.Step, Loss: m.Loss, KL: m.KL, ClipFrac: m.ClipFrac})
		}
	}
	return results, points, nil
}

// Samples counts each finished round's training samples of loop id by
// role, the balance of the data a report shows.
func Samples(ctx context.Context, store *episodes.Store, id string) ([]eval.SampleCount, error) {
	states, err := loop.States[RoundState](ctx, store, id)
	if err != nil {
		return nil, err
	}
	var out []eval.SampleCount
	for i, st := range states {
		attacker, defender := 0, 0
		switch {
		case st.Rewards != nil:
			attacker, defender = st.Rewards.AttackerSamples, st.Rewards.DefenderSamples
		case st.ZeroSum != nil:
			attacker, defender = st.ZeroSum.AttackerSamples, st.ZeroSum.DefenderSamples
		default:
			continue
		}
		out = append(out,
			eval.SampleCount{Round: i + 1, Role: judge.Attacker, Samples: attacker},
			eval.SampleCount{Round: i + 1, Role: judge.Defender, Samples: defender})
	}
	return out, nil
}

func (l *Loop) plot(ctx context.Context, r *Round) error {
	results, points, err := l.History(ctx)
	if err != nil {
		return err
	}
	return r.Plot(Charts(l.Config, results, points))
}

// Charts is what a Taboo loop's charts show. The arena's baseline is
// the opponent against itself; against a reference that is the starting
// policy, that is also round 0's measurement (the starting policy against
// the reference), so round 0 there is round 1's baseline games. The loop
// plays no game of the starting policy against the other opponents: the
// chart says so rather than draw a point.
func Charts(c Config, results []eval.RoundResult, points []eval.TrainingPoint) eval.LoopCharts {
	ref, start := reference(c)
	o := eval.WinRateOptions{Baseline: "against itself", Names: map[string]string{ref: "vs the frozen reference (" + ref + ")"}}
	if start {
		first := 0
		for _, r := range results {
			if r.Opponent == ref && r.BaselineGames > 0 && (first == 0 || r.Round < first) {
				first = r.Round
			}
		}
		for _, r := range results {
			if r.Opponent == ref && r.Round == first && r.BaselineGames > 0 {
				o.Start = append(o.Start, eval.RoundResult{Opponent: ref, Role: r.Role, Wins: r.BaselineWins, Games: r.BaselineGames})
			}
		}
		if len(o.Start) > 0 {
			o.Notes = append(o.Notes, fmt.Sprintf("Round 0 against the frozen reference is the reference against itself (round %d's baseline games): the loop starts from it.", first))
		}
	}
	return eval.LoopCharts{Rounds: results, Training: points, WinRate: o}
}

// roundSeed gives each round its own seed, so that rounds play other games.
func roundSeed(seed uint64, round int) uint64 { return selfplay.EpisodeSeed(seed, 1_000_000+round) }
