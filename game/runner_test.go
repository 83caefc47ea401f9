package game_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
)

// echoGame is a minimal two-player game: players alternate until maxUtter
// utterances; the outcome is "first" when the first utterance is longer than
// the last, else "last". An utterance "boom" is rejected by Apply.
type echoGame struct{ maxUtter int }

func (g echoGame) Name() string    { return "echo" }
func (g echoGame) String() string  { return fmt.Sprintf("echo(max=%d)", g.maxUtter) }
func (g echoGame) Roles() []string { return []string{"a", "b"} }
func (g echoGame) NewState(s game.Setup) (game.State, error) {
	if s.Subject == "" {
		return nil, errors.New("empty subject")
	}
	return &echoState{g: g, subject: s.Subject}, nil
}

type echoState struct {
	g       echoGame
	subject string
	msgs    []game.Message
}

func (s *echoState) CurrentPlayer() int {
	if s.IsTerminal() {
		return -1
	}
	return len(s.msgs) % 2
}
func (s *echoState) Observation(p int) game.Observation {
	secret := ""
	if p == 0 {
		secret = s.subject
	}
	return game.Observation{Player: p, Role: s.g.Roles()[p], Turn: len(s.msgs) + 1,
		MaxUtterances: s.g.maxUtter, Secret: secret, Transcript: s.msgs[:len(s.msgs):len(s.msgs)]}
}
func (s *echoState) Apply(text string) error {
	if text == "boom" {
		return errors.New("boom is not allowed")
	}
	s.msgs = append(s.msgs, game.Message{Role: s.g.Roles()[s.CurrentPlayer()], Content: text})
	return nil
}
func (s *echoState) IsTerminal() bool { return len(s.msgs) >= s.g.maxUtter }
func (s *echoState) Verdict() game.Verdict {
	if !s.IsTerminal() {
		return game.Verdict{}
	}
	o := "last"
	if len(s.msgs[0].Content) > len(s.msgs[len(s.msgs)-1].Content) {
		o = "first"
	}
	return game.Verdict{Outcome: o, DecidedAt: len(s.msgs), Rule: "length", Judge: "echo@1"}
}
func (s *echoState) Transcript() []game.Message { return s.msgs[:len(s.msgs):len(s.msgs)] }
func (s *echoState) Clone() game.State {
	c := *s
	c.msgs = append([]game.Message(nil), s.msgs...)
	return &c
}

// seededPlayer answers with text derived only from the request seed.
func seededPlayer(prefix string) game.Player {
	return game.PlayerFunc(func(ctx context.Context, req game.Request) (game.Reply, error) {
		return game.Reply{Text: fmt.Sprintf("%s%s", prefix, strings.Repeat("x", int(req.Seed%7)))}, nil
	})
}

func setups(n int) []game.Setup {
	s := make([]game.Setup, n)
	for i := range s {
		s[i] = game.Setup{Index: i, Seed: game.SplitMix64(uint64(i)), Subject: fmt.Sprintf("w%d", i)}
	}
	return s
}

type collector struct {
	mu  sync.Mutex
	eps map[int]*game.Episode
}

func (c *collector) sink(ctx context.Context, ep *game.Episode) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.eps == nil {
		c.eps = map[int]*game.Episode{}
	}
	if _, dup := c.eps[ep.Index]; dup {
		return fmt.Errorf("episode %d sunk twice", ep.Index)
	}
	c.eps[ep.Index] = ep
	return nil
}

func TestRunDeterministicAcrossConcurrency(t *testing.T) {
	transcripts := func(concurrency int) map[int]string {
		var c collector
		r := &game.Runner{Game: echoGame{4}, Players: []game.Player{seededPlayer("a"), seededPlayer("b")}, Concurrency: concurrency}
		if err := r.Run(context.Background(), setups(200), c.sink); err != nil {
			t.Fatal(err)
		}
		out := map[int]string{}
		for i, ep := range c.eps {
			var b strings.Builder
			for _, turn := range ep.Turns {
				fmt.Fprintf(&b, "%d:%s:%s|", turn.N, turn.Role, turn.Text)
			}
			b.WriteString(ep.Verdict.Outcome)
			out[i] = b.String()
		}
		return out
	}
	one, many := transcripts(1), transcripts(16)
	if len(one) != 200 || len(many) != 200 {
		t.Fatalf("got %d and %d episodes, want 200", len(one), len(many))
	}
	outcomes := map[string]bool{}
	for i := range one {
		if one[i] != many[i] {
			t.Errorf("episode %d differs: %q vs %q", i, one[i], many[i])
		}
		outcomes[one[i][strings.LastIndexByte(one[i], '|')+1:]] = true
	}
	if len(outcomes) != 2 {
		t.Errorf("seeded players should produce both outcomes, got %v", outcomes)
	}
}

