package taboocmd

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/taboorun"
)

// arenaSettings are Taboo's own flags of spag arena.
type arenaSettings struct {
	words     string
	maxTurns  int
	judge     string
	style     string
	templates string
}

func arenaFlags(fl *pflag.FlagSet) playrun.ArenaSettings {
	s := &arenaSettings{}
	fl.StringVar(&s.words, "words", taboo.WordsHeldOut, "word list: builtin:heldout, builtin, builtin:train, or a file with one word per line")
	fl.IntVar(&s.maxTurns, "max-turns", 5, "attacker+defender turn pairs before a tie")
	fl.StringVar(&s.judge, "judge", "strict", "judge: strict or spag")
	fl.StringVar(&s.style, "style", "", "prompt style for model players: chat, transcript or compact (default: compact when a player is native)")
	fl.StringVar(&s.templates, "templates", "", "directory of prompt templates replacing the built-in ones")
	return s
}

// arenaRun is what an arena's Taboo runs share: the configuration, whose
// players each pairing sets, and the words.
type arenaRun struct {
	base  taboorun.Config
	words []string
}

func (s *arenaSettings) New(_ func(string) bool, common *playrun.Flags, games int, a, b string) (playrun.ArenaConfig, error) {
	if s.maxTurns < 1 {
		return nil, cmdutil.Usagef("--max-turns must be at least 1 (got %d)", s.maxTurns)
	}
	// The pairings set the players; these choose the default style.
	r := &arenaRun{base: taboorun.Config{MaxTurns: s.maxTurns, Judge: s.judge, Style: s.style, Templates: s.templates,
		Attacker: a, Defender: b, Seed: common.Seed, Words: s.words, Games: games, Options: common.Options}}
	if err := r.loadWords(); err != nil {
		return nil, err
	}
	if err := r.base.Prepare(r.words); err != nil {
		return nil, err
	}
	return r, r.checkWords()
}

func (s *arenaSettings) Stored(run *episodes.Run) (playrun.ArenaConfig, error) {
	r := &arenaRun{}
	if err := selfplay.StoredConfig(run, &r.base); err != nil {
		return nil, err
	}
	if err := r.loadWords(); err != nil {
		return nil, err
	}
	return r, r.checkWords()
}

func (r *arenaRun) loadWords() error {
	var err error
	r.words, err = wordSubjects.New(r.base.Words)
	return err
}

func (r *arenaRun) checkWords() error {
	if len(r.words) < 2 {
		return cmdutil.Usagef("--words %s: an arena needs at least 2 words to play, this list has %d", r.base.Words, len(r.words))
	}
	return nil
}

func (r *arenaRun) Players() []string { return []string{r.base.Attacker, r.base.Defender} }

func (r *arenaRun) Plan(ctx context.Context, players, all []string, run *episodes.Run) (*selfplay.Plan, error) {
	cfg := r.base
	cfg.Attacker, cfg.Defender = players[0], players[1]
	if err := cfg.ShareOptions(all); err != nil {
		return nil, err
	}
	return cfg.Plan(ctx, r.words, run)
}
