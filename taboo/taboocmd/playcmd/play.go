// Package playcmd is spag play: one game of Adversarial Taboo played by a
// person at the terminal against any backend, in the terminal UI, judged
// and stored like a self-play episode. Package taboocmd registers it.
package playcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/version"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/human"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/taboorun"
	"github.com/spag-go/spag/tui"
)

// PlayOptions are every input of spag play.
type PlayOptions struct {
	IO *cmdutil.IOStreams

	As, Against string
	Word, Words string
	MaxTurns    int
	Judge       string
	DB          string
	// Seed draws the word and seeds the opponent; SeedSet is false when
	// the user gave none, and the clock chooses it.
	Seed    uint64
	SeedSet bool
}

// NewCmdPlay returns spag play. It only parses flags into [PlayOptions];
// runF does the work (nil: [RunPlay]).
func NewCmdPlay(f *cmdutil.Factory, runF func(context.Context, *PlayOptions) error) *cobra.Command {
	opts := &PlayOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "play",
		Short: "Play one game yourself against a model in the terminal UI",
		Long: `play lets you play one game of Adversarial Taboo in the terminal UI against
any backend. As the attacker you see the target word and must make the
defender say it without saying it yourself; as the defender you must find it
and guess once with "I know the word! It is <word>!".

The game is judged and stored in --db like any self-play episode (the run
records you as the player "human"); a game you quit early is not stored.`,
		Example: `  spag play --as defender --against builtin
  spag play --as attacker --against native          # the shipped language model
  spag play --as attacker --against builtin:skill=0.3 --word apple`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.SeedSet = cmd.Flags().Changed("seed")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunPlay(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.As, "as", "", "your role: attacker or defender (required)")
	fl.StringVar(&opts.Against, "against", "builtin", "the opponent's backend spec: "+players.Help())
	fl.StringVar(&opts.Word, "word", "", "target word (default: a random word from --words)")
	fl.StringVar(&opts.Words, "words", "builtin", "word list to draw the target from: builtin, or a file")
	fl.IntVar(&opts.MaxTurns, "max-turns", 5, "attacker+defender turn pairs before a tie")
	fl.StringVar(&opts.Judge, "judge", "strict", "judge: strict or spag")
	fl.StringVar(&opts.DB, "db", "spag.db", "SQLite database to store the game in")
	fl.Uint64Var(&opts.Seed, "seed", 0, "seed for the word and the opponent (default: from the clock)")
	return cmd
}

// humanGame is one game of a person against an opponent: its plan, with
// the person in their seat.
type humanGame struct {
	plan   *selfplay.Plan
	person *human.Player
}

