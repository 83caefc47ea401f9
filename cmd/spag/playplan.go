package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/taboorun"
)

func runSelfplay(cmd *cobra.Command, sig *interrupts, f selfplayFlags) error {
	ctx := cmd.Context()
	if err := f.check(cmd); err != nil {
		return err
	}
	var cfg taboorun.Config
	var run *episodes.Run
	if f.resume == "" {
		switch {
		case f.maxTurns < 1:
			return usagef("--max-turns must be at least 1 (got %d)", f.maxTurns)
		case cmd.Flags().Changed("games") && f.games < 1:
			return usagef("--games must be at least 1 (got %d); leave it out for the default", f.games)
		}
		if _, err := selfplay.ParseShard(f.shard); err != nil {
			return usagef("--%v", err)
		}
	}

	session := &selfplay.Session{Path: f.db}
	defer session.Close()
	var words []string
	var err error
	if f.resume != "" {
		if run, err = resumeRun(ctx, session, f.resume, taboo.Name, &cfg); err != nil {
			return err
		}
		if words, err = taboo.Words(cfg.Words); err != nil {
			return fmt.Errorf("run %s: its --words: %w", run.ID, err)
		}
	} else {
		if words, err = taboo.Words(f.words); err != nil {
			return usageError{Err: fmt.Errorf("--words: %w", err)}
		}
		// Resuming from another directory must find the same checkpoints.
		attacker, err := players.ResolveFlag("attacker", f.attacker)
		if err != nil {
			return cliError(err)
		}
		defender, err := players.ResolveFlag("defender", f.defender)
		if err != nil {
			return cliError(err)
		}
		cfg = taboorun.Config{MaxTurns: f.maxTurns, Judge: f.judge, Style: f.style, Templates: f.templates,
			Attacker: attacker, Defender: defender, Seed: f.seed, Words: f.words, Games: f.games,
			Shard: f.shard, Options: f.options}
		if err := cfg.Prepare(words); err != nil {
			return cliError(err)
		}
	}
	plan, err := cfg.Plan(ctx, words, run)
	if err != nil {
		return cliError(err)
	}
	return playPlan(cmd, sig, session, run, plan, "selfplay", f.runFlags,
		fmt.Sprintf("%s vs %s, judge %s", cfg.Attacker, cfg.Defender, cfg.Judge))
}

// resumeRun loads a stored run of gameName and its configuration into cfg.
func resumeRun(ctx context.Context, session *selfplay.Session, id, gameName string, cfg any) (*episodes.Run, error) {
	run, err := session.Resume(ctx, id, gameName)
	var mismatch *selfplay.GameMismatchError
	switch {
	case errors.Is(err, selfplay.ErrNoDatabase):
		return nil, usagef("--resume %s: cannot open --db %s: %v", id, session.Path, err)
	case errors.Is(err, episodes.ErrNotFound):
		return nil, usagef("--resume %s: no such run in %s (%s)", id, session.Path, cmdutil.ListRunsHint(session.Path))
	case errors.As(err, &mismatch):
		return nil, usagef("--resume %s: %v; resume it with: spag %s --db %s --resume %s", id, err, playCommand(mismatch.Game), session.Path, mismatch.RunID)
	case err != nil:
		return nil, err
	}
	if err := selfplay.StoredConfig(run, cfg); err != nil {
		return nil, err
	}
	return run, nil
}

// playCommand is the spag command that plays (and resumes) runs of a game.
func playCommand(gameName string) string {
	if gameName == taboo.Name {
		return "selfplay"
	}
	return gameName
}

// playPlan checks the players, records the run (or takes up the resumed
// one), plays what it is missing and reports how it ended.
func playPlan(cmd *cobra.Command, sig *interrupts, session *selfplay.Session, run *episodes.Run, plan *selfplay.Plan, command string, f runFlags, describe string) error {
	ctx := cmd.Context()
	if run != nil {
		if err := selfplay.CheckResumable(run, plan); err != nil {
			return err
		}
	}
	if err := selfplay.Preflight(ctx, plan); err != nil {
		return err
	}
	run, pending, err := session.Begin(ctx, plan, run)
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	fmt.Fprintf(stderr, "run %s: %d episodes to play (%s) into %s\n", run.ID, pending.Len(), describe, f.db)
	opts := selfplay.Options{Concurrency: f.concurrency, TurnTimeout: f.turnTimeout, Drain: sig.Drain()}
	if f.tui {
		opts.Watch = func(ctx context.Context, r *game.Runner, play func() error) error {
			return runWatched(ctx, cmd, r, run.ID, pending.Len(), run.Players, play)
		}
	} else {
		opts.Progress, opts.Terminal = stderr, isTerminal(stderr)
	}
	res, err := session.Play(ctx, run, plan, pending, opts)
	resume := fmt.Sprintf("spag %s --db %s --resume %s", command, f.db, run.ID)
	if err != nil {
		return fmt.Errorf("run %s: %w (resume with: %s)", run.ID, err, resume)
	}
	store, err := session.Store(ctx)
	if err != nil {
		return err
	}
	return finishRun(cmd, store, res, resume, f.jsonOut)
}

// finishRun is the one place that decides how a play command ends: exit 130
// with the resume command for an interrupted run; otherwise the run's
// summary, then exit 1 with the count, the first reason and the resume
// command when episodes errored, or 0.
func finishRun(cmd *cobra.Command, store *episodes.Store, res selfplay.Result, resume string, jsonOut bool) error {
	if res.Interrupted {
		fmt.Fprintf(cmd.ErrOrStderr(), "interrupted: finished episodes are stored; resume with:\n  %s\n", resume)
		return errInterrupted
	}
	if err := writeStats(cmd.Context(), cmd.OutOrStdout(), store, res.Run.ID, false, jsonOut, false); err != nil {
		return err
	}
	if res.Errored > 0 {
		return fmt.Errorf("run %s: %d of %d episodes errored (first: %s); fix the cause, then play them with:\n  %s",
			res.Run.ID, res.Errored, res.Planned, res.FirstError, resume)
	}
	return nil
}
