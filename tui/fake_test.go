package tui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	// The fake store's run plays Taboo: the views look its description up.
	_ "github.com/spag-go/spag/taboo"
)

// hostile is model output that tries to take over the terminal: clear the
// screen, move the cursor, set the title, emit a hyperlink, ring the bell,
// use a C1 CSI and reorder text with a bidi override.
const hostile = "Hint:\x1b[2J\x1b[H\x1b]0;pwned\x07 see \x1b]8;;http://evil.example\x1b\\here\x1b]8;;\x1b\\ \u009b31m red \u202eevil\x08\x7f end"

// t0 is the fixed start of every fake episode.
var t0 = time.Date(2026, 11, 26, 15, 12, 0, 0, time.UTC)

func fakeTurns(texts ...string) []game.Turn {
	turns := make([]game.Turn, len(texts))
	for i, s := range texts {
		role := "attacker"
		if i%2 == 1 {
			role = "defender"
		}
		turns[i] = game.Turn{N: i + 1, Player: i % 2, Role: role, Text: s,
			Usage: game.Usage{OutputTokens: 10, Latency: 20 * time.Millisecond}}
	}
	return turns
}

// fakeRecords are the episodes the fake store holds.
func fakeRecords() []episodes.Record {
	run := "r20261126-151200-3fa9"
	mk := func(id int64, idx int, word string, v game.Verdict, turns []game.Turn) episodes.Record {
		return episodes.Record{ID: id, RunID: run, Episode: game.Episode{
			Setup: game.Setup{Index: idx, Seed: uint64(idx) + 1, Subject: word}, Turns: turns, Verdict: v,
			StartedAt: t0.Add(time.Duration(idx) * time.Second), FinishedAt: t0.Add(time.Duration(idx)*time.Second + 500*time.Millisecond)}}
	}
	return []episodes.Record{
		mk(1, 0, "cat", game.Verdict{Outcome: "defender_wins", DecidedAt: 4, Rule: "defender.correct_guess", Judge: "strict@1",
			Evidence: game.Evidence{Turn: 4, Start: 0, End: 26, Text: "I know the word! It is cat"}},
			fakeTurns("Broadly speaking, it is a feline.", "Can you give me another hint?",
				"It purrs and chases mice.", "I know the word! It is cat!")),
		mk(2, 1, "apple", game.Verdict{Outcome: "attacker_wins", DecidedAt: 2, Rule: "defender.said_target", Judge: "strict@1",
			Evidence: game.Evidence{Turn: 2, Start: 9, End: 14, Text: "apple"}},
			fakeTurns("It keeps the doctor away.", "Is it an apple pie?")),
		mk(3, 2, "river", game.Verdict{Outcome: "tie", DecidedAt: 2, Rule: "max_turns", Judge: "strict@1"},
			fakeTurns(hostile, "What?\x1b[31m")),
		{ID: 4, RunID: run, Episode: game.Episode{Setup: game.Setup{Index: 3, Subject: "moon"},
			Turns: fakeTurns("It shines at night."), Err: "episode 3 turn 2 (defender): connection refused",
			StartedAt: t0.Add(3 * time.Second), FinishedAt: t0.Add(4 * time.Second)}},
	}
}

// fakeStore is an in-memory EpisodeSource and RunSource.
type fakeStore struct {
	mu       sync.Mutex
	live     []episodes.LiveEpisode
	recs     []episodes.Record
	verdicts map[int64][]episodes.Verdict
	run      episodes.Run
}

func newFakeStore() *fakeStore {
	return &fakeStore{recs: fakeRecords(), verdicts: map[int64][]episodes.Verdict{
		1: {{EpisodeID: 1, Verdict: game.Verdict{Outcome: "attacker_broke_rules", DecidedAt: 3, Rule: "attacker.said_target",
			Judge: "spag@1", Evidence: game.Evidence{Turn: 3, Start: 22, End: 26, Text: "mice"}}}},
	}, run: episodes.Run{ID: "r20261126-151200-3fa9", CreatedAt: t0, Total: 10, Game: "taboo(max_turns=5)",
		Players: map[string]string{"attacker": "builtin", "defender": "ollama:qwen3"}}}
}

func (s *fakeStore) Episodes(ctx context.Context, f episodes.Filter) ([]episodes.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []episodes.Record
	for _, r := range s.recs {
		if f.RunID != "" && r.RunID != f.RunID || f.Outcome != "" && r.Verdict.Outcome != f.Outcome ||
			f.Subject != "" && r.Subject != f.Subject || f.DecidedAt != 0 && r.Verdict.DecidedAt != f.DecidedAt ||
			r.ID <= f.AfterID {
			continue
		}
		r.Turns = nil
		out = append(out, r)
	}
	return out, nil
}

func (s *fakeStore) Episode(ctx context.Context, id int64) (*episodes.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.recs {
		if r.ID == id {
			return &r, nil
		}
	}
	return nil, fmt.Errorf("episode %d: %w", id, episodes.ErrNotFound)
}

func (s *fakeStore) Verdicts(ctx context.Context, id int64) ([]episodes.Verdict, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verdicts[id], nil
}

func (s *fakeStore) Run(ctx context.Context, id string) (*episodes.Run, error) {
	if id != s.run.ID {
		return nil, fmt.Errorf("run %s: %w", id, episodes.ErrNotFound)
	}
	r := s.run
	return &r, nil
}

func (s *fakeStore) RunInfo(ctx context.Context, id string) (*episodes.Run, error) {
	r, err := s.Run(ctx, id)
	if err == nil {
		r.Subjects = nil
	}
	return r, err
}

func (s *fakeStore) Live(ctx context.Context, runID string) ([]episodes.LiveEpisode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]episodes.LiveEpisode(nil), s.live...), nil
}

func (s *fakeStore) setLive(live ...episodes.LiveEpisode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = live
}

func (s *fakeStore) LatestRun(ctx context.Context) (*episodes.Run, error) {
	return s.Run(ctx, s.run.ID)
}

func (s *fakeStore) Stats(ctx context.Context, runID string) (episodes.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := episodes.Stats{Outcomes: map[string]int{}}
	for _, r := range s.recs {
		st.Episodes++
		if r.Errored() {
			st.Errored++
		} else {
			st.Outcomes[r.Verdict.Outcome]++
		}
		for _, t := range r.Turns {
			st.Turns++
			st.OutputTokens += int64(t.Usage.OutputTokens)
		}
		if st.FirstStart.IsZero() || r.StartedAt.Before(st.FirstStart) {
			st.FirstStart = r.StartedAt
		}
		if r.FinishedAt.After(st.LastFinish) {
			st.LastFinish = r.FinishedAt
		}
	}
	return st, nil
}

// add stores one more episode, as a run in another process would.
func (s *fakeStore) add(r episodes.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, r)
}