type limitedPlayer struct {
	limit    int
	inFlight atomic.Int32
	peak     atomic.Int32
}

func (p *limitedPlayer) Capacity() int { return p.limit }
func (p *limitedPlayer) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			break
		}
	}
	time.Sleep(200 * time.Microsecond)
	return game.Reply{Text: "hi"}, nil
}

func TestRunRespectsSharedCapacity(t *testing.T) {
	p := &limitedPlayer{limit: 3}
	var c collector
	// The same value plays both roles, so both roles share its 3 slots.
	r := &game.Runner{Game: echoGame{4}, Players: []game.Player{p, p}, Concurrency: 32}
	if err := r.Run(context.Background(), setups(100), c.sink); err != nil {
		t.Fatal(err)
	}
	if got := p.peak.Load(); got > 3 || got < 2 {
		t.Errorf("peak concurrent calls = %d, want between 2 and 3", got)
	}
	if len(c.eps) != 100 {
		t.Errorf("got %d episodes, want 100", len(c.eps))
	}
}

func TestPlayerFailureIsRecordedNotFatal(t *testing.T) {
	failing := game.PlayerFunc(func(ctx context.Context, req game.Request) (game.Reply, error) {
		if req.Episode%2 == 1 && req.Turn == 2 {
			return game.Reply{}, errors.New("connection refused")
		}
		if req.Episode == 4 {
			return game.Reply{Text: "boom"}, nil
		}
		return game.Reply{Text: "ok"}, nil
	})
	var c collector
	r := &game.Runner{Game: echoGame{4}, Players: []game.Player{failing, failing}}
	if err := r.Run(context.Background(), setups(10), c.sink); err != nil {
		t.Fatal(err)
	}
	for i, ep := range c.eps {
		switch {
		case i%2 == 1:
			if !strings.Contains(ep.Err, "episode "+fmt.Sprint(i)+" turn 2 (b): connection refused") {
				t.Errorf("episode %d: err %q", i, ep.Err)
			}
			if len(ep.Turns) != 1 || ep.Verdict.Outcome != "" {
				t.Errorf("episode %d: errored episode has %d turns and verdict %q", i, len(ep.Turns), ep.Verdict.Outcome)
			}
		case i == 4:
			if !strings.Contains(ep.Err, "boom is not allowed") {
				t.Errorf("episode 4: err %q", ep.Err)
			}
		default:
			if ep.Errored() || ep.Verdict.Outcome == "" {
				t.Errorf("episode %d: err %q verdict %+v", i, ep.Err, ep.Verdict)
			}
		}
	}
}

func TestTurnTimeout(t *testing.T) {
	slow := game.PlayerFunc(func(ctx context.Context, req game.Request) (game.Reply, error) {
		<-ctx.Done()
		return game.Reply{}, ctx.Err()
	})
	r := &game.Runner{Game: echoGame{2}, Players: []game.Player{slow, slow}, TurnTimeout: 5 * time.Millisecond}
	ep, err := r.Play(context.Background(), setups(1)[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ep.Err, context.DeadlineExceeded.Error()) {
		t.Errorf("err = %q, want a deadline error", ep.Err)
	}
}

func TestCancelStopsWithoutSinkingPartialEpisodes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	p := game.PlayerFunc(func(ctx context.Context, req game.Request) (game.Reply, error) {
		if calls.Add(1) == 50 {
			cancel()
		}
		select {
		case <-ctx.Done():
			return game.Reply{}, ctx.Err()
		case <-time.After(100 * time.Microsecond):
		}
		return game.Reply{Text: "t"}, nil
	})
	var c collector
	r := &game.Runner{Game: echoGame{4}, Players: []game.Player{p, p}, Concurrency: 4}
	err := r.Run(ctx, setups(1000), c.sink)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(c.eps) == 0 || len(c.eps) >= 1000 {
		t.Fatalf("sunk %d episodes", len(c.eps))
	}
	for i, ep := range c.eps {
		if ep.Errored() || len(ep.Turns) != 4 {
			t.Errorf("episode %d sunk incomplete: err %q, %d turns", i, ep.Err, len(ep.Turns))
		}
	}
}

