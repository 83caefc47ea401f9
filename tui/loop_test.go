package tui

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
)

// fakeLoop is a loop whose status the test moves on, as the process
// running it would.
type fakeLoop struct {
	mu     sync.Mutex
	status LoopStatus
}

func (l *fakeLoop) set(s LoopStatus) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status = s
}

func (l *fakeLoop) read(context.Context) (LoopStatus, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status, nil
}

var loopStages = []string{"selfplay", "rewards", "train", "eval", "plot"}

// evalStatus is round 1 of 2 evaluating, with the fake store's run as its
// arena run and the results of one opponent.
func evalStatus(run string) LoopStatus {
	return LoopStatus{ID: "l20261202-100000-1a2b", Round: 1, Rounds: 2, Stage: "eval", Stages: loopStages, Run: run,
		Results: []eval.RoundResult{
			{Round: 1, Opponent: "native", Role: "attacker", Wins: 3, Games: 4},
			{Round: 1, Opponent: "native", Role: "defender", Wins: 1, Games: 4},
		}}
}

func TestLoopFollowsTheStagesAndTheirRuns(t *testing.T) {
	src := newFakeStore()
	loop := &fakeLoop{status: LoopStatus{ID: "l20261202-100000-1a2b", Round: 1, Rounds: 2, Stage: "selfplay",
		Stages: loopStages, Run: src.run.ID}}
	m, err := New(Config{Start: LoopView, NoColor: true,
		Loop: LoopConfig{Read: loop.read, Runs: src, PollEvery: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	t.Cleanup(func() { _ = tm.Quit() })
	// The self-play run's progress below the loop's header.
	waitForAll(t, tm, "round 1 selfplay · r20261126-151200-3fa9", "4/10")

	loop.set(LoopStatus{ID: "l20261202-100000-1a2b", Round: 1, Rounds: 2, Stage: "train", Stages: loopStages})
	waitFor(t, tm, "round 1 train: no games are played in this stage")

	loop.set(evalStatus(src.run.ID))
	// The run's games are the watch view's: enter focuses one.
	waitForAll(t, tm, "round 1 eval · r20261126-151200-3fa9", "#3")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "episode #")
	keys(tm, tea.KeyEsc)

	done := evalStatus("")
	done.Round, done.Stage, done.Done = 2, "done", true
	done.Results = append(done.Results, eval.RoundResult{Round: 2, Opponent: "native", Role: "attacker", Wins: 4, Games: 4})
	loop.set(done)
	waitFor(t, tm, "loop complete")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	view := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model).View()
	checkFrame(t, view)
	for _, want := range []string{
		"round 2/2 · selfplay ✓ rewards ✓ train ✓ eval ✓ plot ✓",
		"round opponent           attacker wins         defender wins",
		"1     native              75% [30–95] 3/4       25% [5–70] 1/4",
		"2     native             100% [51–100] 4/4     –",
		"the loop has finished its rounds",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("loop view lacks %q:\n%s", want, view)
		}
	}
}

// TestLoopDropsThePreviousRunsMessages checks that a poll of the run an
// earlier stage played does not reach the view of the run played now.
func TestLoopDropsThePreviousRunsMessages(t *testing.T) {
	src := newFakeStore()
	m := newLoop(LoopConfig{Read: (&fakeLoop{}).read, Runs: src}, newStyles(lipgloss.NewRenderer(io.Discard), true), 4000)
	m, _ = m.update(loopReadMsg{status: evalStatus(src.run.ID)})
	previous := m.run.cfg.Source
	m, _ = m.update(loopReadMsg{status: LoopStatus{Round: 1, Stage: "plot"}})
	m, _ = m.update(loopReadMsg{status: evalStatus(src.run.ID)})
	if !m.hasRun || m.run.cfg.Source == previous {
		t.Fatal("the run's view was not made anew for the new stage")
	}
	run, _ := src.Run(context.Background(), src.run.ID)
	m, _ = m.update(pollMsg{source: previous, run: run, stats: episodes.Stats{Episodes: 7}})
	if m.run.haveProg {
		t.Errorf("the previous run's poll reached the current run's view: %+v", m.run.prog)
	}
	m, _ = m.update(pollMsg{source: m.run.cfg.Source, run: run, stats: episodes.Stats{Episodes: 7}})
	if m.run.prog.Done != 7 {
		t.Errorf("the current run's poll was dropped: %+v", m.run.prog)
	}
}
