// Package apocmd is the APO game's part of spag's commands: spag apo,
// which plays its runs (its flags registered with playrun.Games), with
// the subcommands of package apodata, registered with
// cmdutil.GameCommands. cmd/spag imports it for these registrations alone.
package apocmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/apo/apocmd/apodata"
	"github.com/spag-go/spag/apo/aporun"
	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/command/selfplaycmd"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/selfplay"
)

func init() {
	playrun.Games.Register(playrun.Game{Name: apo.Name, Command: apo.Name, Default: true, Flags: playFlags})
	cmdutil.GameCommands.Register(apo.Name, NewCmd)
}

// NewCmd returns spag apo and its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := selfplaycmd.NewCmd(f, selfplaycmd.Spec{
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

Queries come from --prompts: the built-in set; the definitions task ("What
does the word W mean?" with W's WordNet gloss as the gold answer) for all of
its words (definitions) or one side of their split (definitions:train,
definitions:heldout), whose preference items spag apo preferences writes; or
a JSON Lines file with one {"query": "...", "gold": "..."} object a line. --samples plays each query
that many times (APO's m, samples per query). Episodes go to --db like
selfplay's; spag stats and replay work on them, spag apo items turns them
into reward-model training items and spag apo rewards into the generator's
reward-weighted samples for spag train.

The first Ctrl-C lets the games in flight finish and prints the command
that resumes the run (exit 130); a second Ctrl-C stops at once.`,
		Example: `  spag apo                                        # built-in players and queries
  spag apo --samples 4 --generator builtin:skill=0.9
  spag apo --prompts mine.jsonl --generator ollama:qwen2.5:0.5b --reward-model ollama:qwen2.5:7b
  spag apo --prompts definitions:heldout --samples 2
  spag apo --db runs.db --resume r20261126-151200-3fa9`,
		SeedHelp: "seed for query order, answer order and every player's randomness",
	}, nil)
	cmd.AddCommand(apodata.Commands()...)
	return cmd
}

// settings are APO's own flags of spag apo.
type settings struct {
	prompts          string
	games            int
	samples          int
	maxResponseBytes int
	generator        string
	rewardModel      string
}

func playFlags(fl *pflag.FlagSet) playrun.Settings {
	s := &settings{}
	fl.StringVar(&s.prompts, "prompts", "builtin", `queries with gold responses: builtin, definitions, definitions:train, definitions:heldout, or a JSON Lines file of {"query": ..., "gold": ...}`)
	fl.IntVar(&s.games, "games", 0, "number of games (default: every query --samples times)")
	fl.IntVar(&s.samples, "samples", 1, "games per query (APO's samples per query, m)")
	fl.IntVar(&s.maxResponseBytes, "max-response-bytes", apo.DefaultMaxResponseBytes, "cut both answers to this many bytes before the reward model reads them")
	fl.StringVar(&s.generator, "generator", "builtin", "generator backend spec: "+players.Help())
	fl.StringVar(&s.rewardModel, "reward-model", "builtin", "reward model backend spec (same forms as --generator), likelihood:CKPT (a native checkpoint trained with spag train --objective apo, rating answers by likelihood) or scalar:CKPT (one trained with --score scalar, rating answers by its scalar head)")
	return s
}

// promptSubjects are the queries an APO run draws, named by --prompts.
var promptSubjects = playrun.Subjects[apo.Item]{Flag: "prompts", Load: apo.Items}

// run is an APO run's configuration and the items it draws from.
type run struct {
	cfg   aporun.Config
	items []apo.Item
}

func (s *settings) New(changed func(string) bool, common *playrun.Flags) (playrun.Config, error) {
	switch {
	case s.samples < 1:
		return nil, cmdutil.Usagef("--samples must be at least 1 (got %d)", s.samples)
	case changed("games") && s.games < 1:
		return nil, cmdutil.Usagef("--games must be at least 1 (got %d); leave it out for the default", s.games)
	case s.maxResponseBytes < 1:
		return nil, cmdutil.Usagef("--max-response-bytes must be at least 1 (got %d)", s.maxResponseBytes)
	}
	items, err := promptSubjects.New(s.prompts)
	if err != nil {
		return nil, err
	}
	specs, err := playrun.ResolvePlayers([]string{"generator", "reward-model"}, s.generator, s.rewardModel)
	if err != nil {
		return nil, err
	}
	r := &run{items: items, cfg: aporun.Config{Prompts: s.prompts, MaxResponseBytes: s.maxResponseBytes, Generator: specs[0],
		RewardModel: specs[1], Seed: common.Seed, Samples: s.samples, Games: s.games, Options: common.Options}}
	if err := r.cfg.Prepare(items); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *settings) Stored(stored *episodes.Run) (playrun.Config, error) {
	r := &run{}
	var err error
	if r.items, err = promptSubjects.Stored(stored, &r.cfg, &r.cfg.Prompts); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *run) Plan(ctx context.Context, stored *episodes.Run) (*selfplay.Plan, error) {
	return r.cfg.Plan(ctx, r.items, stored)
}

func (r *run) Describe() string {
	return fmt.Sprintf("APO: generator %s, reward model %s", r.cfg.Generator, r.cfg.RewardModel)
}
