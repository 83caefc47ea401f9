// Package aporun makes runs of the APO game (a generator against a reward
// model) and reads them back: the configuration a run stores ([Config],
// from which it resumes as it started), the [selfplay.Plan] that plays it,
// and, for training, a stored run's rated episodes ([Read]) with the
// generator's reward-weighted samples and the reward model's items.
//
// It knows no flags: errors about a setting are [*selfplay.SettingError]s
// naming the setting, and players' errors name the spec's flag as
// [players.Env] carries it.
package aporun

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/apo/revdict"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/version"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/selfplay"
)

// Config is everything needed to reproduce (or resume) an APO run; it is
// stored with the run as JSON, and its field names are that format.
type Config struct {
	// Game is the game string (apo.Game.String); [Config.Plan] sets it for
	// a new run.
	Game string `json:"game"`
	// Prompts is the source of the queries and gold responses (apo.Items).
	Prompts          string `json:"prompts"`
	MaxResponseBytes int    `json:"max_response_bytes"`
	// Generator and RewardModel are the players' specs.
	Generator   string `json:"generator"`
	RewardModel string `json:"reward_model"`
	Seed        uint64 `json:"seed"`
	// Samples is the number of games of each query in a row (APO's m).
	Samples int `json:"samples"`
	// SubjectsDigest names the queries, seed and sizes the run's subjects
	// were drawn from (see selfplay.Draw).
	SubjectsDigest string `json:"subjects_sha256,omitempty"`
	Games          int    `json:"games"`
	// Options are key=value settings for every player whose backend takes
	// the key (see players.OpenAll).
	Options     []string `json:"options,omitempty"`
	CodeVersion string   `json:"code_version"`
	GoVersion   string   `json:"go_version"`
}

// Prepare completes the configuration of a new run whose source c.Prompts
// holds items: the number of games when it is 0 (every query c.Samples
// times), the source as the run records it (a file by its absolute path,
// so that the run resumes from any directory) and the versions of the
// code.
func (c *Config) Prepare(items []apo.Item) error {
	if c.Games == 0 {
		c.Games = len(items) * c.Samples
	}
	source, err := apo.ItemSource(c.Prompts)
	if err != nil {
		return &selfplay.SettingError{Setting: "prompts", Err: err}
	}
	c.Prompts = source
	c.CodeVersion, c.GoVersion = version.Code(), runtime.Version()
	return nil
}

// NewGame makes the game of the configuration on items, the queries
// c.Prompts names.
func (c *Config) NewGame(items []apo.Item) (*apo.Game, error) {
	g, err := apo.New(apo.Params{Items: items, MaxResponseBytes: c.MaxResponseBytes})
	if err != nil {
		return nil, &selfplay.SettingError{Err: err}
	}
	return g, nil
}

