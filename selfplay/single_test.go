package selfplay_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
)

// onePlan is a one-game Taboo plan whose defender names the word at once.
func onePlan(defender game.Player) (*selfplay.Plan, error) {
	g, err := taboo.New(taboo.Params{MaxTurns: 2, Judge: judge.NewStrict(), Style: taboo.StyleChat})
	if err != nil {
		return nil, err
	}
	attacker := game.PlayerFunc(func(context.Context, game.Request) (game.Reply, error) {
		return game.Reply{Text: "It is a striped animal."}, nil
	})
	return &selfplay.Plan{Game: g, Players: []game.Player{attacker, defender}, Subjects: selfplay.List{"zebra"}, Seed: 5,
		Names: map[string]string{"attacker": "talk", "defender": "human"}, Judge: "strict@1", MaxTurns: 2, Config: []byte(`{}`)}, nil
}

func TestPlayOne(t *testing.T) {
	guess := game.PlayerFunc(func(context.Context, game.Request) (game.Reply, error) {
		return game.Reply{Text: "I know the word! It is zebra!"}, nil
	})
	for _, tt := range []struct {
		name     string
		defender func(cancel context.CancelFunc) game.Player
		outcome  string // "" for an abandoned game
	}{
		{name: "a finished game is stored", defender: func(context.CancelFunc) game.Player { return guess }, outcome: string(judge.DefenderWins)},
		{name: "an abandoned game leaves no run", defender: func(cancel context.CancelFunc) game.Player {
			return game.PlayerFunc(func(ctx context.Context, _ game.Request) (game.Reply, error) {
				cancel() // the person quits while it is their turn
				<-ctx.Done()
				return game.Reply{}, ctx.Err()
			})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			path := filepath.Join(t.TempDir(), "one.db")
			session := &selfplay.Session{Path: path}
			defer session.Close()
			bus := &game.Bus{}
			sub := bus.Subscribe(64)
			defer sub.Close()
			plan, err := onePlan(tt.defender(cancel))
			if err != nil {
				t.Fatal(err)
			}
			run, err := selfplay.PlayOne(ctx, session, plan, bus)
			if tt.outcome == "" {
				if !errors.Is(err, context.Canceled) || run != nil {
					t.Fatalf("abandoned game: run %v, %v", run, err)
				}
				// Not even an empty database is left.
				if _, statErr := os.Stat(path); !errors.Is(statErr, os.ErrNotExist) {
					t.Fatalf("an abandoned game left %s: %v", path, statErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			store, err := session.Store(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			runs, err := store.Runs(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 1 || runs[0].ID != run.ID || len(run.Subjects) != 1 || run.Subjects[0] != "zebra" || run.Total != 1 {
				t.Fatalf("stored runs %+v, returned %+v", runs, run)
			}
			st, err := store.Stats(context.Background(), run.ID)
			if err != nil || st.Episodes != 1 || st.Outcomes[tt.outcome] != 1 {
				t.Fatalf("stats %+v, %v; want one %s", st, err, tt.outcome)
			}
			if len(sub.C) == 0 {
				t.Error("no events were published for a live view")
			}
		})
	}
}

// ExamplePlayOne plays and stores one game, as spag play does with a
// person in one of the roles.
func ExamplePlayOne() {
	dir, err := os.MkdirTemp("", "playone")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	session := &selfplay.Session{Path: filepath.Join(dir, "one.db")}
	defer session.Close()
	guess := game.PlayerFunc(func(context.Context, game.Request) (game.Reply, error) {
		return game.Reply{Text: "I know the word! It is zebra!"}, nil
	})
	plan, err := onePlan(guess)
	if err != nil {
		fmt.Println(err)
		return
	}
	run, err := selfplay.PlayOne(ctx, session, plan, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	store, err := session.Store(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := store.Stats(ctx, run.ID)
	fmt.Println(run.Subjects, st.Episodes, st.Outcomes["defender_wins"], err)
	// Output:
	// [zebra] 1 1 <nil>
}
