package rejudge

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/taboo"
)

// TestStored: a Taboo episode the other judge decides otherwise is
// listed with its evidence; an episode of an unknown game is counted, not
// judged; without record nothing is stored.
func TestStored(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	turns := []game.Turn{{N: 1, Role: judge.Attacker, Text: "Every Sunday"}}
	var ids []string
	for _, g := range []string{taboo.Name, "unknown-game"} {
		r := &episodes.Run{Game: g, Judge: "strict@1", Total: 1, MaxTurns: 5, Players: map[string]string{"attacker": "x"}}
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		ep := game.Episode{Setup: game.Setup{Subject: "sun"}, StartedAt: start, FinishedAt: start, Turns: turns,
			Verdict: game.Verdict{Outcome: "tie", DecidedAt: 10, Judge: "strict@1"}}
		if err := s.Write(ctx, r.ID, ep); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var lines []Line
	res, err := Stored(ctx, s, judge.NewSpag(), "", false, func(l Line) error { lines = append(lines, l); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.Judged != 1 || res.Differ != 1 || res.Skipped["unknown-game"] != 1 || len(lines) != 1 ||
		lines[0].RunID != ids[0] || lines[0].Rejudged.Outcome != string(judge.AttackerBrokeRules) || lines[0].Rejudged.Evidence.Text != "Sun" {
		t.Errorf("result %+v, lines %+v", res, lines)
	}
	vs, err := s.Verdicts(ctx, 1)
	if err != nil || len(vs) != 0 {
		t.Errorf("without record: verdicts %+v (%v), want none", vs, err)
	}
}