// newHumanGame checks the options, opens and preflights the opponent and
// makes the plan of the one game, the person seated as opts.As.
func newHumanGame(ctx context.Context, opts *PlayOptions) (*humanGame, error) {
	var humanIdx int
	switch opts.As {
	case judge.Attacker:
		humanIdx = 0
	case judge.Defender:
		humanIdx = 1
	case "":
		return nil, cmdutil.Usagef("--as is required: attacker or defender")
	default:
		return nil, cmdutil.Usagef("--as %q: want attacker or defender", opts.As)
	}
	if opts.MaxTurns < 1 {
		return nil, cmdutil.Usagef("--max-turns must be at least 1 (got %d)", opts.MaxTurns)
	}
	if !opts.IO.IsStdoutTTY() {
		return nil, cmdutil.Usagef("play needs a terminal (stdout is not one)")
	}
	cfg := taboorun.Config{MaxTurns: opts.MaxTurns, Judge: opts.Judge, Style: taboorun.DefaultStyle(opts.Against)}
	g, err := cfg.NewGame()
	if err != nil {
		return nil, cmdutil.CLIError(err)
	}
	seed := opts.Seed
	if !opts.SeedSet {
		seed = uint64(time.Now().UnixNano())
	}
	word := opts.Word
	if word == "" {
		words, err := taboo.Words(opts.Words)
		if err != nil {
			return nil, cmdutil.UsageError{Err: fmt.Errorf("--words: %w", err)}
		}
		pick, err := selfplay.Shuffle(words, 1, 1, seed)
		if err != nil {
			return nil, cmdutil.UsageError{Err: fmt.Errorf("--words: %w", err)}
		}
		word = pick.At(0)
	}

	otherRole := g.Roles()[1-humanIdx]
	spec, err := players.ParseFlag("against", opts.Against)
	if err != nil {
		return nil, cmdutil.CLIError(err)
	}
	opponent, err := players.Open(ctx, spec, players.Env{Flag: "against", Game: taboo.Name, Role: otherRole, Judge: g.Judge()}, nil)
	if err != nil {
		return nil, cmdutil.CLIError(err)
	}
	if err := players.Preflight(ctx, []string{otherRole}, []game.Player{opponent.Player}); err != nil {
		return nil, err
	}
	// The run records the opponent as every run does: checkpoints by
	// absolute path and digest.
	against, err := players.ResolveFlag("against", opts.Against)
	if err != nil {
		return nil, cmdutil.CLIError(err)
	}
	person := human.New(nil)
	seats := make([]game.Player, 2)
	seats[humanIdx], seats[1-humanIdx] = person, opponent.Player
	roles := map[string]string{opts.As: "human", otherRole: against}
	cfg.Game, cfg.Attacker, cfg.Defender, cfg.Seed, cfg.Words, cfg.Games = g.String(), roles[judge.Attacker], roles[judge.Defender], seed, opts.Words, 1
	cfg.CodeVersion, cfg.GoVersion = version.Code(), runtime.Version()
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	plan := &selfplay.Plan{Game: g, Players: seats, Names: map[string]string{opts.As: "human", otherRole: players.Name(against)},
		Subjects: selfplay.List{word}, Seed: seed, Judge: taboo.JudgeID(g.Judge()), MaxTurns: opts.MaxTurns, Config: raw, CodeVersion: cfg.CodeVersion}
	return &humanGame{plan: plan, person: person}, nil
}

// RunPlay plays one game of the person at the terminal against the
// opponent, in the terminal UI, and stores it when it ends.
func RunPlay(ctx context.Context, opts *PlayOptions) error {
	hg, err := newHumanGame(ctx, opts)
	if err != nil {
		return err
	}
	person := hg.person
	defer person.Close()
	// The database is opened when the game ends: a quit game makes none.
	session := &selfplay.Session{Path: opts.DB}
	defer session.Close()

	bus := &game.Bus{}
	sub := bus.Subscribe(4096)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	type played struct {
		run *episodes.Run
		err error
	}
	done := make(chan played, 1)
	go func() {
		run, err := selfplay.PlayOne(runCtx, session, hg.plan, bus)
		person.Close()
		sub.Close()
		done <- played{run, err}
	}()
	logw, closeLog := playrun.TUILog(opts.IO.ErrOut)
	defer closeLog()
	_, uiErr := tui.Run(ctx, tui.Config{
		Start:   tui.PlayView,
		Play:    tui.PlayConfig{Human: person, Events: sub.C, Game: taboo.Description, Role: opts.As, Opponent: opts.Against},
		NoColor: playrun.NoColor(),
	}, tui.RunOptions{In: opts.IO.In, Out: opts.IO.Out, Log: logw})
	cancel() // a game quit before its end is abandoned
	res := <-done
	switch {
	case res.err == nil:
		fmt.Fprintf(opts.IO.Out, "game stored as run %s in %s (spag replay --db %s --run %s)\n", res.run.ID, opts.DB, opts.DB, res.run.ID)
		return uiErr
	case errors.Is(res.err, context.Canceled):
		fmt.Fprintln(opts.IO.ErrOut, "game abandoned before its end; nothing was stored")
		if uiErr != nil && !errors.Is(uiErr, context.Canceled) {
			return uiErr
		}
		return cmdutil.ErrInterrupted
	}
	return fmt.Errorf("play: %w", res.err)
}
