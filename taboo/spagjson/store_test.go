package spagjson

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
)

// openTest opens a store in a fresh file, closed when the test ends.
func openTest(t testing.TB) (*episodes.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spag.db")
	s, err := episodes.Open(context.Background(), path, episodes.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// createRun stores a Taboo run with a max_turns for the export to write.
func createRun(t testing.TB, s *episodes.Store) *episodes.Run {
	t.Helper()
	r := &episodes.Run{Game: "taboo(max_turns=5)", Judge: "strict@1", MaxTurns: 5, Subjects: []string{"apple", "river"}, Total: 2}
	if err := s.CreateRun(context.Background(), r); err != nil {
		t.Fatalf("CreateRun: %v", err)
	}
	return r
}

// sampleEpisode builds a played, judged episode of turns utterances whose
// text holds characters an HTML-escaping encoder would change.
func sampleEpisode(idx, turns int) game.Episode {
	ep := game.Episode{
		Setup:   game.Setup{Index: idx, Subject: fmt.Sprintf("word%d", idx)},
		Verdict: game.Verdict{Outcome: "defender_wins", DecidedAt: turns, Rule: "defender.correct_guess", Judge: "strict@1"},
	}
	for n := 1; n <= turns; n++ {
		ep.Turns = append(ep.Turns, game.Turn{N: n, Player: (n - 1) % 2, Role: []string{"attacker", "defender"}[(n-1)%2],
			Text: fmt.Sprintf("utterance %d of episode %d <&> ünïcode", n, idx)})
	}
	return ep
}
