package selfplaycmd

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/selfplay"
)

// Spec is the help of a play command and which games it plays: those
// registered in Registry (nil: playrun.Games) with the command's name.
type Spec struct {
	Use, Short, Long, Example string
	// SeedHelp says what --seed decides.
	SeedHelp string
	// GameFlag adds --game, which chooses among the command's games.
	GameFlag bool
	Registry *playrun.Registry
}

// Options are every input of a play command.
type Options struct {
	IO         *cmdutil.IOStreams
	Interrupts cmdutil.Interrupts
	Summary    Summary
	Registry   *playrun.Registry
	// CommandPath is the command as the terminal UI names it: "spag selfplay".
	CommandPath string

	playrun.Flags
	// Choice is the game played, what reads its own flags, and the flags
	// the user gave.
	playrun.Choice[playrun.Settings]
}

func (o *Options) registry() *playrun.Registry {
	if o.Registry == nil {
		return &playrun.Games
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
		reg = &playrun.Games
	}
	opts := &Options{IO: f.IOStreams, Interrupts: f.Interrupts, Summary: f.RunSummary, Registry: reg}
	cmd := &cobra.Command{Use: spec.Use, Short: spec.Short, Long: spec.Long, Example: spec.Example, Args: cmdutil.NoArgs}
	fl := cmd.Flags()
	opts.Register(fl, spec.SeedHelp)
	opts.AddGames(fl, reg.Of(cmd.Name()), func(g playrun.Game, fs *pflag.FlagSet) playrun.Settings { return g.Flags(fs) }, spec.GameFlag)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		opts.CommandPath = cmd.CommandPath()
		if err := opts.Choose(); err != nil {
			return err
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return Run(cmd.Context(), opts)
	}
	return cmd
}

// Run plays a new run of opts.Game, or resumes opts.Resume, and reports
// how it ended.
func Run(ctx context.Context, opts *Options) error {
	if err := opts.Check(opts.Set, opts.IO); err != nil {
		return err
	}
	session := &selfplay.Session{Path: opts.DB}
	defer session.Close()
	var cfg playrun.Config
	var run *episodes.Run
	var err error
	if opts.Resume != "" {
		if run, err = playrun.ResumeRun(ctx, opts.registry(), session, opts.Resume, opts.Game); err != nil {
			return err
		}
		if cfg, err = opts.Settings.Stored(run); err != nil {
			return err
		}
	} else {
		if cfg, err = opts.Settings.New(opts.Changed, &opts.Flags); err != nil {
			return cmdutil.CLIError(err)
		}
	}
	plan, err := cfg.Plan(ctx, run)
	if err != nil {
		return cmdutil.CLIError(err)
	}
	return Play(ctx, opts, session, run, plan, cfg.Describe())
}
