package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/selfplay"
)

// apoConfig is everything needed to reproduce (or resume) an APO run; it is
// stored with the run.
type apoConfig struct {
	Game             string `json:"game"`
	Prompts          string `json:"prompts"`
	MaxResponseBytes int    `json:"max_response_bytes"`
	Generator        string `json:"generator"`
	RewardModel      string `json:"reward_model"`
	Seed             uint64 `json:"seed"`
	Samples          int    `json:"samples"`
	// SubjectsDigest names the queries, seed and sizes the run's subjects
	// were drawn from (see selfplay.Shuffled.Digest).
	SubjectsDigest string   `json:"subjects_sha256,omitempty"`
	Games          int      `json:"games"`
	Options        []string `json:"options,omitempty"`
	CodeVersion    string   `json:"code_version"`
	GoVersion      string   `json:"go_version"`
}

type apoFlags struct {
	runFlags
	prompts          string
	games            int
	samples          int
	maxResponseBytes int
	generator        string
	rewardModel      string
}

func newAPOCmd(sig *interrupts) *cobra.Command {
	var f apoFlags
	cmd := &cobra.Command{
		Use:   "apo",
		Short: "Play a batch of APO games (generator against reward model) and store them",
		Long: `apo plays the reward-model-versus-generator game of APO ("Adversarial
Preference Optimization"). Each episode takes one query with a gold response:
the generator answers the query, then the reward model rates two answers, A
and B, not knowing which is the gold one (the order follows the episode's
seed). The reward model wins when it rates the gold answer higher, the
generator when its own answer is rated higher; equal ratings tie, and a reply
without one "A: <score>" and one "B: <score>" line, each from 0 to 10, is
the reward model's rule break.

Queries come from --prompts: the built-in set, or a JSON Lines file with one
{"query": "...", "gold": "..."} object a line. --samples plays each query
that many times (APO's m, samples per query). Episodes go to --db like
selfplay's; spag stats and replay work on them, spag apo items turns them
into reward-model training items and spag apo rewards into the generator's
reward-weighted samples for spag train.

The first Ctrl-C lets the games in flight finish and prints the command
that resumes the run (exit 130); a second Ctrl-C stops at once.`,
		Example: `  spag apo                                        # built-in players and queries
  spag apo --samples 4 --generator builtin:skill=0.9
  spag apo --prompts mine.jsonl --generator ollama:qwen2.5:0.5b --reward-model ollama:qwen2.5:7b
  spag apo --db runs.db --resume r20261126-151200-3fa9`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAPO(cmd, sig, f)
		},
	}
	cmd.AddCommand(newAPOItemsCmd(), newAPORewardsCmd())
	fl := cmd.Flags()
	fl.StringVar(&f.prompts, "prompts", "builtin", `queries with gold responses: builtin, or a JSON Lines file of {"query": ..., "gold": ...}`)
	fl.IntVar(&f.games, "games", 0, "number of games (default: every query --samples times)")
	fl.IntVar(&f.samples, "samples", 1, "games per query (APO's samples per query, m)")
	fl.IntVar(&f.maxResponseBytes, "max-response-bytes", apo.DefaultMaxResponseBytes, "cut both answers to this many bytes before the reward model reads them")
	fl.StringVar(&f.generator, "generator", "builtin", "generator backend spec: "+backendList())
	fl.StringVar(&f.rewardModel, "reward-model", "builtin", "reward model backend spec (same forms as --generator), or likelihood:CKPT (a native checkpoint trained with spag train --objective apo, rating answers by likelihood)")
	f.register(fl, "seed for query order, answer order and every player's randomness")
	return cmd
}

func loadAPOItems(name string) ([]apo.Item, error) {
	if name == "builtin" || name == "" {
		return apo.BuiltinItems()
	}
	return apo.LoadItems(name)
}

