// Package train trains spag's native model (rl/model) on reward-annotated
// samples with one of the objectives of rl/objective: Adam with global-norm
// clipping and decoupled weight decay, a cosine learning rate with warm-up,
// gradient accumulation over length-bucketed micro-batches, a frozen
// reference model, per-step metrics sent to [MetricsSink]s, and atomic
// checkpoints (rl/checkpoint) that resume weights, optimizer state, step and
// data order exactly.
//
// The package reads no files except through rl/checkpoint; callers (the
// `spag train` command) load datasets and choose sinks.
package train

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/objective"
	"github.com/spag-go/spag/rl/tokenizer"
)

// Example is one training sample: a query (prompt) and the target response
// the model is scored on, with its reward and weight. SFT marks imitation
// samples of the SPAG objective.
type Example struct {
	Query, Target  string
	Reward, Weight float64
	SFT            bool
	// Item, Pref and Adversarial describe reward-model data (objective
	// apo): examples with the same Item are the responses to one query,
	// Pref is a response's preference (higher is better) and Adversarial
	// marks APO's gold-versus-samples items. The model's sequence score of
	// a response is the reward model's score s(x, y).
	Item        int
	Pref        float64
	Adversarial bool
}

// Objective names.
const (
	ObjectiveSFT  = "sft"
	ObjectiveSPAG = "spag"
	ObjectiveVAR  = "var"
	ObjectiveAPO  = "apo"
	// ObjectiveZeroSum is the PPO-style objective for zero-sum rewards with
	// role-conditioned advantages (objective.ZeroSum).
	ObjectiveZeroSum = "zerosum"
)

// Reward-model scores of the apo objective (Config.Score).
const (
	ScoreLikelihood = "likelihood"
	ScoreScalar     = "scalar"
)