func TestDrainFinishesInFlightAndStops(t *testing.T) {
	drain := make(chan struct{})
	var once sync.Once
	var started atomic.Int32
	p := game.PlayerFunc(func(ctx context.Context, req game.Request) (game.Reply, error) {
		if req.Turn == 1 && started.Add(1) == 20 {
			once.Do(func() { close(drain) })
		}
		time.Sleep(50 * time.Microsecond)
		return game.Reply{Text: "t"}, nil
	})
	var c collector
	r := &game.Runner{Game: echoGame{4}, Players: []game.Player{p, p}, Concurrency: 4, Drain: drain}
	err := r.Run(context.Background(), setups(1000), c.sink)
	if !errors.Is(err, game.ErrDrained) {
		t.Fatalf("err = %v, want ErrDrained", err)
	}
	if int(started.Load()) != len(c.eps) {
		t.Errorf("started %d episodes but sank %d: in-flight episodes must finish", started.Load(), len(c.eps))
	}
	if len(c.eps) > 20+4 {
		t.Errorf("sank %d episodes; drain should stop launching soon after episode 20", len(c.eps))
	}
	for i, ep := range c.eps {
		if ep.Errored() || len(ep.Turns) != 4 {
			t.Errorf("episode %d incomplete", i)
		}
	}
}

func TestSinkErrorStopsRun(t *testing.T) {
	r := &game.Runner{Game: echoGame{2}, Players: []game.Player{seededPlayer("a"), seededPlayer("b")}, Concurrency: 2}
	var n, late atomic.Int32
	diskFull := errors.New("disk full")
	err := r.Run(context.Background(), setups(10000), func(ctx context.Context, ep *game.Episode) error {
		// Counting from the runner's cancellation, not from the failing
		// call, keeps the test honest on a loaded machine: the failing
		// goroutine may be descheduled before it returns.
		if ctx.Err() != nil {
			late.Add(1)
		}
		if n.Add(1) == 10 {
			return diskFull
		}
		return nil
	})
	if !errors.Is(err, diskFull) {
		t.Fatalf("err = %v, want disk full", err)
	}
	// Only episodes past their last turn when the run was cancelled may
	// still be handed over: at most one per other slot.
	if late.Load() > int32(r.Concurrency-1) {
		t.Errorf("%d episodes were sunk after the run was cancelled", late.Load())
	}
	if n.Load() >= 10000 {
		t.Errorf("the run did not stop after the sink failed")
	}
}

func TestRunnerConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		r    game.Runner
		want string
	}{
		{"no game", game.Runner{}, "no game"},
		{"missing player", game.Runner{Game: echoGame{2}, Players: []game.Player{seededPlayer("a")}}, "needs 2 players"},
		{"nil player", game.Runner{Game: echoGame{2}, Players: []game.Player{seededPlayer("a"), nil}}, "no player for role b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Run(context.Background(), setups(1), func(context.Context, *game.Episode) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestEventsDoNotSlowTheRunAndArriveInOrder(t *testing.T) {
	var bus game.Bus
	slow := bus.Subscribe(1) // never read until the end: must not block
	fast := bus.Subscribe(100000)
	streaming := game.PlayerFunc(func(ctx context.Context, req game.Request) (game.Reply, error) {
		req.OnToken("he")
		req.OnToken("llo")
		return game.Reply{Text: "hello"}, nil
	})
	r := &game.Runner{Game: echoGame{2}, Players: []game.Player{streaming, streaming}, Events: &bus, Concurrency: 4}
	if err := r.Run(context.Background(), setups(50), func(context.Context, *game.Episode) error { return nil }); err != nil {
		t.Fatal(err)
	}
	fast.Close()
	slow.Close()
	if slow.Dropped() == 0 {
		t.Error("a full subscriber should drop events")
	}
	counts := map[string]int{}
	var last game.Progress
	seenTurn := map[int]int{}
	for e := range fast.C {
		switch e := e.(type) {
		case game.EpisodeStarted:
			counts["started"]++
		case game.TurnStarted:
			counts["turn"]++
		case game.TokenDelta:
			counts["delta"]++
		case game.TurnFinished:
			if e.Turn.N != seenTurn[e.Episode]+1 {
				t.Errorf("episode %d: turn %d after %d", e.Episode, e.Turn.N, seenTurn[e.Episode])
			}
			seenTurn[e.Episode] = e.Turn.N
		case game.EpisodeFinished:
			counts["finished"]++
		case game.Progress:
			last = e
		}
	}
	want := map[string]int{"started": 50, "turn": 100, "delta": 200, "finished": 50}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s events = %d, want %d", k, counts[k], v)
		}
	}
	if last.Done != 50 || last.Total != 50 || last.InFlight != 0 || last.Outcomes["last"] != 50 {
		t.Errorf("last progress = %+v", last)
	}
	if fast.Dropped() != 0 {
		t.Errorf("large buffer dropped %d events", fast.Dropped())
	}
}