func runAPO(cmd *cobra.Command, sig *interrupts, f apoFlags) error {
	ctx := cmd.Context()
	var cfg apoConfig
	var run *episodes.Run

	if err := f.check(cmd); err != nil {
		return err
	}
	if f.resume == "" {
		switch {
		case f.samples < 1:
			return usagef("--samples must be at least 1 (got %d)", f.samples)
		case cmd.Flags().Changed("games") && f.games < 1:
			return usagef("--games must be at least 1 (got %d); leave it out for the default", f.games)
		case f.maxResponseBytes < 1:
			return usagef("--max-response-bytes must be at least 1 (got %d)", f.maxResponseBytes)
		}
	}

	session := &selfplay.Session{Path: f.db}
	defer session.Close()
	var items []apo.Item
	var err error
	if f.resume != "" {
		if run, err = resumeRun(ctx, session, f.resume, apo.Description.Name, &cfg); err != nil {
			return err
		}
		if items, err = loadAPOItems(cfg.Prompts); err != nil {
			return fmt.Errorf("run %s: its --prompts: %w", run.ID, err)
		}
	} else {
		if items, err = loadAPOItems(f.prompts); err != nil {
			return usageError{fmt.Errorf("--prompts: %w", err)}
		}
		games := f.games
		if games == 0 {
			games = len(items) * f.samples
		}
		rewardModel := f.rewardModel
		if backend, path, _ := strings.Cut(rewardModel, ":"); backend == "likelihood" && path != "" {
			// Resuming from another directory must find the same checkpoint.
			abs, err := filepath.Abs(path)
			if err != nil {
				return usagef("--reward-model %s: %v", f.rewardModel, err)
			}
			rewardModel = "likelihood:" + abs
		}
		prompts := f.prompts
		if strings.TrimSpace(prompts) == "" {
			prompts = "builtin"
		}
		if prompts != "builtin" {
			// Resuming from another directory must find the same file.
			if prompts, err = filepath.Abs(prompts); err != nil {
				return usagef("--prompts %s: %v", f.prompts, err)
			}
		}
		code, gov := codeVersion()
		cfg = apoConfig{Prompts: prompts, MaxResponseBytes: f.maxResponseBytes, Generator: f.generator, RewardModel: rewardModel,
			Seed: f.seed, Samples: f.samples, Games: games, Options: f.options, CodeVersion: code, GoVersion: gov}
	}
	g, err := apo.New(apo.Params{Items: items, MaxResponseBytes: cfg.MaxResponseBytes})
	if err != nil {
		return usageError{err}
	}
	players, err := apoPlayers(cfg)
	if err != nil {
		return err
	}
	queries := make([]string, len(items))
	for i, it := range items {
		queries[i] = it.Query
	}
	subjects, err := runSubjects(run, &cfg.SubjectsDigest, queries, cfg.Games, cfg.Samples, cfg.Seed)
	if err != nil {
		return err
	}
	if run == nil {
		cfg.Game = g.String()
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	plan := &selfplay.Plan{Game: g, Players: players,
		Names:    map[string]string{apo.Generator: playerName(cfg.Generator), apo.RewardModel: playerName(cfg.RewardModel)},
		Subjects: subjects, Seed: cfg.Seed, Judge: g.JudgeID(), MaxTurns: 1, Config: raw, CodeVersion: cfg.CodeVersion}
	return playPlan(cmd, sig, session, run, plan, "apo", f.runFlags,
		fmt.Sprintf("APO: generator %s, reward model %s", cfg.Generator, cfg.RewardModel))
}

// apoPlayers makes the generator and the reward model a configuration names.
func apoPlayers(cfg apoConfig) ([]game.Player, error) {
	players := make([]game.Player, 2)
	for i, role := range []struct{ flag, spec, role string }{
		{"generator", cfg.Generator, apo.Generator}, {"reward-model", cfg.RewardModel, apo.RewardModel},
	} {
		if backend, path, _ := strings.Cut(role.spec, ":"); backend == "likelihood" {
			p, err := likelihoodRewardModel(role.flag, role.role, path)
			if err != nil {
				return nil, err
			}
			players[i] = p
			continue
		}
		spec, err := parseSpec(role.flag, role.spec)
		if err != nil {
			return nil, err
		}
		if err := spec.addOptions(role.flag, cfg.Options); err != nil {
			return nil, err
		}
		if spec.backend != "builtin" {
			// As in selfplay, one model spec for both roles is one player.
			if i == 1 && cfg.RewardModel == cfg.Generator {
				players[1] = players[0]
				continue
			}
			if players[i], err = newPlayer(role.flag, spec, role.role, nil, nil); err != nil {
				return nil, err
			}
			continue
		}
		if spec.arg != "" {
			return nil, usagef("--%s %q: builtin takes no argument", role.flag, spec.raw)
		}
		skill := apo.DefaultGeneratorSkill
		for k, v := range spec.options {
			if k != "skill" || role.role != apo.Generator {
				return nil, usagef("--%s %q: unknown option %q (the built-in generator takes skill=0..1; the built-in reward model takes none)", role.flag, spec.raw, k)
			}
			if skill, err = parseSkill(role.flag, spec.raw, v); err != nil {
				return nil, err
			}
		}
		if role.role == apo.Generator {
			players[i] = apo.BuiltinGenerator{Skill: skill}
		} else {
			players[i] = apo.BuiltinRewardModel{}
		}
	}
	return players, nil
}

// likelihoodRewardModel is the reward model of a likelihood:CKPT spec: a
// native checkpoint (trained with spag train --objective apo) rating
// answers by their mean log-likelihood.
func likelihoodRewardModel(flag, role, path string) (game.Player, error) {
	switch {
	case role != apo.RewardModel:
		return nil, usagef("--%s likelihood:%s: a likelihood model rates answers; it can only be the --reward-model", flag, path)
	case path == "":
		return nil, usagef("--%s likelihood: name the checkpoint, likelihood:CKPT (one trained with spag train --objective apo)", flag)
	}
	ck, err := checkpoint.Load(path)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	m, err := native.NewModel(ck.Vocab, ck.Params)
	if err != nil {
		return nil, fmt.Errorf("--%s %s: %w", flag, path, err)
	}
	return apo.LikelihoodRewardModel{Scorer: m}, nil
}

// isAPORun reports whether a stored run is of the APO game.
func isAPORun(run *episodes.Run) bool { return run != nil && strings.HasPrefix(run.Game, "apo@") }

func newAPOItemsCmd() *cobra.Command {
	var db, runID, out string
	cmd := &cobra.Command{
		Use:   "items",
		Short: "Turn an APO run into reward-model training items (JSON Lines)",
		Long: `items reads the episodes of an APO run and writes one JSON object a line per
query: the gold response followed by the generator's samples ("responses"),
their preferences (1 for gold, 0 for samples, "prefs"), "adversarial": true,
and the ratings the reward model gave in each episode ("gold_ratings",
"sample_ratings", with the episode indices in "episodes"). This is the
gold-versus-samples data of APO's reward-model objective.

The answers are as the reward model saw them (cut to the run's
--max-response-bytes). Episodes whose ratings cannot be read (the reward
model's rule breaks) keep their sample, with null ratings: they are where
the reward model failed. Errored episodes are left out. The counts are
printed on stderr. Without --run it reads the latest APO run.`,
		Example: `  spag apo items --out items.jsonl
  spag apo items --db runs.db --run r20261126-151200-3fa9 | jq .sample_ratings`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeAPOItems(cmd, db, runID, out)
		},
	}
	cmd.Flags().StringVar(&db, "db", "spag.db", "SQLite database")
	cmd.Flags().StringVar(&runID, "run", "", "APO run ID (default: the latest APO run)")
	cmd.Flags().StringVarP(&out, "out", "o", "-", "output file (- for stdout)")
	return cmd
}

