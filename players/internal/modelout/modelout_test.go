package modelout

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCollectorCaps(t *testing.T) {
	tests := []struct {
		name              string
		maxTokens, maxB   int
		pieces            []string
		wantText          string
		wantCapped        bool
		wantDeltas, wantN int
	}{
		{name: "no caps", pieces: []string{"a", "b", "c"}, wantText: "abc", wantDeltas: 3, wantN: 3},
		{name: "token cap", maxTokens: 2, pieces: []string{"a", "b", "c"}, wantText: "ab", wantCapped: true, wantDeltas: 2, wantN: 2},
		{name: "byte cap", maxB: 4, pieces: []string{"ab", "cd", "ef"}, wantText: "abcd", wantCapped: true, wantDeltas: 2, wantN: 2},
		{name: "byte cap cuts a piece", maxB: 3, pieces: []string{"ab", "cd"}, wantText: "abc", wantCapped: true, wantDeltas: 2, wantN: 2},
		{name: "byte cap never splits a rune", maxB: 3, pieces: []string{"a", "éé"}, wantText: "aé", wantCapped: true, wantDeltas: 2, wantN: 2},
		{name: "empty pieces are not tokens", maxTokens: 2, pieces: []string{"", "a", "", "b"}, wantText: "ab", wantCapped: true, wantDeltas: 2, wantN: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var deltas []string
			c := Collector{MaxTokens: tt.maxTokens, MaxBytes: tt.maxB, OnToken: func(d string) { deltas = append(deltas, d) }}
			var err error
			for _, p := range tt.pieces {
				if err = c.Add(p, ""); err != nil {
					break
				}
			}
			if errors.Is(err, ErrCapped) != tt.wantCapped || c.Capped() != tt.wantCapped {
				t.Errorf("err = %v, Capped = %v, want capped %v", err, c.Capped(), tt.wantCapped)
			}
			r := c.Reply()
			if r.Text != tt.wantText || len(deltas) != tt.wantDeltas || c.Tokens() != tt.wantN {
				t.Errorf("text %q deltas %q tokens %d; want %q, %d deltas, %d tokens", r.Text, deltas, c.Tokens(), tt.wantText, tt.wantDeltas, tt.wantN)
			}
			if !utf8.ValidString(r.Text) {
				t.Errorf("text %q is not valid UTF-8", r.Text)
			}
		})
	}
}

func TestThinkingKeptApart(t *testing.T) {
	var c Collector
	c.Add("", "let me think")
	c.Add("answer", "")
	if r := c.Reply(); r.Text != "answer" || r.Thinking != "let me think" {
		t.Errorf("reply %+v", r)
	}
}

func TestSplitThinking(t *testing.T) {
	tests := []struct{ in, text, thinking string }{
		{"plain answer", "plain answer", ""},
		{"<think>hmm</think>\n\nIs it a cat?", "Is it a cat?", "hmm"},
		{"  <thinking> a </thinking>b", "b", "a"},
		{"<think>never closed", "", "never closed"},
		{"answer <think>late</think>", "answer <think>late</think>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			text, th := SplitThinking(tt.in)
			if text != tt.text || th != tt.thinking {
				t.Errorf("SplitThinking(%q) = %q, %q", tt.in, text, th)
			}
		})
	}
}

func FuzzCollector(f *testing.F) {
	f.Add("hello", "<think>x</think>y", 3, 5)
	f.Fuzz(func(t *testing.T, a, b string, maxTokens, maxBytes int) {
		c := Collector{MaxTokens: maxTokens % 16, MaxBytes: maxBytes % 64}
		for _, p := range []string{a, b, a + b} {
			if c.Add(p, p) != nil {
				break
			}
		}
		r := c.Reply()
		if c.MaxBytes > 0 && len(r.Text)+len(r.Thinking) > c.MaxBytes {
			t.Fatalf("%d bytes kept, cap %d", len(r.Text)+len(r.Thinking), c.MaxBytes)
		}
		if strings.Contains(r.Text, "\x00") && !strings.Contains(a+b, "\x00") {
			t.Fatal("text gained bytes")
		}
	})
}
