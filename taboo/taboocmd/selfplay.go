// Package taboocmd is Adversarial Taboo's part of spag's commands: the
// flags with which spag selfplay and spag arena play it (registered with
// playrun.Games; it is selfplay's default game), and the commands of its
// own (spag play, of package playcmd, registered with
// cmdutil.GameCommands). cmd/spag imports it
// for these registrations alone.
package taboocmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/taboocmd/playcmd"
	"github.com/spag-go/spag/taboo/taboorun"
)

func init() {
	playrun.Games.Register(playrun.Game{Name: taboo.Name, Command: "selfplay", Default: true, Flags: selfplayFlags, Arena: arenaFlags})
	cmdutil.GameCommands.Register("play", func(f *cmdutil.Factory) *cobra.Command { return playcmd.NewCmdPlay(f, nil) })
}

// settings are Taboo's own flags of spag selfplay.
type settings struct {
	games     int
	words     string
	maxTurns  int
	attacker  string
	defender  string
	judge     string
	style     string
	templates string
	shard     string
}

func selfplayFlags(fl *pflag.FlagSet) playrun.Settings {
	s := &settings{}
	fl.IntVar(&s.games, "games", 0, "number of games (default: 100 with the built-in words, one per word with --words)")
	fl.StringVar(&s.words, "words", "builtin", "word list: builtin, builtin:train or builtin:heldout (the built-in list's training and held-out words), or a file with one word per line (# comments)")
	fl.IntVar(&s.maxTurns, "max-turns", 5, "attacker+defender turn pairs before a tie")
	fl.StringVar(&s.attacker, "attacker", "native", "attacker backend spec: "+players.Help())
	fl.StringVar(&s.defender, "defender", "native", "defender backend spec (same forms as --attacker)")
	fl.StringVar(&s.judge, "judge", "strict", "judge: strict (recommended) or spag (SPAG reference compatible)")
	fl.StringVar(&s.style, "style", "", "prompt style for model players: chat, transcript or compact (default: compact when a player is native, else chat)")
	fl.StringVar(&s.templates, "templates", "", "directory of prompt templates replacing the built-in ones")
	fl.StringVar(&s.shard, "shard", "", "play only shard i of n (i/n, from 0) of the run's episodes")
	return s
}

// wordSubjects are the target words a Taboo run draws, named by --words.
var wordSubjects = playrun.Subjects[string]{Flag: "words", Load: taboo.Words}

// run is a Taboo run's configuration and the words it draws from.
type run struct {
	cfg   taboorun.Config
	words []string
}

func (s *settings) New(changed func(string) bool, common *playrun.Flags) (playrun.Config, error) {
	switch {
	case s.maxTurns < 1:
		return nil, cmdutil.Usagef("--max-turns must be at least 1 (got %d)", s.maxTurns)
	case changed("games") && s.games < 1:
		return nil, cmdutil.Usagef("--games must be at least 1 (got %d); leave it out for the default", s.games)
	}
	if _, err := selfplay.ParseShard(s.shard); err != nil {
		return nil, cmdutil.Usagef("--%v", err)
	}
	words, err := wordSubjects.New(s.words)
	if err != nil {
		return nil, err
	}
	specs, err := playrun.ResolvePlayers([]string{"attacker", "defender"}, s.attacker, s.defender)
	if err != nil {
		return nil, err
	}
	r := &run{words: words, cfg: taboorun.Config{MaxTurns: s.maxTurns, Judge: s.judge, Style: s.style, Templates: s.templates,
		Attacker: specs[0], Defender: specs[1], Seed: common.Seed, Words: s.words, Games: s.games,
		Shard: s.shard, Options: common.Options}}
	if err := r.cfg.Prepare(words); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *settings) Stored(stored *episodes.Run) (playrun.Config, error) {
	r := &run{}
	var err error
	if r.words, err = wordSubjects.Stored(stored, &r.cfg, &r.cfg.Words); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *run) Plan(ctx context.Context, stored *episodes.Run) (*selfplay.Plan, error) {
	return r.cfg.Plan(ctx, r.words, stored)
}

func (r *run) Describe() string {
	return fmt.Sprintf("%s vs %s, judge %s", r.cfg.Attacker, r.cfg.Defender, r.cfg.Judge)
}
