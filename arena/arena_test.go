package arena_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/spag-go/spag/arena"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/selfplay"
)

// duel is a two-role test game: each player says "1" or "0" once; a lone
// "1" wins, two "1"s or two "0"s tie. A player of skill s says "1" with
// probability s, so the arena's answer is known in expectation.
type duel struct{}

func (duel) Name() string    { return "duel" }
func (duel) String() string  { return "duel(v1)" }
func (duel) Roles() []string { return []string{"first", "second"} }
func (duel) NewState(s game.Setup) (game.State, error) {
	return &duelState{}, nil
}

type duelState struct{ said []game.Message }

func (s *duelState) CurrentPlayer() int {
	if len(s.said) >= 2 {
		return -1
	}
	return len(s.said)
}
func (s *duelState) Observation(p int) game.Observation {
	return game.Observation{Player: p, Role: duel{}.Roles()[max(p, 0)], Turn: len(s.said) + 1, MaxUtterances: 2, Transcript: s.said}
}
func (s *duelState) Apply(text string) error {
	s.said = append(s.said, game.Message{Role: duel{}.Roles()[len(s.said)], Content: text})
	return nil
}
func (s *duelState) IsTerminal() bool           { return len(s.said) >= 2 }
func (s *duelState) Transcript() []game.Message { return append([]game.Message(nil), s.said...) }
func (s *duelState) Clone() game.State          { return &duelState{said: s.Transcript()} }
func (s *duelState) Verdict() game.Verdict {
	if len(s.said) < 2 {
		return game.Verdict{}
	}
	a, b := s.said[0].Content == "1", s.said[1].Content == "1"
	switch {
	case a && !b:
		return game.Verdict{Outcome: "first_wins", DecidedAt: 2, Rule: "lone", Judge: "duel@1"}
	case b && !a:
		return game.Verdict{Outcome: "second_wins", DecidedAt: 2, Rule: "lone", Judge: "duel@1"}
	}
	return game.Verdict{Outcome: "tie", DecidedAt: 2, Rule: "same", Judge: "duel@1"}
}

func init() {
	game.Games.Register(&game.Description{Name: "duel", Subject: "round", Roles: duel{}.Roles(),
		Outcomes: []game.Outcome{
			{Name: "first_wins", Winner: "first", Loser: "second"},
			{Name: "second_wins", Winner: "second", Loser: "first"},
			{Name: "tie"},
		}})
}

// skilled says "1" with the probability its spec "skill=S" names.
func skilled(spec string) (game.Player, error) {
	s, err := strconv.ParseFloat(strings.TrimPrefix(spec, "skill="), 64)
	if err != nil {
		return nil, err
	}
	return game.PlayerFunc(func(_ context.Context, r game.Request) (game.Reply, error) {
		if float64(game.SplitMix64(r.Seed)%1000) < s*1000 {
			return game.Reply{Text: "1"}, nil
		}
		return game.Reply{Text: "0"}, nil
	}), nil
}

// planner plans pairings of a duel; resumed records the stored run each
// pairing was planned with (nil for a new one).
func planner(t *testing.T, games int, resumed map[string]*episodes.Run) arena.Planner {
	rounds := make([]string, 50)
	for i := range rounds {
		rounds[i] = fmt.Sprint("round", i)
	}
	return func(p arena.Pairing, run *episodes.Run) (*selfplay.Plan, error) {
		if resumed != nil {
			resumed[p.Label] = run
		}
		players := make([]game.Player, 2)
		for i, spec := range p.Players {
			var err error
			if players[i], err = skilled(spec); err != nil {
				return nil, err
			}
		}
		subjects, err := selfplay.Shuffle(rounds, games, 1, 7)
		if err != nil {
			return nil, err
		}
		cfg, _ := json.Marshal(p)
		return &selfplay.Plan{Game: duel{}, Players: players, Subjects: subjects, Seed: 7, Judge: "duel@1", MaxTurns: 1,
			Names: map[string]string{"first": p.Players[0], "second": p.Players[1]}, Config: cfg}, nil
	}
}