// Config is a training run's configuration. It is stored in checkpoints and
// must match exactly when a run resumes.
type Config struct {
	Objective string               `json:"objective"`
	SFTBeta   float64              `json:"sft_beta"`   // KL coefficient of the sft objective
	SPAG      objective.SPAGParams `json:"spag"`       // coefficients of the spag objective
	VARLambda float64              `json:"var_lambda"` // temperature of the var objective
	// APO holds the reward-model coefficients of the apo objective; nil
	// for the others (and absent from their stored configuration).
	APO *objective.APOParams `json:"apo,omitempty"`
	// ZeroSum holds the zerosum objective's coefficients; nil for the
	// others (and absent from their stored configuration, so that their
	// runs resume as before).
	ZeroSum *objective.ZeroSumParams `json:"zerosum,omitempty"`
	// Score is the apo objective's reward-model score s(x, y): "" (the
	// default, also written "likelihood") for the response's mean token
	// log-likelihood, "scalar" for the model's scalar head (added to a
	// model without one, seeded by Seed; see model.WithScoreHead).
	Score string `json:"score,omitempty"`

	LR          float64 `json:"lr"`           // peak learning rate
	MinLR       float64 `json:"min_lr"`       // learning rate at the end of the cosine
	WarmupFrac  float64 `json:"warmup_frac"`  // fraction of steps warming up
	WeightDecay float64 `json:"weight_decay"` // decoupled, on matrices only
	ClipNorm    float64 `json:"clip_norm"`    // global gradient-norm cap; 0 disables
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`

	BatchSize  int    `json:"batch_size"`  // samples per optimizer step
	MicroBatch int    `json:"micro_batch"` // samples per forward/backward pass
	Buckets    []int  `json:"buckets"`     // padded sequence lengths, ascending
	Steps      int    `json:"steps"`       // optimizer steps in the run
	Seed       uint64 `json:"seed"`        // data order

	// DataHash identifies the training data; filled in by New.
	DataHash string `json:"data_hash"`
}

// DefaultConfig returns the defaults for an objective: the coefficients of
// rl-objectives.md, lr 1e-3 (suited to small models trained from scratch;
// the paper's 2e-6 is for fine-tuning large ones), 3% warm-up, batch 16.
func DefaultConfig(objectiveName string) Config {
	var apo *objective.APOParams
	if objectiveName == ObjectiveAPO {
		p := objective.DefaultAPO()
		apo = &p
	}
	var zs *objective.ZeroSumParams
	if objectiveName == ObjectiveZeroSum {
		p := objective.DefaultZeroSum()
		zs = &p
	}
	return Config{APO: apo, ZeroSum: zs,
		Objective: objectiveName, SFTBeta: 0.1, SPAG: objective.DefaultSPAG(), VARLambda: 1,
		LR: 1e-3, MinLR: 0, WarmupFrac: 0.03, WeightDecay: 0.01, ClipNorm: 1, Beta1: 0.9, Beta2: 0.95,
		BatchSize: 16, MicroBatch: 8, Seed: 1,
	}
}

// usesReference reports whether the objective reads the reference model's
// scores: all do except sft with no KL penalty (pure imitation).
func (c Config) usesReference() bool {
	switch c.Objective {
	case ObjectiveSFT:
		return c.SFTBeta != 0
	case ObjectiveAPO:
		return false
	}
	return true
}

// Validate reports the first invalid field, named as its JSON key.
func (c Config) Validate(m model.Config) error {
	switch {
	case !IsObjective(c.Objective):
		return fmt.Errorf("train config: objective %q, want %s", c.Objective, Objectives)
	case (c.Objective == ObjectiveAPO) != (c.APO != nil):
		return fmt.Errorf("train config: apo coefficients are set exactly for the apo objective")
	case (c.Objective == ObjectiveZeroSum) != (c.ZeroSum != nil):
		return fmt.Errorf("train config: zerosum coefficients are set exactly for the zerosum objective")
	case c.ZeroSum != nil && (!(c.ZeroSum.Beta >= 0) || !(c.ZeroSum.Eps > 0) || !(c.ZeroSum.Alpha >= 0)):
		return fmt.Errorf("train config: zerosum KL coefficient %v and imitation weight %v must not be negative, clip range %v must be positive", c.ZeroSum.Beta, c.ZeroSum.Alpha, c.ZeroSum.Eps)
	case c.Score != "" && c.Score != ScoreLikelihood && c.Score != ScoreScalar:
		return fmt.Errorf("train config: score %q, want likelihood or scalar", c.Score)
	case c.Score == ScoreScalar && c.Objective != ObjectiveAPO:
		return fmt.Errorf("train config: the scalar score is a reward model's, for the apo objective only")
	case c.APO != nil && (c.APO.Gamma < 0 || c.APO.Mu < 0 || c.APO.Samples < 1):
		return fmt.Errorf("train config: apo gamma %v and mu %v must not be negative, samples %d must be positive", c.APO.Gamma, c.APO.Mu, c.APO.Samples)
	case !(c.LR > 0) || c.MinLR < 0 || c.MinLR > c.LR:
		return fmt.Errorf("train config: lr %v must be positive and min_lr %v in [0, lr]", c.LR, c.MinLR)
	case c.WarmupFrac < 0 || c.WarmupFrac >= 1:
		return fmt.Errorf("train config: warmup_frac %v outside [0, 1)", c.WarmupFrac)
	case c.WeightDecay < 0 || c.ClipNorm < 0:
		return fmt.Errorf("train config: weight_decay %v and clip_norm %v must not be negative", c.WeightDecay, c.ClipNorm)
	case c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1:
		return fmt.Errorf("train config: beta1 %v and beta2 %v must be in [0, 1)", c.Beta1, c.Beta2)
	case c.BatchSize < 1 || c.MicroBatch < 1:
		return fmt.Errorf("train config: batch_size %d and micro_batch %d must be positive", c.BatchSize, c.MicroBatch)
	case c.Steps < 1:
		return fmt.Errorf("train config: steps %d must be positive", c.Steps)
	case c.Objective == ObjectiveVAR && !(c.VARLambda > 0):
		return fmt.Errorf("train config: var_lambda %v must be positive", c.VARLambda)
	case c.Objective == ObjectiveSPAG && (!(c.SPAG.Beta >= 0) || !(c.SPAG.Eps > 0) || !(c.SPAG.Alpha >= 0)):
		return fmt.Errorf("train config: spag KL coefficient %v and imitation weight %v must not be negative, clip range %v must be positive", c.SPAG.Beta, c.SPAG.Alpha, c.SPAG.Eps)
	}
	for i, b := range c.Buckets {
		if b < 1 || b > m.Context || i > 0 && b <= c.Buckets[i-1] {
			return fmt.Errorf("train config: buckets %v must ascend within [1, context %d]", c.Buckets, m.Context)
		}
	}
	return nil
}

// Objectives lists the objective names for messages.
const Objectives = "sft, spag, var, apo or zerosum"

// IsObjective reports whether name is an objective of this package.
func IsObjective(name string) bool {
	switch name {
	case ObjectiveSFT, ObjectiveSPAG, ObjectiveVAR, ObjectiveAPO, ObjectiveZeroSum:
		return true
	}
	return false
}

// DefaultBuckets are powers of two from 16 up to, and ending at, the context.
func DefaultBuckets(context int) []int {
	var b []int
	for n := 16; n < context; n *= 2 {
		b = append(b, n)
	}
	return append(b, context)
}

// StepsForEpochs converts epochs over n samples into optimizer steps.
func StepsForEpochs(epochs float64, n, batch int) int {
	return max(1, int(math.Ceil(epochs*float64(n)/float64(batch))))
}

// sequence is an encoded example: next-token inputs and targets and the
// range of target positions that belong to the response.
type sequence struct {
	inputs, targets []int
	start           int // first response position in targets
}

// encode builds [BOS] query target [EOS] and keeps the response: when too
// long for the context, query tokens are dropped from the front, then the
// response is cut at the end.
func encode(v *tokenizer.Vocab, e Example, contextLen int) sequence {
	toks, start := v.ScoringSequence(e.Query, e.Target, contextLen)
	return sequence{inputs: toks[:len(toks)-1], targets: toks[1:], start: start - 1}
}

// Trainer runs one training run. It is not safe for concurrent use.
type Trainer struct {
	cfg    Config
	vocab  *tokenizer.Vocab
	params *model.Params
	ref    *model.Params
	opt    *Adam
	sched  Schedule
	// sampling are the init checkpoint's decoding defaults, which every
	// checkpoint of the run keeps (see checkpoint.Checkpoint.Sampling).
	sampling []string

	// seqs are the training examples' sequences, then the held-out ones
	// (see SetHeldOut); nTrain counts the first.
	seqs    []sequence
	nTrain  int
	samples []objective.Sample
	// units are what the data order shuffles: single examples, or for the
	// apo objective the examples of one item together.
	units [][]int
	// items are the examples' reward-model items and itemOfExample each
	// example's item (apo objective only).
	items         []rmItem
	itemOfExample []int
	// heldOut are reward-model items whose examples index seqs past
	// nTrain, evaluated at the end of every epoch (apo objective only).
	heldOut []rmItem
	// old are the examples' scores under the policy that played them
	// (zerosum objective only; see oldScores).
	old    []float64
	pcg    *rand.PCG
	rng    *rand.Rand
	epoch  int
	cursor int
	order  []int
	step   int

	runners map[runnerKey]*model.Runner
	// scorers are the gradient-free runners that score the run's own
	// weights (the apo objective scores every batch before its step), kept
	// like runners: building a graph each step cost time and memory that
	// grew with the steps.
	scorers map[runnerKey]*model.Runner
	grads   [][]float32
}

// ErrMismatch reports a checkpoint whose configuration differs from the
// requested one.
var ErrMismatch = errors.New("configuration mismatch")

// New prepares a run that starts from init's weights. When init holds a
// training state (written by a previous run), the run resumes it, and cfg
// must equal the stored configuration, otherwise New returns an error
// wrapping [ErrMismatch] that names the differing fields. ref is the frozen
// reference model; nil means a copy of init's weights. Examples are encoded
// and their reference scores computed here.
func New(ctx context.Context, cfg Config, init *checkpoint.Checkpoint, ref *model.Params, examples []Example) (*Trainer, error) {
	if len(examples) == 0 {
		return nil, errors.New("new trainer: no training examples")
	}
	mcfg := init.Params.Config
	if len(cfg.Buckets) == 0 {
		cfg.Buckets = DefaultBuckets(mcfg.Context)
	}
	cfg.DataHash = dataHash(examples, cfg.Objective == ObjectiveAPO)
	if cfg.Score == ScoreLikelihood {
		cfg.Score = "" // the default, as runs before scores existed stored it
	}
	if err := cfg.Validate(mcfg); err != nil {
		return nil, err
	}
	if cfg.Score == ScoreScalar {
		init.Params = model.WithScoreHead(init.Params, cfg.Seed)
		mcfg = init.Params.Config
	}
	if ref == nil {
		ref = init.Params.Clone()
	}
	if ref.Config != mcfg {
		return nil, fmt.Errorf("new trainer: %w: reference model %+v differs from the policy %+v", ErrMismatch, ref.Config, mcfg)
	}
	t := &Trainer{cfg: cfg, vocab: init.Vocab, params: init.Params, ref: ref, runners: map[runnerKey]*model.Runner{}, scorers: map[runnerKey]*model.Runner{}, sampling: init.Sampling}
	t.sched = Schedule{Peak: cfg.LR, Min: cfg.MinLR, Warmup: int(math.Ceil(cfg.WarmupFrac * float64(cfg.Steps))), Total: cfg.Steps}
	var sizes []int
	var decay []bool
	for _, w := range t.params.Tensors {
		sizes = append(sizes, w.Shape().TotalSize())
		decay = append(decay, len(w.Shape()) == 2)
	}
	t.opt = NewAdam(sizes, decay)
	t.opt.Beta1, t.opt.Beta2, t.opt.WeightDecay, t.opt.ClipNorm = cfg.Beta1, cfg.Beta2, cfg.WeightDecay, cfg.ClipNorm
	for _, n := range sizes {
		t.grads = append(t.grads, make([]float32, n))
	}
	for i, e := range examples {
		if math.IsNaN(e.Reward) || math.IsNaN(e.Weight) || e.Weight < 0 {
			return nil, fmt.Errorf("new trainer: example %d: reward %v and weight %v must be numbers, the weight not negative", i, e.Reward, e.Weight)
		}
		t.seqs = append(t.seqs, encode(t.vocab, e, mcfg.Context))
		t.samples = append(t.samples, objective.Sample{Weight: e.Weight, Reward: e.Reward, SFT: e.SFT, Group: e.Query})
	}
	t.nTrain = len(t.seqs)
	if cfg.Objective == ObjectiveAPO {
		if err := t.groupItems(examples); err != nil {
			return nil, err
		}
	} else {
		for i := range examples {
			t.units = append(t.units, []int{i})
		}
	}

	if init.Train != nil && init.Optimizer != nil {
		if err := t.resume(init); err != nil {
			return nil, err
		}
	} else {
		t.pcg = rand.NewPCG(cfg.Seed, 0x7a41)
		t.rng = rand.New(t.pcg)
		t.order = t.rng.Perm(len(t.units))
	}
	if !cfg.usesReference() {
		// Scoring the data with the reference is a forward pass over all of
		// it, wasted when the objective ignores the scores.
		return t, nil
	}
	refScores, err := t.Scores(ctx, t.ref, nil)
	if err != nil {
		return nil, fmt.Errorf("new trainer: reference scores: %w", err)
	}
	for i, r := range refScores {
		t.samples[i].Ref = r
	}
	if cfg.Objective == ObjectiveZeroSum {
		if err := t.oldScores(ctx, init); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// oldScores sets every sample's l^old, its score under the policy that
// played it. That policy is the run's starting weights: in spag's loop the
// round's policy plays its self-play and then starts its training, so a
// new run scores the data with init's weights before any step (in round 1
// they equal the reference's). A resumed run's weights have moved, so it
// takes the scores its checkpoint stored.
func (t *Trainer) oldScores(ctx context.Context, init *checkpoint.Checkpoint) error {
	var old []float64
	if init.Train != nil && init.Optimizer != nil {
		old = init.Train.OldScores
		if len(old) != t.nTrain {
			return fmt.Errorf("resume: %w: the checkpoint stores %d scores of the policy that played, the data has %d examples", ErrMismatch, len(old), t.nTrain)
		}
	} else {
		var err error
		if old, err = t.Scores(ctx, t.params, nil); err != nil {
			return fmt.Errorf("new trainer: scores of the policy that played: %w", err)
		}
	}
	t.old = old
	for i, v := range old {
		t.samples[i].Old = v
	}
	return nil
}

func dataHash(examples []Example, rm bool) string {
	h := sha256.New()
	for _, e := range examples {
		for _, s := range []string{e.Query, e.Target} {
			binary.Write(h, binary.LittleEndian, uint64(len(s)))
			h.Write([]byte(s))
		}
		binary.Write(h, binary.LittleEndian, []float64{e.Reward, e.Weight})
		binary.Write(h, binary.LittleEndian, e.SFT)
		if rm {
			// Only reward-model data has these; hashing them for the other
			// objectives would change the hash of existing runs.
			binary.Write(h, binary.LittleEndian, int64(e.Item))
			binary.Write(h, binary.LittleEndian, e.Pref)
			binary.Write(h, binary.LittleEndian, e.Adversarial)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil)[:12])
}

func (t *Trainer) resume(c *checkpoint.Checkpoint) error {
	var stored map[string]any
	if err := json.Unmarshal(c.Train.Config, &stored); err != nil {
		return fmt.Errorf("resume: stored train config: %w", err)
	}
	raw, _ := json.Marshal(t.cfg)
	var now map[string]any
	json.Unmarshal(raw, &now)
	var diffs []string
	for k, v := range now {
		if fmt.Sprint(stored[k]) != fmt.Sprint(v) {
			diffs = append(diffs, fmt.Sprintf("%s: checkpoint %v, requested %v", k, stored[k], v))
		}
	}
	for k, v := range stored {
		if _, ok := now[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: checkpoint %v, requested none", k, v))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return fmt.Errorf("resume: %w with the checkpoint's run (%s); pass the same flags and data to resume, or start a new run from its weights (spag train --init)", ErrMismatch, strings.Join(diffs, "; "))
	}
	tr := c.Train
	if len(tr.Order) != len(t.units) || tr.Cursor < 0 || tr.Cursor > len(tr.Order) {
		return fmt.Errorf("resume: %w: stored data order has %d entries, data has %d", ErrMismatch, len(tr.Order), len(t.units))
	}
	t.pcg = &rand.PCG{}
	if err := t.pcg.UnmarshalBinary(tr.RNG); err != nil {
		return fmt.Errorf("resume: random state: %w", err)
	}
	t.rng = rand.New(t.pcg)
	t.step, t.epoch, t.cursor, t.order = tr.Step, tr.Epoch, tr.Cursor, append([]int(nil), tr.Order...)
	t.opt.Step, t.opt.M, t.opt.V = c.Optimizer.Step, c.Optimizer.M, c.Optimizer.V
	return nil
}

// Step is the number of optimizer steps taken so far; Total the run's length.
func (t *Trainer) Step() int  { return t.step }
func (t *Trainer) Total() int { return t.cfg.Steps }

// Config is the run's configuration (with defaults and data hash filled in).
func (t *Trainer) Config() Config { return t.cfg }

// Params are the policy's weights, updated in place by every step.
func (t *Trainer) Params() *model.Params { return t.params }

// Checkpoint captures the current state; its tensors are copies, so it can
// be saved while training continues.
func (t *Trainer) Checkpoint() (*checkpoint.Checkpoint, error) {
	cfg, err := json.Marshal(t.cfg)
	if err != nil {
		return nil, fmt.Errorf("encode train config: %w", err)
	}
	rngState, err := t.pcg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode random state: %w", err)
	}
	o := &checkpoint.Optimizer{Step: t.opt.Step}
	for i := range t.opt.M {
		o.M = append(o.M, append([]float32(nil), t.opt.M[i]...))
		o.V = append(o.V, append([]float32(nil), t.opt.V[i]...))
	}
	return &checkpoint.Checkpoint{
		Vocab: t.vocab, Params: t.params.Clone(), Optimizer: o,
		Train:    &checkpoint.Train{Step: t.step, Total: t.cfg.Steps, Epoch: t.epoch, Cursor: t.cursor, Order: append([]int(nil), t.order...), RNG: rngState, Config: cfg, OldScores: append([]float64(nil), t.old...)},
		Sampling: t.sampling,
	}, nil
}

// nextBatch takes the next BatchSize units (examples, or apo items) and
// returns their example indices, unit after unit, starting a new epoch (a
// fresh permutation) when the current one is used up.
func (t *Trainer) nextBatch() []int {
	batch := make([]int, 0, t.cfg.BatchSize)
	for n := 0; n < t.cfg.BatchSize && n < len(t.units); n++ {
		if t.cursor == len(t.order) {
			t.epoch++
			t.order = t.rng.Perm(len(t.units))
			t.cursor = 0
		}
		batch = append(batch, t.units[t.order[t.cursor]]...)
		t.cursor++
	}
	return batch
}

// microBatches sorts a batch by length and cuts it into micro-batches, each
// with the bucket length that fits its longest sequence.
func (t *Trainer) microBatches(idx []int) (groups [][]int, lengths []int) {
	idx = append([]int(nil), idx...)
	sort.SliceStable(idx, func(a, b int) bool { return len(t.seqs[idx[a]].inputs) < len(t.seqs[idx[b]].inputs) })
	for len(idx) > 0 {
		n := min(t.cfg.MicroBatch, len(idx))
		g := idx[:n]
		idx = idx[n:]
		longest := len(t.seqs[g[n-1]].inputs)
		bucket := t.cfg.Buckets[len(t.cfg.Buckets)-1]
		for _, b := range t.cfg.Buckets {
			if b >= longest {
				bucket = b
				break
			}
		}
		groups = append(groups, g)
		lengths = append(lengths, bucket)
	}
	return groups, lengths
}

// runnerKey names a compiled graph: its shape and whether it computes the
// scalar head's scores (else token log-probabilities).
type runnerKey struct {
	batch, length int
	scalar        bool
}

// scalar reports whether the run scores with the scalar head.
func (t *Trainer) scalar() bool { return t.cfg.Score == ScoreScalar }

// newRunner builds a runner of the kind key names.
func newRunner(p *model.Params, key runnerKey, train bool) (*model.Runner, error) {
	if key.scalar {
		return model.NewScoreRunner(p, key.batch, key.length, train)
	}
	return model.NewRunner(p, key.batch, key.length, train)
}

// runner returns a runner of the kind key names, kept for the run when it
// trains the run's own weights.
func (t *Trainer) runner(p *model.Params, key runnerKey, train bool) (*model.Runner, error) {
	if !train || p != t.params {
		return newRunner(p, key, train)
	}
	if r, ok := t.runners[key]; ok {
		return r, nil
	}
	r, err := newRunner(p, key, true)
	if err != nil {
		return nil, err
	}
	t.runners[key] = r
	return r, nil
}

// fill lays micro-batch g out as padded row-major inputs and targets.
func (t *Trainer) fill(g []int, batch, length int) (inputs, targets []int) {
	inputs, targets = make([]int, batch*length), make([]int, batch*length)
	for row, ex := range g {
		s := t.seqs[ex]
		copy(inputs[row*length:], s.inputs)
		copy(targets[row*length:], s.targets)
	}
	return inputs, targets
}

// lengthsOf lists the input lengths of micro-batch g, padded with zeros
// to batch rows.
func (t *Trainer) lengthsOf(g []int, batch int) []int {
	n := make([]int, batch)
	for row, ex := range g {
		n[row] = len(t.seqs[ex].inputs)
	}
	return n
}

// meanScore is a row's mean log-likelihood over its response positions.
func (t *Trainer) meanScore(lp []float64, row, length, ex int) (score float64, first, n int) {
	s := t.seqs[ex]
	first, n = row*length+s.start, len(s.targets)-s.start
	for j := first; j < first+n; j++ {
		score += lp[j]
	}
	return score / float64(n), first, n
}

// Scores returns the scores of the examples idx (all training examples
// when nil) under params, without touching any gradient: the mean response
// log-likelihood l_i, or with the scalar score (and params with a head)
// the scalar head's score.
func (t *Trainer) Scores(ctx context.Context, params *model.Params, idx []int) ([]float64, error) {
	if idx == nil {
		idx = make([]int, t.nTrain)
		for i := range idx {
			idx[i] = i
		}
	}
	out := make([]float64, len(t.seqs))
	groups, lengths := t.microBatches(idx)
	evals := t.scorers
	if params != t.params {
		evals = map[runnerKey]*model.Runner{}
		defer func() {
			for _, r := range evals {
				r.Close()
			}
		}()
	}
	scalar := t.scalar() && params.Config.ScoreHead
	for gi, g := range groups {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		key := runnerKey{t.cfg.MicroBatch, lengths[gi], scalar}
		r, ok := evals[key]
		if !ok {
			var err error
			if r, err = newRunner(params, key, false); err != nil {
				return nil, err
			}
			evals[key] = r
		}
		in, tg := t.fill(g, key.batch, key.length)
		if scalar {
			_, sc, err := r.RunScores(in, t.lengthsOf(g, key.batch), nil)
			if err != nil {
				return nil, err
			}
			for row, ex := range g {
				out[ex] = sc[row]
			}
			continue
		}
		_, lp, err := r.Run(in, tg, nil)
		if err != nil {
			return nil, err
		}
		for row, ex := range g {
			out[ex], _, _ = t.meanScore(lp, row, key.length, ex)
		}
	}
	res := make([]float64, len(idx))
	for i, ex := range idx {
		res[i] = out[ex]
	}
	return res, nil
}

func (t *Trainer) objective(l []float64, s []objective.Sample) (objective.Result, error) {
	switch t.cfg.Objective {
	case ObjectiveSFT:
		return objective.SFT(l, s, t.cfg.SFTBeta)
	case ObjectiveSPAG:
		return objective.SPAG(l, s, t.cfg.SPAG)
	case ObjectiveZeroSum:
		return objective.ZeroSum(l, s, *t.cfg.ZeroSum)
	default:
		return objective.VAR(l, s, t.cfg.VARLambda)
	}
}

// TrainStep takes one optimizer step: forward and backward over the next
// batch's micro-batches (gradients accumulate), then one clipped AdamW
// update at the scheduled learning rate.
//
// A step that fails (ctx cancelled, say) changes nothing: the data order
// is rewound and the partial gradients dropped, so that a checkpoint taken
// afterwards resumes exactly where an uninterrupted run would be.
func (t *Trainer) TrainStep(ctx context.Context) (Metrics, error) {
	cursor, epoch, order := t.cursor, t.epoch, t.order
	rngState, err := t.pcg.MarshalBinary()
	if err != nil {
		return Metrics{}, fmt.Errorf("train step: %w", err)
	}
	m, err := t.trainStep(ctx)
	if err != nil {
		t.cursor, t.epoch, t.order = cursor, epoch, order
		if rerr := t.pcg.UnmarshalBinary(rngState); rerr != nil {
			return Metrics{}, errors.Join(err, rerr)
		}
		for _, g := range t.grads {
			clear(g)
		}
	}
	return m, err
}

func (t *Trainer) trainStep(ctx context.Context) (Metrics, error) {
	start := time.Now()
	epochsBefore := t.epochsDone()
	batch := t.nextBatch()
	if t.cfg.Objective == ObjectiveAPO {
		return t.rmStep(ctx, start, epochsBefore, batch)
	}
	samples := make([]objective.Sample, len(batch))
	l := make([]float64, len(batch))
	pos := map[int]int{} // example -> position in batch
	for i, ex := range batch {
		samples[i] = t.samples[ex]
		l[i] = samples[i].Ref // placeholder until the example's micro-batch runs
		pos[ex] = i
	}
	groups, lengths := t.microBatches(batch)
	tokens := 0
	for gi, g := range groups {
		if err := ctx.Err(); err != nil {
			return Metrics{}, err
		}
		length := lengths[gi]
		r, err := t.runner(t.params, runnerKey{t.cfg.MicroBatch, length, false}, true)
		if err != nil {
			return Metrics{}, err
		}
		in, tg := t.fill(g, t.cfg.MicroBatch, length)
		loss := func(lp []float64) (float64, []float64, error) {
			grad := make([]float64, len(lp))
			for row, ex := range g {
				l[pos[ex]], _, _ = t.meanScore(lp, row, length, ex)
			}
			res, err := t.objective(l, samples)
			if err != nil {
				return 0, nil, err
			}
			value := 0.0
			for row, ex := range g {
				i := pos[ex]
				value += res.Terms[i]
				_, first, n := t.meanScore(lp, row, length, ex)
				for j := first; j < first+n; j++ {
					grad[j] = res.Grad[i] / float64(n)
				}
			}
			return value, grad, nil
		}
		if _, _, err := r.Run(in, tg, loss); err != nil {
			return Metrics{}, fmt.Errorf("train step %d: %w", t.step+1, err)
		}
		if err := r.AddGrads(t.grads); err != nil {
			return Metrics{}, err
		}
		for _, ex := range g {
			tokens += len(t.seqs[ex].inputs)
		}
	}
	res, err := t.objective(l, samples)
	if err != nil {
		return Metrics{}, err
	}
	norm, lr := t.update()
	mean := 0.0
	for _, v := range l {
		mean += v / float64(len(l))
	}
	if !t.cfg.usesReference() {
		res.KL = 0 // no reference scores: l_i - 0 would not be a divergence
	}
	elapsed := time.Since(start).Seconds()
	return Metrics{
		Step: t.step, Epoch: t.epoch, Objective: t.cfg.Objective, Loss: res.Loss, KL: res.KL, ClipFrac: res.ClipFrac,
		GradNorm: norm, LR: lr, Tokens: tokens, TokensPerSec: float64(tokens) / elapsed, Samples: len(batch), Score: mean,
	}, nil
}

// update applies the accumulated gradients with one clipped AdamW step at
// the scheduled learning rate, clears them and counts the step.
func (t *Trainer) update() (norm, lr float64) {
	lr = t.sched.LR(t.step)
	weights := make([][]float32, len(t.params.Tensors))
	for i, w := range t.params.Tensors {
		weights[i] = w.Data().([]float32)
	}
	norm = t.opt.Update(weights, t.grads, lr)
	for _, g := range t.grads {
		clear(g)
	}
	t.step++
	return norm, lr
}

// Run trains until the run's last step, sending every step's metrics to
// sinks; when saveEvery > 0 and save is not nil, it calls save with a
// checkpoint every saveEvery steps (the caller saves the final one).
func (t *Trainer) Run(ctx context.Context, sinks []MetricsSink, saveEvery int, save func(*checkpoint.Checkpoint) error) error {
	return t.RunUntil(ctx, t.cfg.Steps, nil, sinks, saveEvery, save)
}

// RunUntil is [Trainer.Run] that also stops, between steps, once step last
// is taken or stop is closed, whichever comes first; a nil stop never
// closes. The run's schedule is unchanged, so a later run from the saved
// checkpoint continues it exactly.
func (t *Trainer) RunUntil(ctx context.Context, last int, stop <-chan struct{}, sinks []MetricsSink, saveEvery int, save func(*checkpoint.Checkpoint) error) error {
	return t.RunUntilDue(ctx, last, stop, sinks, func(step int) bool { return saveEvery > 0 && step%saveEvery == 0 }, save)
}

// RunUntilDue is [Trainer.RunUntil] with the interim saves decided by due,
// asked after each step but the last with the step just taken: a caller
// can save by the clock, so that a killed run loses at most that long.
func (t *Trainer) RunUntilDue(ctx context.Context, last int, stop <-chan struct{}, sinks []MetricsSink, due func(step int) bool, save func(*checkpoint.Checkpoint) error) error {
	for t.step < min(last, t.cfg.Steps) {
		select {
		case <-stop:
			return nil
		default:
		}
		m, err := t.TrainStep(ctx)
		if err != nil {
			return err
		}
		for _, s := range sinks {
			if err := s.WriteMetrics(ctx, m); err != nil {
				return err
			}
		}
		if save != nil && t.step < t.cfg.Steps && due(t.step) {
			c, err := t.Checkpoint()
			if err != nil {
				return err
			}
			if err := save(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close releases the compiled graphs.
func (t *Trainer) Close() error {
	for _, m := range []map[runnerKey]*model.Runner{t.runners, t.scorers} {
		for k, r := range m {
			r.Close()
			delete(m, k)
		}
	}
	return nil
}
