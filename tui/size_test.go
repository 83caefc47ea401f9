package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/spag-go/spag/game"
)

// sizeScenes are the screens in the states they can be shown in, each
// built afresh (the models are values, but some hold channels).
func sizeScenes(t *testing.T) map[string]func() Model {
	t.Helper()
	watch := func() Model {
		m, ch := liveModel(t)
		return update(m, eventsMsg{from: ch, events: liveEvents()})
	}
	replay := func() Model {
		m := replayModelFor(t)
		return update(m, listLoadedMsg{source: m.replay.cfg.Source, recs: fakeRecords()})
	}
	loop := func(run bool) func() Model {
		return func() Model {
			src := newFakeStore()
			loop := &fakeLoop{}
			m, err := New(Config{Start: LoopView, Loop: LoopConfig{Read: loop.read, Runs: src}})
			if err != nil {
				t.Fatal(err)
			}
			s := evalStatus(src.run.ID)
			if !run {
				s.Run, s.Stage = "", "train"
			}
			return update(m, loopReadMsg{status: s})
		}
	}
	play := func() Model {
		m := playModelFor(t, func(ch chan<- game.Event, _ func()) {})
		p := waitForPrompt(m.play.cfg.Human)()
		return update(m, p)
	}
	recs := fakeRecords()
	return map[string]func() Model{
		"watch":         watch,
		"watch focused": func() Model { return update(watch(), tea.KeyMsg{Type: tea.KeyEnter}) },
		"watch help":    func() Model { return update(watch(), tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("?")}) },
		"watch empty": func() Model {
			m, err := New(Config{Start: WatchView, Watch: WatchConfig{Events: make(chan game.Event)}})
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
		"replay list": replay,
		"replay episode": func() Model {
			m := replay()
			return update(m, episodeLoadedMsg{source: m.replay.cfg.Source, rec: &recs[0]})
		},
		"replay filter":  func() Model { return update(replay(), tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/")}) },
		"loop with run":  loop(true),
		"loop between":   loop(false),
		"loop run focus": func() Model { return update(loop(true)(), tea.KeyMsg{Type: tea.KeyEnter}) },
		"play":           play,
	}
}

// TestEverySizeIsSafe: every screen renders at every terminal size from
// 0x0 up (stty rows 0 made the views panic), inside the terminal.
func TestEverySizeIsSafe(t *testing.T) {
	for name, scene := range sizeScenes(t) {
		t.Run(name, func(t *testing.T) {
			base := scene()
			for _, h := range sizesUpTo(10, 24) {
				for _, w := range sizesUpTo(22, 80) {
					frame, err := viewAt(base, w, h)
					if err != nil {
						t.Errorf("%dx%d: %v", w, h, err)
						continue
					}
					lines := strings.Split(frame, "\n")
					if h > 0 && len(lines) != h {
						t.Errorf("%dx%d: %d lines", w, h, len(lines))
					}
					for _, l := range lines {
						if lw := lipgloss.Width(l); lw > w {
							t.Errorf("%dx%d: line %q is %d wide", w, h, l, lw)
							break
						}
					}
				}
			}
		})
	}
}

// sizesUpTo is 0..n and then more.
func sizesUpTo(n int, more ...int) []int {
	s := make([]int, 0, n+1+len(more))
	for i := 0; i <= n; i++ {
		s = append(s, i)
	}
	return append(s, more...)
}

// viewAt resizes m and renders it, turning a panic into an error.
func viewAt(m Model, w, h int) (frame string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	m = update(m, tea.WindowSizeMsg{Width: w, Height: h})
	// A key after the resize: scrolling is computed from the size too.
	m = update(m, tea.KeyMsg{Type: tea.KeyDown}, tea.KeyMsg{Type: tea.KeyPgDown})
	return m.View(), nil
}
