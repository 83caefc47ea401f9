package ollama

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// fakeServer answers /api/chat with handler and counts the calls.
func fakeServer(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, req api.ChatRequest, call int)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req api.ChatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		handler(w, r, req, int(calls.Add(1)))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// wait blocks for d or until the client goes away.
func wait(r *http.Request, d time.Duration) {
	select {
	case <-r.Context().Done():
	case <-time.After(d):
	}
}

func chunk(w http.ResponseWriter, r api.ChatResponse) {
	json.NewEncoder(w).Encode(r)
	w.(http.Flusher).Flush()
}

func TestThinkingKeptApartAndSwitchable(t *testing.T) {
	var sent atomic.Value
	srv, _ := fakeServer(t, func(w http.ResponseWriter, r *http.Request, req api.ChatRequest, _ int) {
		sent.Store(fmt.Sprint(req.Think.Value))
		chunk(w, api.ChatResponse{Message: api.Message{Thinking: "The word is apple; "}})
		chunk(w, api.ChatResponse{Message: api.Message{Thinking: "avoid saying it."}})
		chunk(w, api.ChatResponse{Message: api.Message{Content: "It grows on trees."}})
		chunk(w, api.ChatResponse{Done: true, Metrics: api.Metrics{PromptEvalCount: 30, EvalCount: 9}})
	})
	for _, think := range []string{"true", "false"} {
		t.Run("think="+think, func(t *testing.T) {
			p := newPlayer(t, []string{srv.URL}, "think="+think)
			var streamed strings.Builder
			req := request(1)
			req.OnToken = func(d string) { streamed.WriteString(d) }
			r := play(t, p, req)
			if got := sent.Load(); got != think {
				t.Errorf("request think = %v, want %s", got, think)
			}
			if r.Text != "It grows on trees." || r.Thinking != "The word is apple; avoid saying it." {
				t.Errorf("reply %+v", r)
			}
			if streamed.String() != r.Text {
				t.Errorf("thinking leaked into the stream: %q", streamed.String())
			}
			if r.Usage.PromptTokens != 30 || r.Usage.OutputTokens != 9 {
				t.Errorf("usage %+v", r.Usage)
			}
		})
	}
}

func TestStalledStreamIsRetried(t *testing.T) {
	srv, calls := fakeServer(t, func(w http.ResponseWriter, r *http.Request, req api.ChatRequest, call int) {
		chunk(w, api.ChatResponse{Message: api.Message{Content: "a"}})
		if call < 3 {
			wait(r, 5*time.Second) // silent: the stall timer fires first
			return
		}
		chunk(w, api.ChatResponse{Message: api.Message{Content: "b"}})
		chunk(w, api.ChatResponse{Done: true})
	})
	p := newPlayer(t, []string{srv.URL}, "stall=100ms", "retries=3")
	r := play(t, p, request(1))
	if r.Text != "ab" || calls.Load() != 3 {
		t.Errorf("reply %q after %d calls, want \"ab\" after 3", r.Text, calls.Load())
	}
}

func TestStatusErrorsFollowThePolicy(t *testing.T) {
	tests := []struct {
		status    int
		wantCalls int32
	}{
		{http.StatusServiceUnavailable, 3}, // busy: retried
		{http.StatusInternalServerError, 3},
		{http.StatusBadRequest, 1}, // fatal: not retried
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			srv, calls := fakeServer(t, func(w http.ResponseWriter, _ *http.Request, _ api.ChatRequest, _ int) {
				w.WriteHeader(tt.status)
				fmt.Fprintln(w, `{"error":"nope"}`)
			})
			p := newPlayer(t, []string{srv.URL}, "retries=3")
			_, err := p.Play(context.Background(), request(1))
			if err == nil || calls.Load() != tt.wantCalls {
				t.Errorf("Play = %v after %d calls, want an error after %d", err, calls.Load(), tt.wantCalls)
			}
		})
	}
}

func TestTurnContextEndsAHungStream(t *testing.T) {
	srv, _ := fakeServer(t, func(w http.ResponseWriter, r *http.Request, req api.ChatRequest, _ int) {
		wait(r, 5*time.Second) // never sends a first chunk
	})
	p := newPlayer(t, []string{srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Play(ctx, request(1))
	if err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("Play = %v after %s: want a prompt error at the turn's deadline", err, time.Since(start))
	}
}

func TestConfigSet(t *testing.T) {
	tests := []struct {
		kv, err string
	}{
		{kv: "temperature=0.7"}, {kv: "top_k=40"}, {kv: "stop=END|STOP"}, {kv: "keep_alive=-1"},
		{kv: "think=low"}, {kv: "mode=generate"}, {kv: "parallel=8"},
		{kv: "temperature=hot", err: `option temperature="hot": want a number`},
		{kv: "top_logprobs=21", err: "want an integer from 0 to 20"},
		{kv: "think=maybe", err: "want true, false, low, medium or high"},
		{kv: "colour=blue", err: `unknown option "colour" (known: `},
	}
	for _, tt := range tests {
		t.Run(tt.kv, func(t *testing.T) {
			var c Config
			k, v, _ := strings.Cut(tt.kv, "=")
			err := c.Set(k, v)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("Set(%s) = %v, want %q", tt.kv, err, tt.err)
			}
		})
	}
}

func ExampleConfig_Set() {
	cfg := Config{Model: "qwen2.5:7b", Hosts: []string{"http://gpu1:11434", "http://gpu2:11434"}}
	for _, kv := range []string{"temperature=0.7", "stop=</s>|###", "top_logprobs=5", "parallel=8"} {
		k, v, _ := strings.Cut(kv, "=")
		if err := cfg.Set(k, v); err != nil {
			fmt.Println(err)
		}
	}
	p, err := New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Options["temperature"], cfg.Options["stop"], cfg.Logprobs, cfg.TopLogprobs)
	fmt.Println("calls in flight at most:", p.Capacity())
	fmt.Println(cfg.Set("top_p", "high"))
	// Output:
	// 0.7 [</s> ###] true 5
	// calls in flight at most: 16
	// option top_p="high": want a number
}
