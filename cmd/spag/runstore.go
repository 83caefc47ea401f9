package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/progress"
	"github.com/spag-go/spag/players"
)

// runStore is the database of a play command (selfplay, apo), opened when
// first needed so that bad flags and unreachable players never create one.
type runStore struct {
	path  string
	meter atomic.Pointer[progress.Meter]
	store *episodes.Store
}

func (s *runStore) open(ctx context.Context) error {
	if s.store != nil {
		return nil
	}
	var err error
	s.store, err = openMeteredStore(ctx, s.path, &s.meter)
	return err
}

func (s *runStore) close() {
	if s.store != nil {
		s.store.Close()
	}
}

// resumed loads the stored run id and its configuration into cfg. apoRun
// says which game the command plays; a run of the other game is refused
// with the command that resumes it.
func (s *runStore) resumed(ctx context.Context, id string, apoRun bool, cfg any) (*episodes.Run, error) {
	if _, err := os.Stat(s.path); err != nil {
		return nil, usagef("--resume %s: cannot open --db %s: %v", id, s.path, err)
	}
	if err := s.open(ctx); err != nil {
		return nil, err
	}
	run, err := s.store.Run(ctx, id)
	if errors.Is(err, episodes.ErrNotFound) {
		return nil, usagef("--resume %s: no such run in %s (spag stats --db %s lists runs)", id, s.path, s.path)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case isAPORun(run) && !apoRun:
		return nil, usagef("--resume %s: run %s is an APO run; resume it with: spag apo --db %s --resume %s", id, run.ID, s.path, run.ID)
	case !isAPORun(run) && apoRun:
		return nil, usagef("--resume %s: run %s is a Taboo run; resume it with: spag selfplay --db %s --resume %s", id, run.ID, s.path, run.ID)
	}
	if err := json.Unmarshal(run.Config, cfg); err != nil {
		return nil, fmt.Errorf("run %s: stored configuration unreadable: %w", run.ID, err)
	}
	return run, nil
}

// begin records a new run, or returns the indices a resumed run has done.
func (s *runStore) begin(ctx context.Context, run *episodes.Run, resuming bool) (done map[int]bool, err error) {
	if err := s.open(ctx); err != nil {
		return nil, err
	}
	if resuming {
		return s.store.DoneIndices(ctx, run.ID)
	}
	return map[int]bool{}, s.store.CreateRun(ctx, run)
}

// checkResumedPlayers compares the players a resumed run recorded with the
// ones this build would play. The stored names pin down the shipped
// model's digest, which the specs alone do not: never mix two models in one
// run.
func checkResumedPlayers(run *episodes.Run, specs map[string]string) error {
	for role, spec := range specs {
		if now := playerName(spec); now != run.Players[role] {
			return fmt.Errorf("run %s was played with %s %s, but this spag would play %s; resume it with the spag build that started it, or start a new run", run.ID, role, run.Players[role], now)
		}
	}
	return nil
}

// preflight checks every backend (models present, servers reachable)
// before anything is written.
func preflight(ctx context.Context, roles []string, ps []game.Player) error {
	return players.Preflight(ctx, roles, ps)
}
