package playrun

import (
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
)

// GameFlags are the own flags of a command's games, merged into the
// command's flag set: a flag several games share is shown once, with the
// first game's help and default, and [GameFlags.Choose] hands the game the
// user chose the flags the user set.
type GameFlags struct {
	fl       *pflag.FlagSet
	common   map[string]bool
	names    []string
	def      string
	sets     map[string]*pflag.FlagSet
	settings map[string]any
}

// NewGameFlags adds the flags of games to fl, which holds the command's
// own flags already. add adds one game's flags to fs and returns what
// reads them (the game's Settings, or its arena's).
func NewGameFlags(fl *pflag.FlagSet, games []Game, add func(g Game, fs *pflag.FlagSet) any) *GameFlags {
	gf := &GameFlags{fl: fl, common: map[string]bool{}, sets: map[string]*pflag.FlagSet{}, settings: map[string]any{}}
	fl.VisitAll(func(f *pflag.Flag) { gf.common[f.Name] = true })
	for i, g := range games {
		fs := pflag.NewFlagSet(g.Name, pflag.ContinueOnError)
		gf.settings[g.Name] = add(g, fs)
		gf.sets[g.Name] = fs
		gf.names = append(gf.names, g.Name)
		if i == 0 && g.Default {
			gf.def = g.Name
		}
		fs.VisitAll(func(f *pflag.Flag) {
			if fl.Lookup(f.Name) == nil {
				fl.AddFlag(f)
			}
		})
	}
	return gf
}

// Default is the game played without --game, or "".
func (gf *GameFlags) Default() string { return gf.def }

// AddGameFlag adds --game, which chooses the game, to the command.
func (gf *GameFlags) AddGameFlag(game *string) {
	gf.common["game"] = true
	gf.fl.StringVar(game, "game", gf.def, "the game to play: "+strings.Join(gf.names, ", ")+" (the flags of a game apply to it alone)")
}

// Chosen is [GameFlags.Choose] once the command's flags are parsed: the
// flags the user set (see [SetFlags]), and what reads the flags of the
// game called name.
func (gf *GameFlags) Chosen(name string) (set []string, settings any, err error) {
	set = SetFlags(gf.fl)
	settings, err = gf.Choose(name, set)
	return set, settings, err
}

// Choose returns what reads the flags of the game called name, having
// set in its flags those of set (the flags the user gave) that another
// game defined first. A flag in set that neither the game nor the command
// has is a usage error.
func (gf *GameFlags) Choose(name string, set []string) (any, error) {
	fs, ok := gf.sets[name]
	switch {
	case !ok && name == "":
		return nil, cmdutil.Usagef("--game is required: one of %s", strings.Join(gf.names, ", "))
	case !ok:
		return nil, cmdutil.Usagef("--game %q: want one of %s", name, strings.Join(gf.names, ", "))
	}
	for _, flag := range set {
		own := fs.Lookup(flag)
		switch {
		case own == nil && gf.common[flag]:
			continue
		case own == nil:
			return nil, cmdutil.Usagef("--%s is not a flag of the game %s", flag, name)
		}
		shown := gf.fl.Lookup(flag)
		if shown == own {
			continue
		}
		var err error
		sv, shownSlice := shown.Value.(pflag.SliceValue)
		ov, ownSlice := own.Value.(pflag.SliceValue)
		if shownSlice && ownSlice {
			err = ov.Replace(sv.GetSlice())
		} else {
			err = fs.Set(flag, shown.Value.String())
		}
		if err != nil {
			return nil, cmdutil.Usagef("--%s: %v", flag, err)
		}
		own.Changed = true
	}
	return gf.settings[name], nil
}

// Choice is a play command's choice of game, made once its flags are
// parsed; the command's options embed it. The zero value is ready for
// [Choice.AddGames].
type Choice[S any] struct {
	// Game is the game played: the default game, or --game's.
	Game string
	// Settings read the chosen game's own flags (what add returned for it
	// in [Choice.AddGames]).
	Settings S
	// Set lists the flags the user gave (see [SetFlags]).
	Set []string

	games *GameFlags
}

// AddGames adds the own flags of games to fl, which holds the command's
// own flags already (see [NewGameFlags]); add adds one game's flags and
// returns what reads them. Game becomes the default game; with gameFlag,
// --game chooses another.
func (c *Choice[S]) AddGames(fl *pflag.FlagSet, games []Game, add func(g Game, fs *pflag.FlagSet) S, gameFlag bool) {
	c.games = NewGameFlags(fl, games, func(g Game, fs *pflag.FlagSet) any { return add(g, fs) })
	c.Game = c.games.Default()
	if gameFlag {
		c.games.AddGameFlag(&c.Game)
	}
}

// Choose makes the choice once the command's flags are parsed: the flags
// the user set, and the settings of the game Game names. A game that is
// not the command's is a usage error, and so is a flag of another game.
func (c *Choice[S]) Choose() error {
	set, settings, err := c.games.Chosen(c.Game)
	if err != nil {
		return err
	}
	c.Set, c.Settings = set, settings.(S)
	return nil
}

// Changed reports whether the user gave the flag called name.
func (c *Choice[S]) Changed(name string) bool { return slices.Contains(c.Set, name) }

// DefaultGame is the game the command plays without --game, or "" (as
// for options made without [Choice.AddGames]).
func (c *Choice[S]) DefaultGame() string {
	if c.games == nil {
		return ""
	}
	return c.games.Default()
}
