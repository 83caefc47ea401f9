package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/taboo"
)

type rewardsFlags struct {
	rules, in, db, run, out, sft, format, style, templates string
	decay                                                  float64
}

func newRewardsCmd() *cobra.Command {
	var f rewardsFlags
	cmd := &cobra.Command{
		Use:   "rewards",
		Short: "Turn judged episodes into SPAG training data",
		Long: `rewards judges episodes with --rules and applies the SPAG reward rule: only
won games count; the winner's utterances up to the deciding one get rewards
(1/d)^k normalised per episode, and each role gets the weight N/(2A) or
N/(2D) that balances the two roles. Episodes come from a SPAG episodes JSON
file (--in) or from the database (--db, optionally one --run). Each sample's
query is the prompt the winner saw, rendered with the run's templates (for
--in: with --style and --templates).

--format spag writes SPAG's training JSON (a JSON array of {query, target,
reward, weight, role}, plus {query, target, type: "sft", weight: 1} items
from --sft); --format chat writes chat JSON Lines for common trainers. Every
item names the judge and the run (or input file) it came from.`,
		Example: `  spag rewards --rules spag --decay 0.8 --in episodes.json --out train.json
  spag rewards --db runs.db --run r20261126-151200-3fa9 --out train.json --sft alpaca.json
  spag rewards --db runs.db --format chat --out train.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runRewards(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.rules, "rules", "strict", "judge: strict or spag")
	fl.Float64Var(&f.decay, "decay", rl.DefaultDecay, "reward decay d in (0, 1]")
	fl.StringVar(&f.in, "in", "", "SPAG episodes JSON file (- for standard input)")
	fl.StringVar(&f.db, "db", "", "SQLite database (instead of --in)")
	fl.StringVar(&f.run, "run", "", "with --db: only this run (default: every run)")
	fl.StringVar(&f.out, "out", "", "output file (- for standard output)")
	fl.StringVar(&f.sft, "sft", "", "supervised data to mix in: JSON array or JSON Lines of {query, target}")
	fl.StringVar(&f.format, "format", "spag", "spag (SPAG training JSON) or chat (JSON Lines of messages)")
	fl.StringVar(&f.style, "style", taboo.StyleChat, "with --in: prompt style, chat or transcript")
	fl.StringVar(&f.templates, "templates", "", "with --in: prompt template directory")
	return cmd
}

func runRewards(cmd *cobra.Command, f rewardsFlags) error {
	ctx := cmd.Context()
	if (f.in == "") == (f.db == "") {
		return usagef("give exactly one of --in FILE or --db PATH")
	}
	if f.run != "" && f.db == "" {
		return usagef("--run needs --db")
	}
	if f.out == "" {
		return usagef("--out is required (- for standard output)")
	}
	if !(f.decay > 0 && f.decay <= 1) {
		return usagef("--decay must be in (0, 1], got %v", f.decay)
	}
	if f.format != "spag" && f.format != "chat" {
		return usagef("--format %q: want spag or chat", f.format)
	}
	j, tmpl, err := loadJudgeAndTemplates("rules", f.rules, f.templates)
	if err != nil {
		return err
	}
	games := gameCache{judge: j, style: f.style, templates: tmpl, byKey: map[string]*taboo.Game{}}

	var sft []rl.Sample
	if f.sft != "" {
		sftFile, err := os.Open(f.sft)
		if err != nil {
			return usageError{fmt.Errorf("--sft: %w", err)}
		}
		sft, err = rl.ReadSFT(sftFile, f.sft)
		sftFile.Close()
		if err != nil {
			return err
		}
	}
	var pass func() iter.Seq2[*rl.Episode, error]
	if f.in != "" {
		pass, err = rewardEpisodesFromFile(ctx, f.in, cmd.InOrStdin(), j, &games)
		if err != nil {
			return err
		}
	} else {
		store, err := openReader(ctx, f.db)
		if err != nil {
			return err
		}
		defer store.Close()
		if pass, err = rewardEpisodesFromDB(ctx, store, f.run, j, &games); err != nil {
			return err
		}
	}
	opt := rl.RewardOptions{Decay: f.decay, Prompt: func(ep *rl.Episode, n int) (game.Prompt, error) {
		return games.current.PromptFor(ep.Target, ep.History, n)
	}}
	// Samples stream from the episodes to the output: memory stays flat
	// however large the run. A file is written atomically, so an
	// interrupted or failed run leaves no partial dataset.
	var st rl.RewardStats
	err = writeOut(f.out, cmd.OutOrStdout(), func(w io.Writer) error {
		var sw interface {
			Write(*rl.Sample) error
			Close() error
		}
		if f.format == "chat" {
			sw = rl.NewChatJSONLWriter(w)
		} else {
			sw = rl.NewSPAGTrainingWriter(w)
		}
		var err error
		if st, err = rl.StreamSPAGRewards(pass, opt, sw.Write); err != nil {
			return err
		}
		for i := range sft {
			if err := sw.Write(&sft[i]); err != nil {
				return err
			}
		}
		return sw.Close()
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%d episodes: %d attacker wins, %d defender wins, %d dropped (ties, rule breaks); %d samples (weights attacker %.3f, defender %.3f)\n",
		st.Episodes, st.AttackerWins, st.DefenderWins, st.Dropped, st.Samples+len(sft), st.AttackerWeight, st.DefenderWeight)
	return nil
}

// gameCache rebuilds the taboo game each episode was played with, so that
// queries are the prompts the players really saw.
type gameCache struct {
	judge     judge.Judge
	style     string
	templates *taboo.Templates
	byKey     map[string]*taboo.Game
	// current is the game of the episode being turned into samples: the
	// passes set it before yielding each episode.
	current *taboo.Game
}

func (c *gameCache) get(key string, build func() (*taboo.Game, error)) (*taboo.Game, error) {
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

func (c *gameCache) forMaxTurns(maxTurns int) (*taboo.Game, error) {
	return c.get(fmt.Sprintf("max_turns=%d", maxTurns), func() (*taboo.Game, error) {
		return taboo.New(taboo.Params{MaxTurns: maxTurns, Judge: c.judge, Style: c.style, Templates: c.templates})
	})
}

func judgedEpisode(j judge.Judge, target string, maxTurns int, history []game.Message) rl.Episode {
	h := make([]judge.Utterance, len(history))
	for i, m := range history {
		h[i] = judge.Utterance{Role: m.Role, Text: m.Content}
	}
	v := j.Judge(target, maxTurns, h)
	return rl.Episode{Target: target, History: history, Outcome: string(v.Outcome), DecidedAt: v.DecidedAt}
}

// rewardEpisodesFromFile judges the episodes of a SPAG file, which is held
// in memory anyway, and returns a pass over them.
func rewardEpisodesFromFile(ctx context.Context, name string, stdin io.Reader, j judge.Judge, games *gameCache) (func() iter.Seq2[*rl.Episode, error], error) {
	spagEps, err := readSPAGFile(name, stdin)
	if err != nil {
		return nil, err
	}
	out := make([]rl.Episode, 0, len(spagEps))
	played := make([]*taboo.Game, 0, len(spagEps))
	for _, ep := range spagEps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		history := make([]game.Message, len(ep.History))
		for i, m := range ep.History {
			history[i] = game.Message{Role: m.Role, Content: m.Content}
		}
		g, err := games.forMaxTurns(maxTurnsOf(ep))
		if err != nil {
			return nil, err
		}
		re := judgedEpisode(j, ep.TargetWord, maxTurnsOf(ep), history)
		re.Provenance = rl.Provenance{Judge: taboo.JudgeID(j), Run: "file:" + name}
		out = append(out, re)
		played = append(played, g)
	}
	return func() iter.Seq2[*rl.Episode, error] {
		return func(yield func(*rl.Episode, error) bool) {
			for i := range out {
				if err := ctx.Err(); err != nil {
					yield(nil, err)
					return
				}
				games.current = played[i]
				if !yield(&out[i], nil) {
					return
				}
			}
		}
	}, nil
}

// rewardEpisodesFromDB returns a pass that streams the stored episodes
// (of one run, or all) and judges each as it goes.
func rewardEpisodesFromDB(ctx context.Context, store *episodes.Store, runID string, j judge.Judge, games *gameCache) (func() iter.Seq2[*rl.Episode, error], error) {
	runs := map[string]*episodes.Run{}
	if runID != "" {
		run, err := store.RunInfo(ctx, runID)
		if errors.Is(err, episodes.ErrNotFound) {
			return nil, usagef("--run %s: no such run in %s", runID, store.Path())
		}
		if err != nil {
			return nil, err
		}
		if isAPORun(run) {
			return nil, usagef("--run %s is an APO run; spag apo items --db %s --run %s turns it into reward-model training items", runID, store.Path(), runID)
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
				if isAPORun(run) {
					continue // another game: spag apo items reads these
				}
				maxTurns := run.MaxTurns
				if maxTurns < 1 {
					maxTurns = importedMaxTurns(rec.Extra)
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
				re := judgedEpisode(j, rec.Subject, maxTurns, history)
				re.Provenance = rl.Provenance{Judge: taboo.JudgeID(j), Run: run.ID}
				games.current = g
				if !yield(&re, nil) {
					return
				}
			}
		}
	}, nil
}

// importedMaxTurns reads max_turns from an imported episode's preserved
// keys, defaulting to taboo.DefaultMaxTurns.
func importedMaxTurns(extra json.RawMessage) int {
	var x struct {
		MaxTurns int `json:"max_turns"`
	}
	if len(bytes.TrimSpace(extra)) > 0 && json.Unmarshal(extra, &x) == nil && x.MaxTurns > 0 {
		return x.MaxTurns
	}
	return taboo.DefaultMaxTurns
}
