package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

	var eps []rl.Episode
	if f.in != "" {
		eps, err = rewardEpisodesFromFile(f.in, cmd.InOrStdin(), j, &games)
	} else {
		eps, err = rewardEpisodesFromDB(ctx, f.db, f.run, j, &games)
	}
	if err != nil {
		return err
	}
	samples, st, err := rl.SPAGRewards(eps, rl.RewardOptions{Decay: f.decay, Prompt: games.promptFunc(eps)})
	if err != nil {
		return err
	}
	if f.sft != "" {
		sftFile, err := os.Open(f.sft)
		if err != nil {
			return usageError{fmt.Errorf("--sft: %w", err)}
		}
		sft, err := rl.ReadSFT(sftFile, f.sft)
		sftFile.Close()
		if err != nil {
			return err
		}
		samples = append(samples, sft...)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%d episodes: %d attacker wins, %d defender wins, %d dropped (ties, rule breaks); %d samples (weights attacker %.3f, defender %.3f)\n",
		st.Episodes, st.AttackerWins, st.DefenderWins, st.Dropped, len(samples), st.AttackerWeight, st.DefenderWeight)
	return writeOut(f.out, cmd.OutOrStdout(), func(w io.Writer) error {
		if f.format == "chat" {
			return rl.WriteChatJSONL(w, samples)
		}
		return rl.WriteSPAGTraining(w, samples)
	})
}

// gameCache rebuilds the taboo game each episode was played with, so that
// queries are the prompts the players really saw.
type gameCache struct {
	judge     judge.Judge
	style     string
	templates *taboo.Templates
	byKey     map[string]*taboo.Game
	// played lists the game of each reward episode, in order.
	played []*taboo.Game
}

func (c *gameCache) add(key string, build func() (*taboo.Game, error)) error {
	g, ok := c.byKey[key]
	if !ok {
		var err error
		if g, err = build(); err != nil {
			return err
		}
		c.byKey[key] = g
	}
	c.played = append(c.played, g)
	return nil
}

// promptFunc returns the reward rule's prompt source for eps, which must be
// the slice whose episodes were added, in order: rl.SPAGRewards hands each
// callback a pointer to its element of that slice.
func (c *gameCache) promptFunc(eps []rl.Episode) rl.PromptFunc {
	byEpisode := make(map[*rl.Episode]*taboo.Game, len(eps))
	for i := range eps {
		byEpisode[&eps[i]] = c.played[i]
	}
	return func(ep *rl.Episode, n int) (game.Prompt, error) {
		g := byEpisode[ep]
		if g == nil {
			return game.Prompt{}, errors.New("episode not from this input")
		}
		return g.PromptFor(ep.Target, ep.History, n)
	}
}

func (c *gameCache) addMaxTurns(maxTurns int) error {
	return c.add(fmt.Sprintf("max_turns=%d", maxTurns), func() (*taboo.Game, error) {
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

func rewardEpisodesFromFile(name string, stdin io.Reader, j judge.Judge, games *gameCache) ([]rl.Episode, error) {
	spagEps, err := readSPAGFile(name, stdin)
	if err != nil {
		return nil, err
	}
	out := make([]rl.Episode, 0, len(spagEps))
	for _, ep := range spagEps {
		history := make([]game.Message, len(ep.History))
		for i, m := range ep.History {
			history[i] = game.Message{Role: m.Role, Content: m.Content}
		}
		if err := games.addMaxTurns(maxTurnsOf(ep)); err != nil {
			return nil, err
		}
		re := judgedEpisode(j, ep.TargetWord, maxTurnsOf(ep), history)
		re.Provenance = rl.Provenance{Judge: taboo.JudgeID(j), Run: "file:" + name}
		out = append(out, re)
	}
	return out, nil
}

func rewardEpisodesFromDB(ctx context.Context, db, runID string, j judge.Judge, games *gameCache) ([]rl.Episode, error) {
	store, err := openExisting(ctx, db)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	runs := map[string]*episodes.Run{}
	if runID != "" {
		run, err := store.Run(ctx, runID)
		if errors.Is(err, episodes.ErrNotFound) {
			return nil, usagef("--run %s: no such run in %s", runID, db)
		}
		if err != nil {
			return nil, err
		}
		if isAPORun(run) {
			return nil, usagef("--run %s is an APO run; spag apo items --db %s --run %s turns it into reward-model training items", runID, db, runID)
		}
		runs[run.ID] = run
	}
	notErrored := false
	var out []rl.Episode
	for rec, err := range store.Iter(ctx, episodes.Filter{RunID: runID, Errored: &notErrored, Turns: true}) {
		if err != nil {
			return nil, err
		}
		run := runs[rec.RunID]
		if run == nil {
			if run, err = store.Run(ctx, rec.RunID); err != nil {
				return nil, err
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
		if err := games.add("run="+run.ID, func() (*taboo.Game, error) {
			var known []*taboo.Templates
			if games.templates != nil {
				known = append(known, games.templates)
			}
			if g, err := taboo.Parse(run.Game, known...); err == nil {
				return taboo.New(taboo.Params{MaxTurns: g.MaxTurns(), Judge: j, Style: g.Style(), Templates: g.Templates()})
			}
			return taboo.New(taboo.Params{MaxTurns: maxTurns, Judge: j, Style: games.style, Templates: games.templates})
		}); err != nil {
			return nil, fmt.Errorf("run %s: %w", run.ID, err)
		}
		history := make([]game.Message, len(rec.Turns))
		for i, t := range rec.Turns {
			history[i] = game.Message{Role: t.Role, Content: t.Text}
		}
		re := judgedEpisode(j, rec.Subject, maxTurns, history)
		re.Provenance = rl.Provenance{Judge: taboo.JudgeID(j), Run: run.ID}
		out = append(out, re)
	}
	return out, nil
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
