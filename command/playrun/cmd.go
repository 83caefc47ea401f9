package playrun

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/selfplay"
)

// Spec is the help of a play command and which games it plays: those
// registered in Registry (nil: [Games]) with the command's name.
type Spec struct {
	Use, Short, Long, Example string
	// SeedHelp says what --seed decides.
	SeedHelp string
	// GameFlag adds --game, which chooses among the command's games.
	GameFlag bool
	Registry *Registry
}

// Options are every input of a play command.
type Options struct {
	IO         *cmdutil.IOStreams
	Interrupts cmdutil.Interrupts
	Summary    Summary
	Registry   *Registry
	// CommandPath is the command as the terminal UI names it: "spag selfplay".
	CommandPath string

	Flags
	// Game is the game played; Settings read its own flags.
	Game     string
	Settings Settings
	// Set lists the flags the user gave.
	Set []string
}

func (o *Options) registry() *Registry {
	if o.Registry == nil {
		return &Games
	}
	return o.Registry
}

// NewCmd returns a command that plays the games registered with its name
// (spec.Use's first word). It only parses flags into [Options]: the
// common ones, --game where spec asks for it, and the chosen game's own;
// runF does the work (nil: [Run]).
func NewCmd(f *cmdutil.Factory, spec Spec, runF func(context.Context, *Options) error) *cobra.Command {
	reg := spec.Registry
	if reg == nil {
		reg = &Games
	}
	opts := &Options{IO: f.IOStreams, Interrupts: f.Interrupts, Summary: f.RunSummary, Registry: reg}
	cmd := &cobra.Command{Use: spec.Use, Short: spec.Short, Long: spec.Long, Example: spec.Example, Args: cmdutil.NoArgs}
	fl := cmd.Flags()
	opts.Register(fl, spec.SeedHelp)
	common := map[string]bool{}
	fl.VisitAll(func(fl *pflag.Flag) { common[fl.Name] = true })
	games := reg.Of(cmd.Name())
	var names []string
	sets := map[string]*pflag.FlagSet{}
	settings := map[string]Settings{}
	for _, g := range games {
		fs := pflag.NewFlagSet(g.Name, pflag.ContinueOnError)
		settings[g.Name] = g.Flags(fs)
		sets[g.Name] = fs
		names = append(names, g.Name)
		// A flag several games share is shown once, the first game's.
		fs.VisitAll(func(gf *pflag.Flag) {
			if fl.Lookup(gf.Name) == nil {
				fl.AddFlag(gf)
			}
		})
	}
	if len(games) > 0 && games[0].Default {
		opts.Game = games[0].Name
	}
	if spec.GameFlag {
		common["game"] = true
		fl.StringVar(&opts.Game, "game", opts.Game, "the game to play: "+strings.Join(names, ", ")+" (the flags of a game apply to it alone)")
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		opts.CommandPath = cmd.CommandPath()
		opts.Set = SetFlags(cmd.Flags())
		fs, ok := sets[opts.Game]
		if !ok {
			if opts.Game == "" {
				return cmdutil.Usagef("--game is required: one of %s", strings.Join(names, ", "))
			}
			return cmdutil.Usagef("--game %q: want one of %s", opts.Game, strings.Join(names, ", "))
		}
		opts.Settings = settings[opts.Game]
		if err := takeFlags(fl, fs, opts.Set, common, opts.Game); err != nil {
			return err
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return Run(cmd.Context(), opts)
	}
	return cmd
}

// takeFlags gives the flags the user set to the chosen game's flag set fs:
// a flag that another game of the command defined first is set in fs too,
// and one that neither fs nor the common flags have is a usage error.
func takeFlags(fl, fs *pflag.FlagSet, set []string, common map[string]bool, gameName string) error {
	for _, name := range set {
		own := fs.Lookup(name)
		switch {
		case own == nil && common[name]:
			continue
		case own == nil:
			return cmdutil.Usagef("--%s is not a flag of the game %s", name, gameName)
		}
		shown := fl.Lookup(name)
		if shown == own {
			continue
		}
		var err error
		if sv, ok := shown.Value.(pflag.SliceValue); ok {
			if ov, ok := own.Value.(pflag.SliceValue); ok {
				err = ov.Replace(sv.GetSlice())
			}
		} else {
			err = fs.Set(name, shown.Value.String())
		}
		if err != nil {
			return cmdutil.Usagef("--%s: %v", name, err)
		}
		own.Changed = true
	}
	return nil
}

// Run plays a new run of opts.Game, or resumes opts.Resume, and reports
// how it ended.
func Run(ctx context.Context, opts *Options) error {
	if err := opts.Check(opts.Set, opts.IO); err != nil {
		return err
	}
	session := &selfplay.Session{Path: opts.DB}
	defer session.Close()
	var cfg Config
	var run *episodes.Run
	var err error
	if opts.Resume != "" {
		if run, err = ResumeRun(ctx, opts.registry(), session, opts.Resume, opts.Game); err != nil {
			return err
		}
		if cfg, err = opts.Settings.Stored(run); err != nil {
			return err
		}
	} else {
		changed := func(name string) bool { return slices.Contains(opts.Set, name) }
		if cfg, err = opts.Settings.New(changed, &opts.Flags); err != nil {
			return cmdutil.CLIError(err)
		}
	}
	plan, err := cfg.Plan(ctx, run)
	if err != nil {
		return cmdutil.CLIError(err)
	}
	return Play(ctx, opts, session, run, plan, cfg.Describe())
}
