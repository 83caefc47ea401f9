package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
)

// TestWatchSelectionFollowsTheGame selects a game in the list, then lets
// games start above it: the selection stays on the game chosen, not on the
// row position, and enter opens that game.
func TestWatchSelectionFollowsTheGame(t *testing.T) {
	ch := make(chan game.Event)
	m, err := New(Config{Start: WatchView, Watch: WatchConfig{Events: ch}})
	if err != nil {
		t.Fatal(err)
	}
	m = update(m, tea.WindowSizeMsg{Width: 100, Height: 30},
		eventsMsg{from: ch, events: []game.Event{
			game.EpisodeStarted{Setup: game.Setup{Index: 5, Subject: "five"}},
			game.EpisodeStarted{Setup: game.Setup{Index: 6, Subject: "six"}}}},
		tea.KeyMsg{Type: tea.KeyDown})
	if !strings.Contains(m.View(), "> #6") {
		t.Fatalf("after ↓ game #6 is not highlighted:\n%s", m.View())
	}
	// Games 1 and 2 start and sort above; game 5 finishes and moves below.
	m = update(m, eventsMsg{from: ch, events: []game.Event{
		game.EpisodeStarted{Setup: game.Setup{Index: 1, Subject: "one"}},
		game.EpisodeStarted{Setup: game.Setup{Index: 2, Subject: "two"}},
		game.EpisodeFinished{Episode: &game.Episode{Setup: game.Setup{Index: 5, Subject: "five"},
			Verdict: game.Verdict{Outcome: "tie"}}}}})
	if !strings.Contains(m.View(), "> #6") {
		t.Errorf("the highlighted row is not game #6:\n%s", m.View())
	}
	m = update(m, tea.KeyMsg{Type: tea.KeyEnter})
	if m.watch.focus != 6 {
		t.Errorf("enter opened game #%d, want #6, the one selected", m.watch.focus)
	}
}

// TestWatchGamesInFlightFromTheStore shows games another process plays, as
// the store has them: each at the turn it is playing (not "starting") and
// counted busy for the role playing it.
func TestWatchGamesInFlightFromTheStore(t *testing.T) {
	src := newFakeStore()
	m, err := New(Config{Start: WatchView, Watch: WatchConfig{Source: src}})
	if err != nil {
		t.Fatal(err)
	}
	seven := []string{"a", "b", "c", "d", "e", "f", "g"}
	var live []episodes.LiveEpisode
	for i := range 6 {
		// Games 10..15: even ones after seven utterances (the defender's
		// turn 8 next), odd ones after six (the attacker's turn 7).
		n := 7 - i%2
		live = append(live, episodes.LiveEpisode{RunID: src.run.ID, Index: 10 + i, Subject: fmt.Sprint("w", i),
			UpdatedAt: t0, Turns: fakeTurns(seven[:n]...)})
	}
	m = update(m, tea.WindowSizeMsg{Width: 120, Height: 40},
		pollMsg{source: src, run: &src.run, stats: episodes.Stats{Episodes: 4}, live: live})
	view := m.View()
	if strings.Contains(view, "starting") || !strings.Contains(view, "turn 8") || !strings.Contains(view, "turn 7") {
		t.Errorf("games in flight after 6 and 7 utterances should show turns 7 and 8:\n%s", view)
	}
	for _, want := range []string{"attacker  builtin        busy 3", "defender  ollama:qwen3   busy 3"} {
		if !strings.Contains(view, want) {
			t.Errorf("the view lacks %q:\n%s", want, view)
		}
	}
}

// TestReplayListShowsTheRuleWhenWide: a terminal of 120 columns lists the
// rule that decided each game; one of 80 has no room for it.
func TestReplayListShowsTheRuleWhenWide(t *testing.T) {
	src := newFakeStore()
	for _, tt := range []struct {
		width int
		rule  bool
	}{{120, true}, {80, false}} {
		m, err := New(Config{Start: ReplayView, Replay: ReplayConfig{Source: src}})
		if err != nil {
			t.Fatal(err)
		}
		m = update(m, tea.WindowSizeMsg{Width: tt.width, Height: 24}, listLoadedMsg{source: src, recs: fakeRecords()})
		view := m.View()
		got := strings.Contains(view, "RULE") && strings.Contains(view, "defender.correct_guess")
		if got != tt.rule {
			t.Errorf("%d columns: rule column shown %v, want %v:\n%s", tt.width, got, tt.rule, view)
		}
	}
}
