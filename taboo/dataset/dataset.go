// Package dataset turns played Taboo episodes into training data: it
// rebuilds the game each episode was played with (so that every sample's
// query is the prompt the player really saw), judges the episodes and
// streams SPAG's rewards to a training file, in memory that does not grow
// with the run.
package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/reward"
	"github.com/spag-go/spag/taboo/spagjson"
)

// OtherGameError says that a run is not a Taboo run, so SPAG's reward rule
// does not apply to it.
type OtherGameError struct{ RunID, Game string }

func (e *OtherGameError) Error() string {
	return fmt.Sprintf("run %s is a %s run, not a Taboo run", e.RunID, e.Game)
}

// NewGames returns a cache of the games episodes were played with, judged
// by j; style and templates rebuild episodes whose run did not record them
// (imported ones).
func NewGames(j judge.Judge, style string, templates *taboo.Templates) *Games {
	return &Games{judge: j, style: style, templates: templates, byKey: map[string]*taboo.Game{}}
}

// Prompt is the reward rule's prompt source (reward.RewardOptions.Prompt): the
// prompt of utterance n of the episode the last pass yielded.
func (c *Games) Prompt(ep *rl.Episode, n int) (game.Prompt, error) {
	return c.current.PromptFor(ep.Target, ep.History, n)
}

// SetCurrent names the game of the episode a pass is about to yield.
func (c *Games) SetCurrent(g *taboo.Game) { c.current = g }

// Options are the settings of [Write].
type Options struct {
	// Decay is SPAG's reward decay (reward.DefaultDecay in the paper).
	Decay float64
	// Chat writes chat JSON Lines instead of SPAG's training JSON.
	Chat bool
	// SFT are imitation samples appended after the rewarded ones (SPAG
	// mixes general instruction data into every round).
	SFT []rl.Sample
	// Role, Last, FromTurn and WonBy select samples (see
	// reward.RewardOptions).
	Role     string
	Last     bool
	FromTurn int
	WonBy    string
	// LoserReward, when negative, adds each loser's decisive move with
	// this reward (reward.RewardOptions.LoserReward).
	LoserReward float64
}

// Write streams the samples of SPAG's reward rule over the episodes of pass
// to w, then the SFT samples. pass must be a pass of games (see [FromStore]).
func Write(w io.Writer, pass func() iter.Seq2[*rl.Episode, error], games *Games, o Options) (reward.RewardStats, error) {
	sw := newWriter(w, o.Chat)
	st, err := reward.StreamSPAGRewards(pass, reward.RewardOptions{Decay: o.Decay, Prompt: games.Prompt, Role: o.Role, Last: o.Last, FromTurn: o.FromTurn, WonBy: o.WonBy, LoserReward: o.LoserReward}, sw.Write)
	if err != nil {
		return st, err
	}
	return st, finish(sw, o.SFT)
}

// WriteZeroSum is [Write] with the zero-sum rule instead of SPAG's
// (reward.StreamZeroSumRewards; zs.Prompt is set here): each credited turn's
// reward is its advantage. Of o it reads Chat and SFT only.
func WriteZeroSum(w io.Writer, pass func() iter.Seq2[*rl.Episode, error], games *Games, o Options, zs reward.ZeroSumOptions) (reward.ZeroSumStats, error) {
	sw := newWriter(w, o.Chat)
	zs.Prompt = games.Prompt
	st, err := reward.StreamZeroSumRewards(pass, zs, sw.Write)
	if err != nil {
		return st, err
	}
	return st, finish(sw, o.SFT)
}

type sampleWriter interface {
	Write(*rl.Sample) error
	Close() error
}

func newWriter(w io.Writer, chat bool) sampleWriter {
	if chat {
		return rl.NewChatJSONLWriter(w)
	}
	return rl.NewSPAGTrainingWriter(w)
}

// finish appends the imitation samples and closes the writer.
func finish(sw sampleWriter, sft []rl.Sample) error {
	for i := range sft {
		if err := sw.Write(&sft[i]); err != nil {
			return err
		}
	}
	return sw.Close()
}

// Games rebuilds the taboo game each episode was played with, so that
// queries are the prompts the players really saw.
type Games struct {
	judge     judge.Judge
	style     string
	templates *taboo.Templates
	byKey     map[string]*taboo.Game
	// current is the game of the episode being turned into samples: the
	// passes set it before yielding each episode.
	current *taboo.Game
}

func (c *Games) get(key string, build func() (*taboo.Game, error)) (*taboo.Game, error) {
	g, ok := c.byKey[key]
	if !ok {
		var err error
		if g, err = build(); err != nil {
			return nil, err
		}
		c.byKey[key] = g
	}
	return g, nil
}

func (c *Games) ForMaxTurns(maxTurns int) (*taboo.Game, error) {
	return c.get(fmt.Sprintf("max_turns=%d", maxTurns), func() (*taboo.Game, error) {
		return taboo.New(taboo.Params{MaxTurns: maxTurns, Judge: c.judge, Style: c.style, Templates: c.templates})
	})
}

func JudgedEpisode(j judge.Judge, target string, maxTurns int, history []game.Message) rl.Episode {
	h := make([]judge.Utterance, len(history))
	for i, m := range history {
		h[i] = judge.Utterance{Role: m.Role, Text: m.Content}
	}
	v := j.Judge(target, maxTurns, h)
	return rl.Episode{Target: target, History: history, Outcome: string(v.Outcome), DecidedAt: v.DecidedAt}
}

