package ollamatest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

func TestWriteGGUFHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteGGUF(&buf, TinyModel{Seed: 3}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if string(b[:4]) != "GGUF" || binary.LittleEndian.Uint32(b[4:]) != 3 {
		t.Fatalf("header %q", b[:8])
	}
	if n := binary.LittleEndian.Uint64(b[8:]); n != 3+9 {
		t.Errorf("tensor count %d, want 12 for one block", n)
	}
	if len(b)%ggufAlignment != 0 {
		t.Errorf("file size %d not aligned", len(b))
	}
	var again bytes.Buffer
	WriteGGUF(&again, TinyModel{Seed: 3})
	if !bytes.Equal(b, again.Bytes()) {
		t.Error("same seed wrote different files")
	}
	if err := WriteGGUF(&again, TinyModel{Embedding: 10, Heads: 4}); err == nil {
		t.Error("heads not dividing the embedding accepted")
	}
}

func TestAtLeast(t *testing.T) {
	for _, tt := range []struct {
		v, min string
		want   bool
	}{
		{"0.17.4", "0.13.0", true}, {"0.13.0", "0.13.0", true}, {"0.9.9", "0.13.0", false},
		{"1.0.0", "0.13.0", true}, {"0.12.11", "0.13.0", false},
	} {
		if got := atLeast(tt.v, tt.min); got != tt.want {
			t.Errorf("atLeast(%s, %s) = %v", tt.v, tt.min, got)
		}
	}
}

// TestTinyModelAnswers checks the whole harness: the server runs, the tiny
// model loads and answers deterministically with log-probabilities, and an
// unknown model is a 404.
func TestTinyModelAnswers(t *testing.T) {
	s := Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	gen := func() api.GenerateResponse {
		stream := false
		var last api.GenerateResponse
		err := s.Client.Generate(ctx, &api.GenerateRequest{Model: ModelName, Prompt: "hello there", Stream: &stream,
			Logprobs: true, TopLogprobs: 2,
			Options: map[string]any{"temperature": 0, "seed": 7, "num_predict": 12}}, func(r api.GenerateResponse) error {
			last = r
			return nil
		})
		if err != nil {
			t.Fatalf("generate: %v\n%s", err, s.logTail(3000))
		}
		return last
	}
	a, b := gen(), gen()
	if a.Response != b.Response {
		t.Errorf("temperature 0, same seed, different answers: %q vs %q", a.Response, b.Response)
	}
	if a.EvalCount == 0 || a.PromptEvalCount == 0 || len(a.Logprobs) == 0 || len(a.Logprobs[0].TopLogprobs) != 2 {
		t.Errorf("eval %d prompt %d logprobs %d: want counts and logprobs with 2 alternatives", a.EvalCount, a.PromptEvalCount, len(a.Logprobs))
	}
	err := s.Client.Generate(ctx, &api.GenerateRequest{Model: "no-such-model"}, func(api.GenerateResponse) error { return nil })
	var se api.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusNotFound {
		t.Errorf("unknown model: %v, want a 404 StatusError", err)
	}
}
