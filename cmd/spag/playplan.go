package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
)

func runSelfplay(cmd *cobra.Command, sig *interrupts, f selfplayFlags) error {
	ctx := cmd.Context()
	if err := f.check(cmd); err != nil {
		return err
	}
	var cfg runConfig
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
		if words, err = loadWords(cfg.Words); err != nil {
			return fmt.Errorf("run %s: its --words: %w", run.ID, err)
		}
	} else {
		if words, err = loadWords(f.words); err != nil {
			return usageError{fmt.Errorf("--words: %w", err)}
		}
		games := f.games
		if games == 0 {
			games = 100
			if !strings.HasPrefix(f.words, taboo.WordsBuiltin) {
				games = len(words)
			}
		}
		code, gov := codeVersion()
		style := f.style
		if style == "" {
			style = defaultStyle(f.attacker, f.defender)
		}
		source, err := wordSource(f.words)
		if err != nil {
			return err
		}
		cfg = runConfig{MaxTurns: f.maxTurns, Judge: f.judge, Style: style, Templates: f.templates,
			Attacker: f.attacker, Defender: f.defender, Seed: f.seed, Words: source, Games: games,
			Shard: f.shard, Options: f.options, CodeVersion: code, GoVersion: gov}
	}
	plan, err := tabooPlan(&cfg, words, run)
	if err != nil {
		return err
	}
	return playPlan(cmd, sig, session, run, plan, "selfplay", f.runFlags,
		fmt.Sprintf("%s vs %s, judge %s", cfg.Attacker, cfg.Defender, cfg.Judge))
}

// tabooPlan makes the plan of a Taboo run configuration: the game, its two
// players and the subjects, checked against the stored run when resuming.
// It fills cfg.Game and, for a new run, cfg.SubjectsDigest.
func tabooPlan(cfg *runConfig, words []string, run *episodes.Run) (*selfplay.Plan, error) {
	g, players, err := buildGame(*cfg)
	if err != nil {
		return nil, err
	}
	shard, err := selfplay.ParseShard(cfg.Shard)
	if err != nil {
		return nil, fmt.Errorf("stored %w", err)
	}
	subjects, err := runSubjects(run, &cfg.SubjectsDigest, words, cfg.Games, 1, cfg.Seed)
	if err != nil {
		return nil, err
	}
	if run == nil {
		cfg.Game = g.String()
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return &selfplay.Plan{Game: g, Players: players,
		Names:    map[string]string{judge.Attacker: playerName(cfg.Attacker), judge.Defender: playerName(cfg.Defender)},
		Subjects: subjects, Seed: cfg.Seed, Shard: shard, Judge: taboo.JudgeID(g.Judge()), MaxTurns: cfg.MaxTurns,
		Config: raw, CodeVersion: cfg.CodeVersion}, nil
}

// runSubjects returns a run's subjects: the shuffled list (its digest
// written to *digest for a new run, checked against it when resuming), or
// the subjects a run of an earlier build stored one by one.
func runSubjects(run *episodes.Run, digest *string, items []string, games, repeats int, seed uint64) (selfplay.Subjects, error) {
	if run != nil && len(run.Subjects) > 0 {
		return selfplay.List(run.Subjects), nil
	}
	s, err := selfplay.Shuffle(items, games, repeats, seed)
	if err != nil {
		return nil, err
	}
	switch {
	case run == nil:
		*digest = s.Digest()
	case *digest != s.Digest():
		return nil, fmt.Errorf("run %s: its words or queries changed since it started (subjects %s, now %s); restore them or start a new run", run.ID, *digest, s.Digest())
	}
	return s, nil
}

// resumeRun loads a stored run of gameName and its configuration into cfg.
func resumeRun(ctx context.Context, session *selfplay.Session, id, gameName string, cfg any) (*episodes.Run, error) {
	run, err := session.Resume(ctx, id, gameName)
	var mismatch *selfplay.GameMismatchError
	switch {
	case errors.Is(err, selfplay.ErrNoDatabase):
		return nil, usagef("--resume %s: cannot open --db %s: %v", id, session.Path, err)
	case errors.Is(err, episodes.ErrNotFound):
		return nil, usagef("--resume %s: no such run in %s (spag stats --db %s lists runs)", id, session.Path, session.Path)
	case errors.As(err, &mismatch):
		return nil, usagef("--resume %s: %v; resume it with: spag %s --db %s --resume %s", id, err, playCommand(mismatch.Game), session.Path, mismatch.RunID)
	case err != nil:
		return nil, err
	}
	if err := json.Unmarshal(run.Config, cfg); err != nil {
		return nil, fmt.Errorf("run %s: stored configuration unreadable: %w", run.ID, err)
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
	if err := writeStats(cmd.Context(), cmd.OutOrStdout(), store, res.Run.ID, false, jsonOut); err != nil {
		return err
	}
	if res.Errored > 0 {
		return fmt.Errorf("run %s: %d of %d episodes errored (first: %s); fix the cause, then play them with:\n  %s",
			res.Run.ID, res.Errored, res.Planned, res.FirstError, resume)
	}
	return nil
}