// storedAPORun is an APO run read back for training data: its game, rebuilt
// from the stored configuration, and its judged episodes in index order.
type storedAPORun struct {
	run     *episodes.Run
	game    *apo.Game
	rated   []apo.Rated
	errored int // episodes that did not finish, left out
}

// loadAPORun reads run runID (the latest APO run when empty) from db.
func loadAPORun(ctx context.Context, db, runID string) (*storedAPORun, error) {
	store, err := openExisting(ctx, db)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	var run *episodes.Run
	if runID != "" {
		run, err = store.Run(ctx, runID)
		if errors.Is(err, episodes.ErrNotFound) {
			return nil, usagef("--run %s: no such run in %s", runID, db)
		}
		if err != nil {
			return nil, err
		}
		if !isAPORun(run) {
			return nil, usagef("--run %s is a Taboo run; spag rewards --db %s --run %s turns it into training data", runID, db, runID)
		}
	} else {
		runs, err := store.Runs(ctx)
		if err != nil {
			return nil, err
		}
		for i := range runs {
			if isAPORun(&runs[i]) {
				run = &runs[i] // oldest first: the last one wins
			}
		}
		if run == nil {
			return nil, usagef("%s holds no APO run (play one with: spag apo --db %s)", db, db)
		}
	}
	var cfg apoConfig
	if err := json.Unmarshal(run.Config, &cfg); err != nil {
		return nil, fmt.Errorf("run %s: stored configuration unreadable: %w", run.ID, err)
	}
	items, err := loadAPOItems(cfg.Prompts)
	if err != nil {
		return nil, fmt.Errorf("run %s: its --prompts: %w", run.ID, err)
	}
	g, err := apo.New(apo.Params{Items: items, MaxResponseBytes: cfg.MaxResponseBytes})
	if err != nil {
		return nil, err
	}
	if g.String() != cfg.Game {
		return nil, fmt.Errorf("run %s was played as %s but would now be %s (its --prompts items, or this spag's prompts, changed); the gold responses would not match", run.ID, cfg.Game, g.String())
	}
	sr := &storedAPORun{run: run, game: g}
	for rec, err := range store.Iter(ctx, episodes.Filter{RunID: run.ID, Turns: true}) {
		if err != nil {
			return nil, err
		}
		if rec.Errored() {
			sr.errored++
			continue
		}
		if len(rec.Turns) != 2 {
			return nil, fmt.Errorf("run %s episode %d has %d turns, want 2 (generator, reward model)", run.ID, rec.Index, len(rec.Turns))
		}
		sr.rated = append(sr.rated, apo.Rated{Index: rec.Index, Seed: rec.Seed, Query: rec.Subject, Sample: rec.Turns[0].Text, Reply: rec.Turns[1].Text})
	}
	sort.Slice(sr.rated, func(i, j int) bool { return sr.rated[i].Index < sr.rated[j].Index })
	return sr, nil
}

