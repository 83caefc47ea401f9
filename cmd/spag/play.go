package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/human"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/taboorun"
	"github.com/spag-go/spag/tui"
)

type playFlags struct {
	as       string
	against  string
	word     string
	words    string
	maxTurns int
	judge    string
	db       string
	seed     uint64
}

func newPlayCmd() *cobra.Command {
	var f playFlags
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
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlay(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.as, "as", "", "your role: attacker or defender (required)")
	fl.StringVar(&f.against, "against", "builtin", "the opponent's backend spec: "+backendList())
	fl.StringVar(&f.word, "word", "", "target word (default: a random word from --words)")
	fl.StringVar(&f.words, "words", "builtin", "word list to draw the target from: builtin, or a file")
	fl.IntVar(&f.maxTurns, "max-turns", 5, "attacker+defender turn pairs before a tie")
	fl.StringVar(&f.judge, "judge", "strict", "judge: strict or spag")
	fl.StringVar(&f.db, "db", "spag.db", "SQLite database to store the game in")
	fl.Uint64Var(&f.seed, "seed", 0, "seed for the word and the opponent (default: from the clock)")
	return cmd
}

func runPlay(cmd *cobra.Command, f playFlags) error {
	ctx := cmd.Context()
	var humanIdx int
	switch f.as {
	case judge.Attacker:
		humanIdx = 0
	case judge.Defender:
		humanIdx = 1
	case "":
		return usagef("--as is required: attacker or defender")
	default:
		return usagef("--as %q: want attacker or defender", f.as)
	}
	if f.maxTurns < 1 {
		return usagef("--max-turns must be at least 1 (got %d)", f.maxTurns)
	}
	if !isTerminal(cmd.OutOrStdout()) {
		return usagef("play needs a terminal (stdout is not one)")
	}
	cfg := taboorun.Config{MaxTurns: f.maxTurns, Judge: f.judge, Style: taboorun.DefaultStyle(f.against)}
	g, err := cfg.NewGame()
	if err != nil {
		return cliError(err)
	}
	seed := f.seed
	if !cmd.Flags().Changed("seed") {
		seed = uint64(time.Now().UnixNano())
	}
	word := f.word
	if word == "" {
		words, err := taboo.Words(f.words)
		if err != nil {
			return usageError{Err: fmt.Errorf("--words: %w", err)}
		}
		pick, err := selfplay.Shuffle(words, 1, 1, seed)
		if err != nil {
			return usageError{Err: fmt.Errorf("--words: %w", err)}
		}
		word = pick.At(0)
	}

	otherRole := g.Roles()[1-humanIdx]
	spec, err := players.ParseFlag("against", f.against)
	if err != nil {
		return cliError(err)
	}
	opponent, err := players.Open(ctx, spec, players.Env{Flag: "against", Game: taboo.Name, Role: otherRole, Judge: g.Judge()}, nil)
	if err != nil {
		return cliError(err)
	}
	if err := players.Preflight(ctx, []string{otherRole}, []game.Player{opponent.Player}); err != nil {
		return err
	}
	person := human.New(nil)
	defer person.Close()
	seats := make([]game.Player, 2)
	seats[humanIdx], seats[1-humanIdx] = person, opponent.Player

	// The database is opened when the game ends: a quit game makes none.
	session := &selfplay.Session{Path: f.db}
	defer session.Close()
	code, gov := codeVersion()
	// The run records the opponent as every run does: checkpoints by
	// absolute path and digest.
	against, err := players.ResolveFlag("against", f.against)
	if err != nil {
		return cliError(err)
	}
	roles := map[string]string{f.as: "human", otherRole: against}
	cfg.Game, cfg.Attacker, cfg.Defender, cfg.Seed, cfg.Words, cfg.Games = g.String(), roles[judge.Attacker], roles[judge.Defender], seed, f.words, 1
	cfg.CodeVersion, cfg.GoVersion = code, gov
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	plan := &selfplay.Plan{Game: g, Players: seats, Names: map[string]string{f.as: "human", otherRole: players.Name(against)},
		Subjects: selfplay.List{word}, Seed: seed, Judge: taboo.JudgeID(g.Judge()), MaxTurns: f.maxTurns, Config: raw, CodeVersion: code}

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
		run, err := selfplay.PlayOne(runCtx, session, plan, bus)
		person.Close()
		sub.Close()
		done <- played{run, err}
	}()
	logw, closeLog := tuiLog(cmd)
	defer closeLog()
	_, uiErr := tui.Run(ctx, tui.Config{
		Start:   tui.PlayView,
		Play:    tui.PlayConfig{Human: person, Events: sub.C, Game: taboo.Description, Role: f.as, Opponent: f.against},
		NoColor: noColor(),
	}, tui.RunOptions{In: cmd.InOrStdin(), Out: cmd.OutOrStdout(), Log: logw})
	cancel() // a game quit before its end is abandoned
	res := <-done
	runErr := res.err
	out := cmd.OutOrStdout()
	switch {
	case runErr == nil:
		fmt.Fprintf(out, "game stored as run %s in %s (spag replay --db %s --run %s)\n", res.run.ID, f.db, f.db, res.run.ID)
		return uiErr
	case errors.Is(runErr, context.Canceled):
		fmt.Fprintln(cmd.ErrOrStderr(), "game abandoned before its end; nothing was stored")
		if uiErr != nil && !errors.Is(uiErr, context.Canceled) {
			return uiErr
		}
		return errInterrupted
	}
	return fmt.Errorf("play: %w", runErr)
}