func TestArenaMeasuresBothRolesAgainstTheBaseline(t *testing.T) {
	ctx := context.Background()
	session := &selfplay.Session{Path: filepath.Join(t.TempDir(), "arena.db")}
	defer session.Close()
	const games = 2000
	res, err := arena.Play(ctx, session, arena.Config{A: "skill=0.9", B: "skill=0.3", Plan: planner(t, games, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 3 || len(res.Roles) != 2 {
		t.Fatalf("result %+v", res)
	}
	for _, r := range res.Roles {
		if r.Rate.Games != games || r.Baseline.Games != games {
			t.Errorf("%s: %d games, baseline %d; want %d each", r.Role, r.Rate.Games, r.Baseline.Games, games)
		}
		// A (0.9) against B (0.3) wins a lone "1" 0.9·0.7 = 63% of the time;
		// B against itself 0.3·0.7 = 21%. Over 2,000 seeded games both
		// rates are within 0.05 of that (more than 4 standard errors).
		if math.Abs(r.Rate.Rate-0.63) > 0.05 || math.Abs(r.Baseline.Rate-0.21) > 0.05 {
			t.Errorf("%s: rate %+v, baseline %+v; want about 0.63 and 0.21", r.Role, r.Rate, r.Baseline)
		}
		if r.Rate.Lo >= r.Rate.Rate || r.Rate.Hi <= r.Rate.Rate {
			t.Errorf("%s: interval %+v does not surround the rate", r.Role, r.Rate)
		}
		if !r.Difference.Excludes0() || r.Difference.Diff != r.Rate.Rate-r.Baseline.Rate {
			t.Errorf("%s: difference %+v should be above 0", r.Role, r.Difference)
		}
	}
	// Playing the arena again on its runs plays nothing and measures the
	// same.
	resumed := map[string]*episodes.Run{}
	again, err := arena.Play(ctx, session, arena.Config{A: "skill=0.9", B: "skill=0.3", Plan: planner(t, games, resumed), Runs: res.Runs})
	if err != nil {
		t.Fatal(err)
	}
	for label, id := range res.Runs {
		if run := resumed[label]; run == nil || run.ID != id {
			t.Errorf("pairing %s was planned with stored run %+v, want run %s", label, run, id)
		}
	}
	for i := range res.Roles {
		if again.Roles[i] != res.Roles[i] {
			t.Errorf("resumed arena measured %+v, first %+v", again.Roles[i], res.Roles[i])
		}
	}
	store, _ := session.Store(ctx)
	st, err := store.Stats(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Episodes != 3*games {
		t.Errorf("store holds %d episodes, want %d (nothing replayed)", st.Episodes, 3*games)
	}
}

func TestArenaRefusesAChangedPlayer(t *testing.T) {
	ctx := context.Background()
	session := &selfplay.Session{Path: filepath.Join(t.TempDir(), "arena.db")}
	defer session.Close()
	res, err := arena.Play(ctx, session, arena.Config{A: "skill=0.9", B: "skill=0.3", Plan: planner(t, 10, nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = arena.Play(ctx, session, arena.Config{A: "skill=0.8", B: "skill=0.3", Plan: planner(t, 10, nil), Runs: res.Runs})
	if err == nil || !strings.Contains(err.Error(), "skill=0.8") {
		t.Fatalf("resuming with another player: %v", err)
	}
}

// TestInterruptedArenaResumesWhole stops an arena while its first or last
// pairing plays (the first Ctrl-C drains it): every pairing's run is
// recorded all the same, so that the run IDs it returns resume the arena,
// which then plays every game once.
func TestInterruptedArenaResumesWhole(t *testing.T) {
	for _, stopIn := range []string{"A vs B", "B vs A", "B vs B"} {
		t.Run(stopIn, func(t *testing.T) {
			ctx := context.Background()
			session := &selfplay.Session{Path: filepath.Join(t.TempDir(), "arena.db")}
			defer session.Close()
			const games = 40
			drain := make(chan struct{})
			var once sync.Once
			plan := planner(t, games, nil)
			stopping := func(p arena.Pairing, run *episodes.Run) (*selfplay.Plan, error) {
				pl, err := plan(p, run)
				if err != nil || p.Label != stopIn {
					return pl, err
				}
				first := pl.Players[0]
				pl.Players[0] = game.PlayerFunc(func(ctx context.Context, r game.Request) (game.Reply, error) {
					once.Do(func() { close(drain) })
					return first.Play(ctx, r)
				})
				return pl, nil
			}
			res, err := arena.Play(ctx, session, arena.Config{A: "skill=0.9", B: "skill=0.3", Plan: stopping,
				Options: selfplay.Options{Concurrency: 1, Drain: drain}})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Interrupted {
				t.Fatalf("arena stopped in %s was not interrupted: %+v", stopIn, res)
			}
			ids := res.RunIDs()
			if len(ids) != 3 {
				t.Fatalf("interrupted arena returned runs %v, want all three to resume it", ids)
			}
			runs := map[string]string{}
			for i, p := range arena.Pairings("", "") {
				runs[p.Label] = ids[i]
			}
			again, err := arena.Play(ctx, session, arena.Config{A: "skill=0.9", B: "skill=0.3", Plan: planner(t, games, nil), Runs: runs})
			if err != nil {
				t.Fatal(err)
			}
			if again.Interrupted || len(again.Roles) != 2 {
				t.Fatalf("resumed arena %+v", again)
			}
			store, _ := session.Store(ctx)
			st, err := store.Stats(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if st.Episodes != 3*games {
				t.Errorf("store holds %d episodes, want %d", st.Episodes, 3*games)
			}
		})
	}
}