func writeAPOItems(cmd *cobra.Command, db, runID, out string) error {
	sr, err := loadAPORun(cmd.Context(), db, runID)
	if err != nil {
		return err
	}
	trainingItems, unrated, err := sr.game.TrainingItems(sr.rated)
	if err != nil {
		return fmt.Errorf("run %s: %w", sr.run.ID, err)
	}
	samples := 0
	err = writeOut(out, cmd.OutOrStdout(), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, it := range trainingItems {
			samples += len(it.Episodes)
			if err := enc.Encode(it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "run %s: %d items (%d samples, %d of them with unreadable ratings, kept with null ratings); left out %d errored episodes\n",
		sr.run.ID, len(trainingItems), samples, unrated, sr.errored)
	return nil
}

func newAPORewardsCmd() *cobra.Command {
	var db, runID, out, format string
	cmd := &cobra.Command{
		Use:   "rewards",
		Short: "Turn an APO run into reward-weighted samples for training the generator",
		Long: `rewards reads the episodes of an APO run and writes one training sample per
generated answer: the generator's prompt as the query, its answer as the
target, and as reward the reward model's rating of the answer minus its
rating of the gold answer in the same episode (so a sample the reward model
preferred to the gold answer has a positive reward; the gold rating acts as
a per-query baseline). Role is "generator", weight 1, and each sample
records the run and the rules (apo@1).

--format spag writes SPAG's training JSON, which spag train reads (--objective
spag or var); --format chat writes chat JSON Lines. Episodes whose ratings
cannot be read and empty answers give no sample; the counts are printed on
stderr. Without --run it reads the latest APO run.`,
		Example: `  spag apo rewards --out gen.json
  spag train --objective spag --data gen.json --init model.ckpt --out model2.ckpt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "spag" && format != "chat" {
				return usagef("--format %q: want spag or chat", format)
			}
			return writeAPORewards(cmd, db, runID, out, format)
		},
	}
	cmd.Flags().StringVar(&db, "db", "spag.db", "SQLite database")
	cmd.Flags().StringVar(&runID, "run", "", "APO run ID (default: the latest APO run)")
	cmd.Flags().StringVarP(&out, "out", "o", "-", "output file (- for stdout)")
	cmd.Flags().StringVar(&format, "format", "spag", "spag (SPAG training JSON) or chat (JSON Lines of messages)")
	return cmd
}

func writeAPORewards(cmd *cobra.Command, db, runID, out, format string) error {
	sr, err := loadAPORun(cmd.Context(), db, runID)
	if err != nil {
		return err
	}
	var samples []rl.Sample
	unreadable, empty := 0, 0
	for _, ep := range sr.rated {
		gold, sample, err := apo.EpisodeRatings(ep.Seed, ep.Reply)
		if err != nil {
			unreadable++
			continue
		}
		target := strings.TrimSpace(ep.Sample)
		if target == "" {
			empty++
			continue
		}
		p, err := sr.game.GeneratorPrompt(ep.Query)
		if err != nil {
			return fmt.Errorf("run %s episode %d: %w", sr.run.ID, ep.Index, err)
		}
		samples = append(samples, rl.Sample{Query: p.Text(), Messages: p.Messages, Target: target, Reward: sample - gold,
			Weight: 1, Role: apo.Generator, Provenance: rl.Provenance{Judge: sr.game.JudgeID(), Run: sr.run.ID}})
	}
	err = writeOut(out, cmd.OutOrStdout(), func(w io.Writer) error {
		if format == "chat" {
			return rl.WriteChatJSONL(w, samples)
		}
		return rl.WriteSPAGTraining(w, samples)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "run %s: %d samples; left out %d episodes with unreadable ratings, %d empty answers and %d errored episodes\n",
		sr.run.ID, len(samples), unreadable, empty, sr.errored)
	return nil
}
