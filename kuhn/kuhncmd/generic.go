package kuhncmd

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/kuhnrun"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/selfplay"
)

// Kuhn Poker is played by spag selfplay --game kuhn and spag arena --game
// kuhn as well as by its own commands: the generic ones store the same
// runs (a kuhnrun.Config), so that either resumes them and spag stats,
// replay and report read them.
func init() {
	playrun.Games.Register(playrun.Game{Name: kuhn.Name, Command: "selfplay", Flags: selfplayFlags, Arena: arenaFlags})
}

// selfplaySettings are Kuhn Poker's own flags of spag selfplay.
type selfplaySettings struct {
	first, second string
	games         int
}

func selfplayFlags(fl *pflag.FlagSet) playrun.Settings {
	s := &selfplaySettings{}
	fl.StringVar(&s.first, kuhn.First, "builtin", "Kuhn Poker's first player's spec (same forms as --attacker; kuhn:STRATEGY too)")
	fl.StringVar(&s.second, kuhn.Second, "builtin", "Kuhn Poker's second player's spec (same forms as --first)")
	fl.IntVar(&s.games, "games", 600, "number of hands")
	return s
}

// config is one run's configuration, as spag kuhn play makes it.
type config struct{ kuhnrun.Config }

func (s *selfplaySettings) New(_ func(string) bool, common *playrun.Flags) (playrun.Config, error) {
	c := &config{kuhnrun.Config{First: s.first, Second: s.second, Games: s.games, Seed: common.Seed, Options: common.Options}}
	if err := c.Prepare(); err != nil {
		return nil, usage(err)
	}
	return c, nil
}

func (s *selfplaySettings) Stored(run *episodes.Run) (playrun.Config, error) {
	c := &config{}
	return c, selfplay.StoredConfig(run, &c.Config)
}

func (c *config) Plan(ctx context.Context, run *episodes.Run) (*selfplay.Plan, error) {
	return c.Config.Plan(ctx, run)
}

func (c *config) Describe() string { return fmt.Sprintf("first %s, second %s", c.First, c.Second) }

// arenaSettings read Kuhn Poker's flags of spag arena: it has none of its
// own, the deals being all six in a seeded order.
type arenaSettings struct{}

func arenaFlags(*pflag.FlagSet) playrun.ArenaSettings { return arenaSettings{} }

// arenaConfig is what an arena's pairings share; each sets the players.
type arenaConfig struct{ base kuhnrun.Config }

func (arenaSettings) New(_ func(string) bool, common *playrun.Flags, games int, a, b string) (playrun.ArenaConfig, error) {
	// The players' errors name the arena's flags, not the seats'.
	specs, err := playrun.ResolvePlayers([]string{"a", "b"}, a, b)
	if err != nil {
		return nil, usage(err)
	}
	a, b = specs[0], specs[1]
	r := &arenaConfig{base: kuhnrun.Config{First: a, Second: b, Games: games, Seed: common.Seed, Options: common.Options}}
	if err := r.base.Prepare(); err != nil {
		return nil, usage(err)
	}
	// A setting that neither player takes in either seat is refused
	// before any run is recorded.
	if len(r.base.Options) > 0 {
		specs := []string{a, a, b, b}
		if err := players.CheckOptions(specs, append(envs(), envs()...), r.base.Options); err != nil {
			return nil, usage(err)
		}
	}
	return r, nil
}

func (arenaSettings) Stored(run *episodes.Run) (playrun.ArenaConfig, error) {
	r := &arenaConfig{}
	return r, selfplay.StoredConfig(run, &r.base)
}

func (r *arenaConfig) Players() []string { return []string{r.base.First, r.base.Second} }

func (r *arenaConfig) Plan(ctx context.Context, seats, _ []string, run *episodes.Run) (*selfplay.Plan, error) {
	c := r.base
	c.First, c.Second = seats[0], seats[1]
	// The pairings' players are the specs as given, which New checked.
	var err error
	for i, p := range []*string{&c.First, &c.Second} {
		if *p, err = players.ResolveFlag(envs()[i].Flag, *p); err != nil {
			return nil, err
		}
	}
	// Each pairing gets the settings its own players take: one that only
	// A takes must not stop B's run against itself.
	if len(c.Options) > 0 {
		if c.Options, err = players.TakenOptions([]string{c.First, c.Second}, envs(), c.Options); err != nil {
			return nil, err
		}
	}
	return c.Plan(ctx, run)
}

// envs are the seats' environments, as kuhnrun opens the players.
func envs() []players.Env {
	return []players.Env{
		{Flag: kuhn.First, Game: kuhn.Name, Role: kuhn.First},
		{Flag: kuhn.Second, Game: kuhn.Name, Role: kuhn.Second},
	}
}