// rewardEpisodesFromDB returns a pass that streams the stored episodes
// (of one run, or all) and judges each as it goes.
func FromStore(ctx context.Context, store *episodes.Store, runID string, j judge.Judge, games *Games) (func() iter.Seq2[*rl.Episode, error], error) {
	runs := map[string]*episodes.Run{}
	if runID != "" {
		run, err := store.RunInfo(ctx, runID)
		if err != nil {
			return nil, err
		}
		if name := game.NameOf(run.Game); name != taboo.Name {
			return nil, &OtherGameError{RunID: run.ID, Game: name}
		}
		runs[run.ID] = run
	}
	notErrored := false
	return func() iter.Seq2[*rl.Episode, error] {
		return func(yield func(*rl.Episode, error) bool) {
			for rec, err := range store.Iter(ctx, episodes.Filter{RunID: runID, Errored: &notErrored, Turns: true}) {
				if err != nil {
					yield(nil, err)
					return
				}
				run := runs[rec.RunID]
				if run == nil {
					if run, err = store.RunInfo(ctx, rec.RunID); err != nil {
						yield(nil, err)
						return
					}
					runs[rec.RunID] = run
				}
				if game.NameOf(run.Game) != taboo.Name {
					continue // another game, with its own training data
				}
				maxTurns := run.MaxTurns
				if maxTurns < 1 {
					maxTurns = ImportedMaxTurns(rec.Extra)
				}
				// A run played by spag records its game; imported runs use the flags.
				g, err := games.get("run="+run.ID, func() (*taboo.Game, error) {
					var known []*taboo.Templates
					if games.templates != nil {
						known = append(known, games.templates)
					}
					if g, err := taboo.Parse(run.Game, known...); err == nil {
						return taboo.New(taboo.Params{MaxTurns: g.MaxTurns(), Judge: j, Style: g.Style(), Templates: g.Templates()})
					}
					return taboo.New(taboo.Params{MaxTurns: maxTurns, Judge: j, Style: games.style, Templates: games.templates})
				})
				if err != nil {
					yield(nil, fmt.Errorf("run %s: %w", run.ID, err))
					return
				}
				history := make([]game.Message, len(rec.Turns))
				for i, t := range rec.Turns {
					history[i] = game.Message{Role: t.Role, Content: t.Text}
				}
				re := JudgedEpisode(j, rec.Subject, maxTurns, history)
				re.Provenance = rl.Provenance{Judge: taboo.JudgeID(j), Run: run.ID}
				games.current = g
				if !yield(&re, nil) {
					return
				}
			}
		}
	}, nil
}

// RunLearner is a run whose episodes make training data and the role the
// learning policy played in it ("" for both: self-play).
type RunLearner struct {
	RunID   string
	Learner string
}

// FromRuns is [FromStore] over several runs in turn, each episode marked
// with its run's learner (rl.Episode.Learner), so that the reward rules
// take only the learning policy's turns.
func FromRuns(ctx context.Context, store *episodes.Store, runs []RunLearner, j judge.Judge, games *Games) (func() iter.Seq2[*rl.Episode, error], error) {
	passes := make([]func() iter.Seq2[*rl.Episode, error], len(runs))
	for i, r := range runs {
		if r.RunID == "" {
			return nil, fmt.Errorf("run %d of %d has not been played", i+1, len(runs))
		}
		p, err := FromStore(ctx, store, r.RunID, j, games)
		if err != nil {
			return nil, err
		}
		passes[i] = p
	}
	return func() iter.Seq2[*rl.Episode, error] {
		return func(yield func(*rl.Episode, error) bool) {
			for i, p := range passes {
				for ep, err := range p() {
					if ep != nil {
						ep.Learner = runs[i].Learner
					}
					if !yield(ep, err) || err != nil {
						return
					}
				}
			}
		}
	}, nil
}

// FromSPAG returns a pass over the episodes of a SPAG episodes file, as
// [FromStore] does over stored ones, judging each as it goes; eps gives a
// new pass over the file's episodes each time it is called (reading the
// file anew, so that its episodes are never all in memory). source names
// the file in the samples' provenance ("file:" + source). An episode
// without max_turns has [taboo.DefaultMaxTurns].
func FromSPAG(ctx context.Context, eps func() iter.Seq2[*spagjson.Episode, error], source string, j judge.Judge, games *Games) func() iter.Seq2[*rl.Episode, error] {
	return func() iter.Seq2[*rl.Episode, error] {
		return func(yield func(*rl.Episode, error) bool) {
			for ep, err := range eps() {
				if err == nil {
					err = ctx.Err()
				}
				if err != nil {
					yield(nil, err)
					return
				}
				maxTurns := ep.MaxTurns
				if maxTurns <= 0 {
					maxTurns = taboo.DefaultMaxTurns
				}
				history := make([]game.Message, len(ep.History))
				for i, m := range ep.History {
					history[i] = game.Message{Role: m.Role, Content: m.Content}
				}
				g, err := games.ForMaxTurns(maxTurns)
				if err != nil {
					yield(nil, err)
					return
				}
				re := JudgedEpisode(j, ep.TargetWord, maxTurns, history)
				re.Provenance = rl.Provenance{Judge: taboo.JudgeID(j), Run: "file:" + source}
				games.SetCurrent(g)
				if !yield(&re, nil) {
					return
				}
			}
		}
	}
}

// ImportedMaxTurns reads max_turns from an imported episode's preserved
// keys, defaulting to taboo.DefaultMaxTurns.
func ImportedMaxTurns(extra json.RawMessage) int {
	var x struct {
		MaxTurns int `json:"max_turns"`
	}
	if len(bytes.TrimSpace(extra)) > 0 && json.Unmarshal(extra, &x) == nil && x.MaxTurns > 0 {
		return x.MaxTurns
	}
	return taboo.DefaultMaxTurns
}
