package ollama

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/ollamatest"
)

// These tests run against a real Ollama server serving a tiny random-weight
// model (internal/ollamatest). Its output is gibberish, so they check
// structure, never wording.

func TestMain(m *testing.M) {
	code := m.Run()
	ollamatest.StopShared()
	os.Exit(code)
}

// chatPrompter renders an observation as a fixed system message and the
// transcript, enough for a backend test without any game's rules.
type chatPrompter struct{}

func (chatPrompter) Prompt(o game.Observation) (game.Prompt, error) {
	msgs := []game.Message{{Role: "system", Content: "You play a word game as the " + o.Role + "."}}
	for _, m := range o.Transcript {
		role := "user"
		if m.Role == o.Role {
			role = "assistant"
		}
		msgs = append(msgs, game.Message{Role: role, Content: m.Content})
	}
	msgs = append(msgs, game.Message{Role: "user", Content: fmt.Sprintf("Turn %d: your move.", o.Turn)})
	return game.Prompt{Messages: msgs}, nil
}

func request(seed uint64) game.Request {
	return game.Request{Seed: seed, Observation: game.Observation{Role: "attacker", Turn: 3, Prompter: chatPrompter{},
		Transcript: []game.Message{{Role: "attacker", Content: "It is red."}, {Role: "defender", Content: "Is it a fire truck?"}}}}
}

