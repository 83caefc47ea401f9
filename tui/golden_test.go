package tui

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players/human"
	"github.com/spag-go/spag/taboo"
)

// The golden tests drive each screen through a real Bubble Tea program at
// 80×24 (teatest), then compare the final frame with
// testdata/TestGolden/<view>.golden. Run `go test ./tui -run TestGolden
// -update` to rewrite the files after an intended change, and review the
// diff.

const goldenW, goldenH = 80, 24

// drive runs m in a test program, lets steps interact with it, quits and
// returns the final model.
func drive(t *testing.T, m Model, steps func(tm *teatest.TestModel)) Model {
	t.Helper()
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(goldenW, goldenH))
	t.Cleanup(func() { _ = tm.Quit() })
	if steps != nil {
		steps(tm)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
}

// waitFor waits until the program has drawn text.
func waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte(text))
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

// waitForAll waits until the program has drawn every text, in one frame
// or over several: each wait reads the output it waits on, so texts drawn
// together must be waited for together.
func waitForAll(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, text := range texts {
			if !bytes.Contains(b, []byte(text)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

func keys(tm *teatest.TestModel, ks ...tea.KeyType) {
	for _, k := range ks {
		tm.Send(tea.KeyMsg{Type: k})
	}
}

// checkFrame asserts the frame's shape and that no control character
// other than newline (and styling, which is off in tests) is in it.
func checkFrame(t *testing.T, frame string) {
	t.Helper()
	lines := strings.Split(frame, "\n")
	if len(lines) != goldenH {
		t.Errorf("frame has %d lines, want %d", len(lines), goldenH)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > goldenW {
			t.Errorf("line %d is %d cells wide: %q", i+1, w, l)
		}
	}
	if i := strings.IndexFunc(frame, func(r rune) bool {
		return r != '\n' && (r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0)
	}); i >= 0 {
		t.Errorf("frame holds control character %q at byte %d", frame[i], i)
	}
}

func goldenFrame(t *testing.T, m Model) {
	t.Helper()
	frame := m.View()
	checkFrame(t, frame)
	golden.RequireEqual(t, []byte(frame))
}

// liveEvents is a run in progress: two games finished, two in flight (one
// streaming), then a progress report.
func liveEvents() []game.Event {
	recs := fakeRecords()
	var evs []game.Event
	for i := range 2 {
		ep := recs[i].Episode
		evs = append(evs, game.EpisodeStarted{Setup: ep.Setup, At: t0})
		for _, turn := range ep.Turns {
			evs = append(evs, game.TurnStarted{Episode: ep.Index, Turn: turn.N, Player: turn.Player, Role: turn.Role},
				game.TurnFinished{Episode: ep.Index, Turn: turn})
		}
		evs = append(evs, game.EpisodeFinished{Episode: &ep})
	}
	evs = append(evs,
		game.EpisodeStarted{Setup: game.Setup{Index: 2, Subject: "river"}},
		game.TurnStarted{Episode: 2, Turn: 1, Role: "attacker"},
		game.TokenDelta{Episode: 2, Turn: 1, Text: hostile[:40]},
		game.TokenDelta{Episode: 2, Turn: 1, Text: hostile[40:]},
		game.EpisodeStarted{Setup: game.Setup{Index: 3, Subject: "moon"}},
		game.TurnStarted{Episode: 3, Turn: 1, Role: "attacker"},
		game.TurnFinished{Episode: 3, Turn: game.Turn{N: 1, Role: "attacker", Text: "It shines at night.",
			Usage: game.Usage{OutputTokens: 5, Latency: 30 * time.Millisecond}}},
		game.TurnStarted{Episode: 3, Turn: 2, Role: "defender"},
		game.Progress{Total: 10, Done: 2, InFlight: 2, Outcomes: map[string]int{"defender_wins": 1, "attacker_wins": 1},
			Elapsed: 4 * time.Second},
	)
	return evs
}

func liveModel(t *testing.T) (Model, chan game.Event) {
	t.Helper()
	evs := liveEvents()
	ch := make(chan game.Event, len(evs))
	for _, e := range evs {
		ch <- e
	}
	// Closing the stream at the end ends the command still waiting on it.
	t.Cleanup(func() { close(ch) })
	m, err := New(Config{Start: WatchView, Watch: WatchConfig{Events: ch, Title: "r20261126-151200-3fa9", Total: 10, Game: taboo.Description,
		Players: map[string]string{"attacker": "builtin", "defender": "ollama:qwen3"}}})
	if err != nil {
		t.Fatal(err)
	}
	return m, ch
}

func TestGolden(t *testing.T) {
	t.Run("watch", func(t *testing.T) {
		m, _ := liveModel(t)
		fm := drive(t, m, func(tm *teatest.TestModel) { waitFor(t, tm, "2/10") })
		goldenFrame(t, fm)
	})
	t.Run("watch_focus", func(t *testing.T) {
		m, _ := liveModel(t)
		fm := drive(t, m, func(tm *teatest.TestModel) {
			waitFor(t, tm, "2/10")
			keys(tm, tea.KeyDown, tea.KeyDown, tea.KeyDown, tea.KeyEnter) // the cat game: finished, decided
			waitFor(t, tm, "episode #0")
		})
		goldenFrame(t, fm)
	})
	t.Run("watch_stream", func(t *testing.T) {
		m, _ := liveModel(t)
		fm := drive(t, m, func(tm *teatest.TestModel) {
			waitFor(t, tm, "2/10")
			keys(tm, tea.KeyEnter) // episode #2, streaming the hostile text
			waitFor(t, tm, "episode #2")
		})
		goldenFrame(t, fm)
	})
	t.Run("watch_db", func(t *testing.T) {
		src := newFakeStore()
		m, err := New(Config{Start: WatchView, Watch: WatchConfig{Source: src, PollEvery: 50 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		fm := drive(t, m, func(tm *teatest.TestModel) { waitFor(t, tm, "#3") })
		goldenFrame(t, fm)
	})
	t.Run("loop", func(t *testing.T) {
		src := newFakeStore()
		loop := &fakeLoop{status: evalStatus(src.run.ID)}
		m, err := New(Config{Start: LoopView, Loop: LoopConfig{Read: loop.read, Runs: src, PollEvery: 50 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		fm := drive(t, m, func(tm *teatest.TestModel) { waitFor(t, tm, "#3") })
		goldenFrame(t, fm)
	})
	t.Run("replay_list", func(t *testing.T) {
		fm := drive(t, replayModelFor(t), func(tm *teatest.TestModel) { waitFor(t, tm, "4 episodes") })
		goldenFrame(t, fm)
	})
	t.Run("replay_search", func(t *testing.T) {
		fm := drive(t, replayModelFor(t), func(tm *teatest.TestModel) {
			waitFor(t, tm, "4 episodes")
			tm.Type("/wins")
			waitFor(t, tm, "2 of 4")
		})
		goldenFrame(t, fm)
	})
	t.Run("replay_filter", func(t *testing.T) {
		fm := drive(t, replayModelFor(t), func(tm *teatest.TestModel) {
			waitFor(t, tm, "4 episodes")
			tm.Type("F")
			keys(tm, tea.KeyTab)
			tm.Type("tie")
			waitFor(t, tm, "tie")
		})
		goldenFrame(t, fm)
	})
	t.Run("replay_episode", func(t *testing.T) {
		fm := drive(t, replayModelFor(t), func(tm *teatest.TestModel) {
			waitFor(t, tm, "4 episodes")
			keys(tm, tea.KeyEnter)
			waitFor(t, tm, "episode 1 ")
		})
		goldenFrame(t, fm)
	})
	t.Run("replay_hostile", func(t *testing.T) {
		fm := drive(t, replayModelFor(t), func(tm *teatest.TestModel) {
			waitFor(t, tm, "4 episodes")
			keys(tm, tea.KeyDown, tea.KeyDown, tea.KeyEnter)
			waitFor(t, tm, "episode 3 ")
		})
		goldenFrame(t, fm)
	})
	t.Run("help", func(t *testing.T) {
		fm := drive(t, replayModelFor(t), func(tm *teatest.TestModel) {
			waitFor(t, tm, "4 episodes")
			tm.Type("?")
			waitFor(t, tm, "keys")
		})
		goldenFrame(t, fm)
	})
	t.Run("play", func(t *testing.T) {
		m := playModelFor(t, func(ch chan<- game.Event, closeEvents func()) {
			ch <- game.TurnStarted{Episode: 0, Turn: 1, Role: "attacker"}
			ch <- game.TurnFinished{Episode: 0, Turn: game.Turn{N: 1, Role: "attacker", Text: "It keeps the doctor away."}}
		})
		fm := drive(t, m, func(tm *teatest.TestModel) {
			waitFor(t, tm, "I know the word")
			tm.Type("Is it a fruit?")
			waitFor(t, tm, "fruit?")
		})
		goldenFrame(t, fm)
	})
	t.Run("play_over", func(t *testing.T) {
		ep := fakeRecords()[1].Episode
		m := playModelFor(t, func(ch chan<- game.Event, closeEvents func()) {
			for _, turn := range ep.Turns {
				ch <- game.TurnFinished{Turn: turn}
			}
			ch <- game.EpisodeFinished{Episode: &ep}
			closeEvents()
		})
		fm := drive(t, m, func(tm *teatest.TestModel) { waitFor(t, tm, "You lose") })
		goldenFrame(t, fm)
	})
}

func replayModelFor(t *testing.T) Model {
	t.Helper()
	m, err := New(Config{Start: ReplayView, Replay: ReplayConfig{Source: newFakeStore(), ExportDir: t.TempDir(),
		Outcomes: []string{"attacker_wins", "defender_wins", "tie", "attacker_broke_rules"}}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// playModelFor returns the play screen for a person playing the defender
// against a scripted game: script feeds the events (and may end them); the
// model's first prompt comes after it. Cleanup ends the player and the
// event stream, so that no command is left waiting.
func playModelFor(t *testing.T, script func(ch chan<- game.Event, closeEvents func())) Model {
	t.Helper()
	h := human.New(nil)
	ch := make(chan game.Event, 64)
	var once sync.Once
	closeEvents := func() { once.Do(func() { close(ch) }) }
	done := make(chan struct{})
	t.Cleanup(func() {
		h.Close()
		<-done
		closeEvents()
	})
	m, err := New(Config{Start: PlayView, Play: PlayConfig{Human: h, Events: ch, Game: taboo.Description, Role: "defender", Opponent: "builtin"}})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(done)
		script(ch, closeEvents)
		_, _ = h.Play(context.Background(), game.Request{Observation: game.Observation{Role: "defender", Turn: 2, MaxUtterances: 10,
			Transcript: []game.Message{{Role: "attacker", Content: "It keeps the doctor away."}}}})
	}()
	return m
}
