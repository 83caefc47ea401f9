package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/ollamatest"
	"github.com/spag-go/spag/players/internal/modelout"
)

func TestMain(m *testing.M) {
	code := m.Run()
	ollamatest.StopShared()
	os.Exit(code)
}

type prompter struct{}

func (prompter) Prompt(o game.Observation) (game.Prompt, error) {
	return game.Prompt{Messages: []game.Message{
		{Role: "system", Content: "You are the " + o.Role + "."},
		{Role: "user", Content: fmt.Sprintf("Turn %d.", o.Turn)},
	}}, nil
}

func request(seed uint64) game.Request {
	return game.Request{Seed: seed, Observation: game.Observation{Role: "defender", Turn: 2, Prompter: prompter{}}}
}

func newPlayer(t *testing.T, hosts []string, settings ...string) *Player {
	t.Helper()
	cfg := Config{Model: "m", Hosts: hosts}
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

// fake is an OpenAI-compatible server whose chat completions answer with
// the events of script(call), where call counts from 1.
func fake(t *testing.T, script func(w http.ResponseWriter, r *http.Request, body map[string]any, call int)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"m"},{"id":"other"}]}`)
	})
	mux.HandleFunc("POST /v1/{endpoint...}", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if r.URL.Path != "/v1/chat/completions" && r.URL.Path != "/v1/completions" {
			http.NotFound(w, r)
			return
		}
		body["_path"] = r.URL.Path
		script(w, r, body, int(calls.Add(1)))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &calls
}

func event(w http.ResponseWriter, data string) {
	fmt.Fprintf(w, "data: %s\n\n", data)
	w.(http.Flusher).Flush()
}

const answer = `{"choices":[{"delta":{"reasoning_content":"secret plan"}}]}
{"choices":[{"delta":{"content":"Is it "},"logprobs":{"content":[{"token":"Is","logprob":-0.5,"top_logprobs":[{"token":"Is","logprob":-0.5},{"token":"Was","logprob":-1.5}]},{"token":" it ","logprob":-0.25,"top_logprobs":[]}]}}]}
{"choices":[{"delta":{"content":"a cat?"},"finish_reason":"stop"}]}
{"choices":[],"usage":{"prompt_tokens":21,"completion_tokens":4}}
[DONE]`

func sendAnswer(w http.ResponseWriter) {
	for _, l := range strings.Split(answer, "\n") {
		event(w, l)
	}
}

func TestStreamedReply(t *testing.T) {
	var got map[string]any
	srv, _ := fake(t, func(w http.ResponseWriter, _ *http.Request, body map[string]any, _ int) {
		got = body
		sendAnswer(w)
	})
	p := newPlayer(t, []string{srv.URL}, "temperature=0", "top_logprobs=2", "think=false")
	if err := p.Preflight(context.Background()); err != nil {
		t.Fatal(err)
	}
	var streamed strings.Builder
	req := request(77)
	req.OnToken = func(d string) { streamed.WriteString(d) }
	r, err := p.Play(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != "Is it a cat?" || r.Thinking != "secret plan" || streamed.String() != r.Text {
		t.Errorf("reply %+v, streamed %q", r, streamed.String())
	}
	if r.Usage.PromptTokens != 21 || r.Usage.OutputTokens != 4 || r.Usage.Latency <= 0 {
		t.Errorf("usage %+v", r.Usage)
	}
	if len(r.Logprobs) != 2 || r.Logprobs[0].Logprob != -0.5 || len(r.Logprobs[0].Top) != 2 || r.Logprobs[0].Top[1].Token != "Was" {
		t.Errorf("logprobs %+v", r.Logprobs)
	}
	for k, want := range map[string]any{"model": "m", "stream": true, "temperature": 0.0, "seed": 77.0,
		"logprobs": true, "top_logprobs": 2.0, "max_tokens": 256.0} {
		if got[k] != want {
			t.Errorf("request %s = %v, want %v", k, got[k], want)
		}
	}
	if kw, _ := got["chat_template_kwargs"].(map[string]any); kw["enable_thinking"] != false {
		t.Errorf("think=false not sent: %v", got["chat_template_kwargs"])
	}
}

// completionAnswer is a streamed answer of the completions API, with its
// parallel logprob arrays.
const completionAnswer = `{"choices":[{"text":"Is it ","logprobs":{"tokens":["Is"," it "],"token_logprobs":[-0.5,-0.25],"top_logprobs":[{"Was":-1.5,"Is":-0.5},{" it ":-0.25}]}}]}
{"choices":[{"text":"a cat?","finish_reason":"stop"}]}
{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4}}
[DONE]`

func TestCompletionsMode(t *testing.T) {
	var got map[string]any
	srv, _ := fake(t, func(w http.ResponseWriter, _ *http.Request, body map[string]any, _ int) {
		got = body
		for _, l := range strings.Split(completionAnswer, "\n") {
			event(w, l)
		}
	})
	p := newPlayer(t, []string{srv.URL}, "mode=completions", "logprobs=true", "top_logprobs=2")
	r, err := p.Play(context.Background(), request(3))
	if err != nil {
		t.Fatal(err)
	}
	if got["_path"] != "/v1/completions" || got["prompt"] != "You are the defender.\n\nTurn 2." || got["messages"] != nil || got["logprobs"] != 2.0 {
		t.Errorf("request %v", got)
	}
	if r.Text != "Is it a cat?" || r.Usage.PromptTokens != 9 || r.Usage.OutputTokens != 4 {
		t.Errorf("reply %+v", r)
	}
	if len(r.Logprobs) != 2 || r.Logprobs[0].Token != "Is" || len(r.Logprobs[0].Top) != 2 || r.Logprobs[0].Top[0].Token != "Is" || r.Logprobs[0].Top[1].Token != "Was" {
		t.Errorf("logprobs %+v", r.Logprobs)
	}
	if err := (&Config{}).Set("mode", "generate"); err == nil {
		t.Error("mode=generate accepted")
	}
}

func TestFailuresFollowThePolicy(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(w http.ResponseWriter, r *http.Request)
		wantCalls int32
		wantErr   string // empty: the third call succeeds
	}{
		{name: "connection cut mid-stream is retried", wantCalls: 3, fail: func(w http.ResponseWriter, r *http.Request) {
			event(w, `{"choices":[{"delta":{"content":"Is"}}]}`)
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}},
		{name: "stream ending without DONE is retried", wantCalls: 3, fail: func(w http.ResponseWriter, r *http.Request) {
			event(w, `{"choices":[{"delta":{"content":"Is"}}]}`)
		}},
		{name: "503 is retried", wantCalls: 3, fail: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":{"message":"busy"}}`, 503)
		}},
		{name: "error event is retried", wantCalls: 3, fail: func(w http.ResponseWriter, r *http.Request) {
			event(w, `{"error":{"message":"engine died"}}`)
		}},
		{name: "404 is fatal", wantCalls: 1, wantErr: "HTTP 404 Not Found: no such model", fail: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":{"message":"no such model"}}`, 404)
		}},
		{name: "400 is fatal", wantCalls: 1, wantErr: "HTTP 400", fail: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":"bad"}`, 400)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := fake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any, call int) {
				if call < 3 {
					tt.fail(w, r)
					return
				}
				sendAnswer(w)
			})
			p := newPlayer(t, []string{srv.URL}, "retries=4")
			r, err := p.Play(context.Background(), request(1))
			if calls.Load() != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls.Load(), tt.wantCalls)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Play = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || r.Text != "Is it a cat?" {
				t.Fatalf("Play = %+v, %v", r, err)
			}
		})
	}
}