// Plan makes the plan of a run of the configuration: the game on items
// (the queries c.Prompts names), the subjects, each query c.Samples times
// in a row, and the generator and the reward model (opened, which loads
// files but waits on no server: see selfplay.Preflight). run is the stored
// run when resuming, nil for a new run; for a new run Plan records the game
// and the subjects' digest in c, which the plan carries as the run's
// configuration.
func (c *Config) Plan(ctx context.Context, items []apo.Item, run *episodes.Run) (*selfplay.Plan, error) {
	g, err := c.NewGame(items)
	if err != nil {
		return nil, err
	}
	queries := make([]string, len(items))
	for i, it := range items {
		queries[i] = it.Query
	}
	subjects, digest, err := selfplay.Draw(queries, c.Games, c.Samples, c.Seed, run, c.SubjectsDigest)
	if err != nil {
		return nil, err
	}
	c.SubjectsDigest = digest
	if run == nil {
		c.Game = g.String()
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	ps, names, err := players.OpenRoles(ctx, []string{c.Generator, c.RewardModel}, []players.Env{
		{Flag: "generator", Game: apo.Description.Name, Role: apo.Generator},
		{Flag: "reward-model", Game: apo.Description.Name, Role: apo.RewardModel},
	}, c.Options)
	if err != nil {
		return nil, err
	}
	return &selfplay.Plan{Game: g, Players: ps, Names: names, Subjects: subjects, Seed: c.Seed, Judge: g.JudgeID(),
		MaxTurns: 1, Config: raw, CodeVersion: c.CodeVersion}, nil
}

// Stored is an APO run read back for training data: its game, rebuilt from
// the stored configuration, and its judged episodes in index order.
type Stored struct {
	Run  *episodes.Run
	Game *apo.Game
	// Rated are the episodes that finished, by index.
	Rated []apo.Rated
	// Errored counts the episodes that did not finish; they are left out.
	Errored int
}

// Latest returns the latest APO run of store, or an error wrapping
// [episodes.ErrNotFound] when it holds none.
func Latest(ctx context.Context, store *episodes.Store) (*episodes.Run, error) {
	runs, err := store.Runs(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(runs) - 1; i >= 0; i-- { // oldest first
		if game.NameOf(runs[i].Game) == apo.Description.Name {
			return &runs[i], nil
		}
	}
	return nil, fmt.Errorf("no APO run: %w", episodes.ErrNotFound)
}

// Read reads an APO run of store with its episodes. The game is rebuilt
// from the items the run's configuration names and must be the one the run
// played, so that the gold responses match.
func Read(ctx context.Context, store *episodes.Store, run *episodes.Run) (*Stored, error) {
	var cfg Config
	if err := selfplay.StoredConfig(run, &cfg); err != nil {
		return nil, err
	}
	items, err := apo.Items(cfg.Prompts)
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
	s := &Stored{Run: run, Game: g}
	for rec, err := range store.Iter(ctx, episodes.Filter{RunID: run.ID, Turns: true}) {
		if err != nil {
			return nil, err
		}
		if rec.Errored() {
			s.Errored++
			continue
		}
		if len(rec.Turns) != 2 {
			return nil, fmt.Errorf("run %s episode %d has %d turns, want 2 (generator, reward model)", run.ID, rec.Index, len(rec.Turns))
		}
		s.Rated = append(s.Rated, apo.Rated{Index: rec.Index, Seed: rec.Seed, Query: rec.Subject, Sample: rec.Turns[0].Text, Reply: rec.Turns[1].Text})
	}
	sort.Slice(s.Rated, func(i, j int) bool { return s.Rated[i].Index < s.Rated[j].Index })
	return s, nil
}

// GeneratorSamples are the generator's reward-weighted samples, one per
// rated answer: the generator's prompt as the query, its answer as the
// target, and as reward the reward model's rating of the answer minus its
// rating of the gold answer in the same episode (the gold rating is a
// per-query baseline). Episodes whose ratings cannot be read (unreadable)
// and empty answers (empty) give no sample.
func (s *Stored) GeneratorSamples() (samples []rl.Sample, unreadable, empty int, err error) {
	for _, ep := range s.Rated {
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
		p, err := s.Game.GeneratorPrompt(ep.Query)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("run %s episode %d: %w", s.Run.ID, ep.Index, err)
		}
		samples = append(samples, rl.Sample{Query: p.Text(), Messages: p.Messages, Target: target, Reward: sample - gold,
			Weight: 1, Role: apo.Generator, Provenance: rl.Provenance{Judge: s.Game.JudgeID(), Run: s.Run.ID}})
	}
	return samples, unreadable, empty, nil
}

// BestOfEach is rejection sampling over the generator's samples: of the
// samples that share a query (the k answers to one prompt), it keeps the
// one with the highest reward, the first of equals, as a supervised
// sample (Type rl.TypeSFT, weight 1) for the generator to imitate, its
// reward kept for the record. Queries keep the order of their first
// sample. With the samples of [Stored.GeneratorSamples], the reward model
// that rated the run chooses: APO's generator step, best of k.
func BestOfEach(samples []rl.Sample) []rl.Sample {
	var best []rl.Sample
	at := map[string]int{}
	for _, s := range samples {
		i, seen := at[s.Query]
		if !seen {
			at[s.Query] = len(best)
			best = append(best, s)
			continue
		}
		if s.Reward > best[i].Reward {
			best[i] = s
		}
	}
	for i := range best {
		best[i].Type, best[i].Weight = rl.TypeSFT, 1
	}
	return best
}

// GoldSamples are g's gold answers as supervised samples (Type
// rl.TypeSFT, weight 1, role generator): the generator's prompt for each
// query, in item order, and its gold answer as the reward model sees it
// (cut to the game's limit). They teach a generator the task by
// imitation, the starting point of APO's generator.
func GoldSamples(g *apo.Game) ([]rl.Sample, error) {
	samples := make([]rl.Sample, 0, len(g.Items()))
	for _, it := range g.Items() {
		p, err := g.GeneratorPrompt(it.Query)
		if err != nil {
			return nil, fmt.Errorf("query %q: %w", it.Query, err)
		}
		samples = append(samples, rl.Sample{Query: p.Text(), Messages: p.Messages, Target: strings.TrimSpace(g.Shown(it.Gold)),
			Reward: 1, Weight: 1, Role: apo.Generator, Type: rl.TypeSFT})
	}
	return samples, nil
}

// Yardstick ranks each generated answer of the run as a definition of its
// query's word with the reverse dictionary ix (the definitions task's
// yardstick, definitions.ReverseDictionary) and counts how often the word
// came first and in the first five. Every query must be the definitions
// task's; errored episodes are not counted (Stored.Errored has them).
func (s *Stored) Yardstick(ix *revdict.Index) (revdict.Rates, error) {
	var r revdict.Rates
	for _, ep := range s.Rated {
		word, ok := definitions.WordOf(ep.Query)
		if !ok {
			return revdict.Rates{}, fmt.Errorf("run %s episode %d: query %q is not one of the definitions task (%s); play it with --prompts definitions", s.Run.ID, ep.Index, ep.Query, definitions.Query("W"))
		}
		rank, err := ix.Rank(ep.Sample, word)
		if err != nil {
			return revdict.Rates{}, fmt.Errorf("run %s episode %d: %w", s.Run.ID, ep.Index, err)
		}
		r.Add(rank)
	}
	return r, nil
}