func TestPromptText(t *testing.T) {
	p := game.Prompt{Messages: []game.Message{{Role: "system", Content: "rules"}, {Role: "user", Content: "go"}}}
	if got := p.Text(); got != "rules\n\ngo" {
		t.Errorf("Text() = %q", got)
	}
	if _, err := (game.Observation{}).Prompt(); !errors.Is(err, game.ErrNoPrompter) {
		t.Errorf("Prompt() without prompter: err = %v", err)
	}
}

func ExampleRunner() {
	first := game.PlayerFunc(func(ctx context.Context, req game.Request) (game.Reply, error) {
		return game.Reply{Text: "a long opening line"}, nil
	})
	second := game.PlayerFunc(func(ctx context.Context, req game.Request) (game.Reply, error) {
		return game.Reply{Text: "short"}, nil
	})
	r := &game.Runner{Game: echoGame{2}, Players: []game.Player{first, second}}
	ep, err := r.Play(context.Background(), game.Setup{Index: 0, Seed: 1, Subject: "demo"})
	if err != nil {
		panic(err)
	}
	for _, t := range ep.Turns {
		fmt.Printf("%d %s: %s\n", t.N, t.Role, t.Text)
	}
	fmt.Println(ep.Verdict.Outcome, "at", ep.Verdict.DecidedAt)
	// Output:
	// 1 a: a long opening line
	// 2 b: short
	// first at 2
}

func TestOnTurnSeesEveryTurnInOrder(t *testing.T) {
	var mu sync.Mutex
	seen := map[int][]int{}
	r := &game.Runner{Game: echoGame{4}, Players: []game.Player{seededPlayer("a"), seededPlayer("b")}, Concurrency: 4,
		OnTurn: func(s game.Setup, turns []game.Turn) {
			mu.Lock()
			defer mu.Unlock()
			if len(turns) != len(seen[s.Index])+1 {
				t.Errorf("episode %d: OnTurn got %d turns after %d calls", s.Index, len(turns), len(seen[s.Index]))
			}
			seen[s.Index] = append(seen[s.Index], turns[len(turns)-1].N)
		}}
	if err := r.Run(context.Background(), setups(30), func(context.Context, *game.Episode) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		if got := fmt.Sprint(seen[i]); got != "[1 2 3 4]" {
			t.Errorf("episode %d: OnTurn saw turns %s", i, got)
		}
	}
}

// TestDrainGraceCancelsStuckTurns: a drain waits DrainGrace for the
// episodes in flight, then cancels their turns (here, turns that would
// never end, as against a stalled backend), drops them unfinished and
// returns ErrDrained.
func TestDrainGraceCancelsStuckTurns(t *testing.T) {
	drain := make(chan struct{})
	var stuck atomic.Int32
	p := game.PlayerFunc(func(ctx context.Context, req game.Request) (game.Reply, error) {
		if req.Episode >= 2 {
			// Every slot is held by a stuck turn: then drain.
			if stuck.Add(1) == 2 {
				close(drain)
			}
			<-ctx.Done()
			return game.Reply{}, ctx.Err()
		}
		return game.Reply{Text: "t"}, nil
	})
	var c collector
	r := &game.Runner{Game: echoGame{4}, Players: []game.Player{p, p}, Concurrency: 2, Drain: drain, DrainGrace: time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background(), setups(100), c.sink) }()
	select {
	case err := <-done:
		if !errors.Is(err, game.ErrDrained) {
			t.Fatalf("err = %v, want ErrDrained", err)
		}
	case <-time.After(time.Minute): // only catches a hang
		t.Fatal("the drain waited for turns that never end")
	}
	if len(c.eps) != 2 {
		t.Errorf("sank %d episodes, want the 2 finished before the stuck ones", len(c.eps))
	}
	for i, ep := range c.eps {
		if ep.Errored() || len(ep.Turns) != 4 {
			t.Errorf("episode %d sunk incomplete: err %q, %d turns", i, ep.Err, len(ep.Turns))
		}
	}
}