// TestJSONReplyInsteadOfStream checks that a server answering a streamed
// request with one JSON document (status 200) is reported as such, with the
// body's error message, not as a stream cut short.
func TestJSONReplyInsteadOfStream(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"error object", `{"error":{"message":"model is still loading","type":"server_error"}}`,
			"server answered with a JSON error instead of an event stream: model is still loading"},
		{"error string, indented", "{\n  \"error\": \"quota exceeded\"\n}\n",
			"server answered with a JSON error instead of an event stream: quota exceeded"},
		{"whole completion", `{"choices":[{"message":{"role":"assistant","content":"Is it a cat?"}}]}`,
			`server answered with a JSON document instead of an event stream (does it support "stream": true?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any, call int) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tt.body)
			})
			p := newPlayer(t, []string{srv.URL}, "retries=1")
			_, err := p.Play(context.Background(), request(1))
			var ns *NotStreamError
			if !errors.As(err, &ns) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Play error = %v, want a *NotStreamError saying %q", err, tt.want)
			}
		})
	}
}

// TestPageInsteadOfStreamIsFatal: a 200 answer that is a web page (a
// proxy's, a portal's, or a server at a URL that is not the API) fails at
// the first call, naming the host and the content type, where it used to
// be retried until the turn's timeout; a stream a proxy relabelled is
// still read.
func TestPageInsteadOfStreamIsFatal(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		wantErr                 bool
	}{
		{"html page", "text/html; charset=utf-8", "<!doctype html><html><body>Sign in</body></html>\n", true},
		{"plain text", "text/plain", "Welcome to nginx\n", true},
		{"stream labelled as text", "text/plain", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := fake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any, call int) {
				w.Header().Set("Content-Type", tt.contentType)
				if tt.body == "" {
					sendAnswer(w)
					return
				}
				io.WriteString(w, tt.body)
			})
			p := newPlayer(t, []string{srv.URL}, "retries=4")
			r, err := p.Play(context.Background(), request(1))
			if !tt.wantErr {
				if err != nil || r.Text != "Is it a cat?" {
					t.Fatalf("Play = %+v, %v", r, err)
				}
				return
			}
			var ce *ContentTypeError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), srv.URL) || !strings.Contains(err.Error(), tt.contentType) {
				t.Fatalf("Play error = %v, want a *ContentTypeError naming %s and %q", err, srv.URL, tt.contentType)
			}
			if calls.Load() != 1 {
				t.Errorf("%d calls, want 1: the page was retried", calls.Load())
			}
		})
	}
}

func TestStallAndHugeEvents(t *testing.T) {
	srv, _ := fake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any, call int) {
		switch call {
		case 1: // one event, then silence
			event(w, `{"choices":[{"delta":{"content":"Is"}}]}`)
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case 2: // a line that never ends
			w.Write([]byte("data: "))
			w.Write([]byte(strings.Repeat("x", maxEventBytes+10)))
		default:
			sendAnswer(w)
		}
	})
	p := newPlayer(t, []string{srv.URL}, "stall=100ms", "retries=3")
	start := time.Now()
	r, err := p.Play(context.Background(), request(1))
	if err != nil || r.Text != "Is it a cat?" || time.Since(start) > 4*time.Second {
		t.Fatalf("Play = %+v, %v after %s", r, err, time.Since(start))
	}
}

func TestPreflight(t *testing.T) {
	srv, _ := fake(t, func(http.ResponseWriter, *http.Request, map[string]any, int) {})
	p, err := New(Config{Model: "missing", Hosts: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Preflight(context.Background())
	want := fmt.Sprintf(`model "missing" not found on %s/v1 (it serves: m, other)`, srv.URL)
	if err == nil || err.Error() != want {
		t.Fatalf("Preflight = %v, want %s", err, want)
	}
}

// TestAgainstOllamaV1 plays through a real Ollama server's OpenAI-compatible
// endpoint.
func TestAgainstOllamaV1(t *testing.T) {
	srv := ollamatest.Shared(t)
	cfg := Config{Model: ollamatest.ModelName, Hosts: []string{srv.URL}}
	for _, kv := range []string{"temperature=0", "max_tokens=12", "top_logprobs=2"} {
		k, v, _ := strings.Cut(kv, "=")
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Preflight(ctx); err != nil {
		t.Fatalf("Preflight: %v", err)
	}
	a, err := p.Play(ctx, request(5))
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Play(ctx, request(5))
	if err != nil {
		t.Fatal(err)
	}
	if a.Text != b.Text {
		t.Errorf("same seed, temperature 0: %q vs %q", a.Text, b.Text)
	}
	if a.Usage.PromptTokens == 0 || a.Usage.OutputTokens == 0 || a.Usage.OutputTokens > 12 {
		t.Errorf("usage %+v", a.Usage)
	}
	if len(a.Logprobs) == 0 || len(a.Logprobs) > a.Usage.OutputTokens || len(a.Logprobs[0].Top) != 2 {
		t.Errorf("%d logprobs for %d tokens: %+v", len(a.Logprobs), a.Usage.OutputTokens, a.Logprobs)
	}
	// The completions API of the same server, for base models.
	cfg.Mode = "completions"
	pc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c, err := pc.Play(ctx, request(5))
	if err != nil {
		t.Fatal(err)
	}
	if c.Usage.PromptTokens == 0 || c.Usage.OutputTokens == 0 || c.Usage.OutputTokens > 12 {
		t.Errorf("completions usage %+v", c.Usage)
	}
	t.Logf("chat %q, completions %q (%d logprobs)", a.Text, c.Text, len(c.Logprobs))
	missing, _ := New(Config{Model: "absent:1b", Hosts: []string{srv.URL}})
	if err := missing.Preflight(ctx); err == nil || !strings.Contains(err.Error(), `model "absent:1b" not found on `+srv.URL+"/v1") {
		t.Errorf("Preflight of a missing model = %v", err)
	}
}

func FuzzReadEvents(f *testing.F) {
	f.Add("data: " + strings.ReplaceAll(answer, "\n", "\n\ndata: ") + "\n\n")
	f.Add("data: {\"choices\":[{\"delta\":{\"content\":\"<think>x\"}}]}\n\ndata: [DONE]\n")
	f.Add(": comment\nevent: x\ndata: {\"error\":\"boom\"}\n")
	f.Fuzz(func(t *testing.T, body string) {
		out := modelout.Collector{MaxTokens: 8, MaxBytes: 64}
		_ = readEvents(strings.NewReader(body), func() {}, func(c *chunk) error {
			for _, ch := range c.Choices {
				if err := out.Add(ch.Delta.Content, ch.Delta.ReasoningContent+ch.Delta.Reasoning); err != nil {
					return err
				}
			}
			return nil
		})
		r := out.Reply()
		if len(r.Text)+len(r.Thinking) > 64 || out.Tokens() > 8 {
			t.Fatalf("caps exceeded: %d bytes, %d tokens", len(r.Text)+len(r.Thinking), out.Tokens())
		}
	})
}