func newPlayer(t *testing.T, hosts []string, settings ...string) *Player {
	t.Helper()
	cfg := Config{Model: ollamatest.ModelName, Hosts: hosts}
	for _, s := range settings {
		k, v, _ := strings.Cut(s, "=")
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func play(t *testing.T, p *Player, req game.Request) game.Reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := p.Play(ctx, req)
	if err != nil {
		t.Fatalf("Play: %v", err)
	}
	return r
}

func TestPlayRecordsEverything(t *testing.T) {
	srv := ollamatest.Shared(t)
	for _, mode := range []string{"chat", "generate"} {
		t.Run(mode, func(t *testing.T) {
			p := newPlayer(t, []string{srv.URL}, "mode="+mode, "temperature=0", "top_logprobs=3", "num_predict=16")
			if err := p.Preflight(context.Background()); err != nil {
				t.Fatalf("Preflight: %v", err)
			}
			req := request(42)
			var deltas strings.Builder
			req.OnToken = func(d string) { deltas.WriteString(d) }
			r := play(t, p, req)
			if r.Usage.PromptTokens == 0 || r.Usage.OutputTokens == 0 || r.Usage.OutputTokens > 16 || r.Usage.Latency <= 0 {
				t.Errorf("usage %+v: want prompt and output tokens (at most 16) and a latency", r.Usage)
			}
			// No log-probability comes for the end-of-sequence token.
			if n := len(r.Logprobs); n == 0 || n > r.Usage.OutputTokens {
				t.Errorf("%d logprobs for %d output tokens", n, r.Usage.OutputTokens)
			}
			var joined strings.Builder
			for _, lp := range r.Logprobs {
				if lp.Logprob > 0 || len(lp.Top) != 3 {
					t.Fatalf("logprob %+v: want <= 0 with 3 alternatives", lp)
				}
				joined.WriteString(lp.Token)
			}
			if deltas.String() != r.Text {
				t.Errorf("streamed %q, replied %q", deltas.String(), r.Text)
			}
			if r.Thinking != "" {
				t.Errorf("a model that cannot think produced thinking %q", r.Thinking)
			}
		})
	}
}

func TestSameSeedSameAnswer(t *testing.T) {
	srv := ollamatest.Shared(t)
	p := newPlayer(t, []string{srv.URL}, "temperature=0", "num_predict=12")
	a, b := play(t, p, request(7)), play(t, p, request(7))
	if a.Text != b.Text || a.Usage.OutputTokens != b.Usage.OutputTokens {
		t.Errorf("same seed, temperature 0: %q (%d tokens) vs %q (%d tokens)", a.Text, a.Usage.OutputTokens, b.Text, b.Usage.OutputTokens)
	}
	// Sampling at a high temperature follows the turn's seed.
	hot := newPlayer(t, []string{srv.URL}, "temperature=1.5", "num_predict=12")
	if x, y := play(t, hot, request(9)), play(t, hot, request(9)); x.Text != y.Text {
		t.Errorf("same seed, temperature 1.5: %q vs %q", x.Text, y.Text)
	}
}

func TestOutputCaps(t *testing.T) {
	srv := ollamatest.Shared(t)
	tests := []struct {
		name     string
		settings []string
		check    func(t *testing.T, r game.Reply)
	}{
		{"token cap below num_predict", []string{"num_predict=64", "max_tokens=3", "temperature=0"}, func(t *testing.T, r game.Reply) {
			if r.Usage.OutputTokens > 3 || len(r.Logprobs) > 3 {
				t.Errorf("%d output tokens, %d logprobs: cap is 3", r.Usage.OutputTokens, len(r.Logprobs))
			}
		}},
		{"byte cap", []string{"num_predict=64", "max_bytes=5", "temperature=0"}, func(t *testing.T, r game.Reply) {
			if len(r.Text) > 5 {
				t.Errorf("%d bytes: cap is 5", len(r.Text))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlayer(t, []string{srv.URL}, append(tt.settings, "logprobs=true")...)
			tt.check(t, play(t, p, request(1)))
		})
	}
}

func TestMissingModelIsFatal(t *testing.T) {
	srv := ollamatest.Shared(t)
	p, err := New(Config{Model: "no-such-model:1b", Hosts: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Preflight(context.Background())
	want := fmt.Sprintf(`model "no-such-model:1b" not found on %s (pull it with: ollama pull no-such-model:1b)`, srv.URL)
	if err == nil || err.Error() != want {
		t.Fatalf("Preflight = %v\nwant %s", err, want)
	}
	start := time.Now()
	_, err = p.Play(context.Background(), request(1))
	var nf *ModelNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Play = %v, want a ModelNotFoundError", err)
	}
	if s := p.Pool().Stats()[0]; s.Calls != 1 || s.Down {
		t.Errorf("a missing model was retried or marked the host down: %+v (%s)", s, time.Since(start))
	}
}

func TestPreflightUnreachableHost(t *testing.T) {
	dead := deadHost(t)
	p := newPlayer(t, []string{dead})
	err := p.Preflight(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ollama server "+dead+" does not answer") {
		t.Fatalf("Preflight = %v", err)
	}
}

// deadHost returns the URL of a loopback port where nothing listens.
func deadHost(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestFailoverToLiveHost(t *testing.T) {
	srv := ollamatest.Shared(t)
	dead := deadHost(t)
	p := newPlayer(t, []string{dead, srv.URL}, "num_predict=4", "parallel=2")
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := p.Play(ctx, request(uint64(i))); err != nil {
				t.Errorf("Play %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	st := p.Pool().Stats()
	if !st[0].Down || st[1].Calls < 12 {
		t.Errorf("stats %+v: want the dead host down and every call served by the live one", st)
	}
}

func TestServerKilledAndRestarted(t *testing.T) {
	srv := ollamatest.Fresh(t, ollamatest.Options{NumParallel: 2})
	p := newPlayer(t, []string{srv.URL}, "num_predict=8", "retries=10")
	play(t, p, request(1)) // loads the model
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	restarted := make(chan error, 1)
	go func() {
		time.Sleep(500 * time.Millisecond)
		restarted <- srv.Restart(context.Background())
	}()
	r := play(t, p, request(2))
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	if r.Usage.OutputTokens == 0 {
		t.Errorf("reply after restart: %+v", r)
	}
	if s := p.Pool().Stats()[0]; s.Errors == 0 {
		t.Errorf("stats %+v: the call should have failed at least once while the server was down", s)
	}
}

func TestRetriesAreBounded(t *testing.T) {
	p := newPlayer(t, []string{deadHost(t)}, "retries=3")
	_, err := p.Play(context.Background(), request(1))
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Fatalf("Play on a dead host = %v", err)
	}
}

func TestPreflightThinkingNeedsAThinkingModel(t *testing.T) {
	srv := ollamatest.Shared(t)
	p := newPlayer(t, []string{srv.URL}, "think=true")
	err := p.Preflight(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot think; drop think=true") {
		t.Fatalf("Preflight = %v", err)
	}
	// Switching thinking off is accepted by any model.
	off := newPlayer(t, []string{srv.URL}, "think=false", "num_predict=4")
	if err := off.Preflight(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := play(t, off, request(3)); r.Thinking != "" {
		t.Errorf("thinking %q with think=false", r.Thinking)
	}
}
