// Package modelout collects a model's streamed output under caps, for the
// spag model backends (players/ollama, players/openai). Model output is
// untrusted: a runaway generation must not grow without bound, and a
// reasoning model's thinking must be kept apart from its utterance.
package modelout

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/spag-go/spag/game"
)

// ErrCapped is returned by [Collector.Add] once a cap is reached; a
// backend returns it from its stream callback to stop the stream, and then
// keeps what was collected as the (truncated) reply.
var ErrCapped = errors.New("modelout: output cap reached")

// Collector accumulates one turn's streamed output. It is not safe for
// concurrent use; one stream feeds it.
type Collector struct {
	// MaxTokens caps the output tokens (streamed pieces of text or
	// thinking); 0 means no cap.
	MaxTokens int
	// MaxBytes caps the bytes of text plus thinking; 0 means no cap.
	MaxBytes int
	// OnToken, when not nil, receives each piece of utterance text (never
	// thinking) as it arrives.
	OnToken func(delta string)

	text, thinking strings.Builder
	tokens         int
	logprobs       []game.TokenLogprob
	capped         bool
}

// Reset empties the collector for a new attempt of the same turn.
func (c *Collector) Reset() {
	c.text.Reset()
	c.thinking.Reset()
	c.tokens = 0
	c.logprobs = nil
	c.capped = false
}

// Add appends one streamed piece of utterance text and of thinking (either
// may be empty). It returns [ErrCapped] once the token or byte cap is
// reached; what fits is kept, cut at a UTF-8 boundary.
func (c *Collector) Add(text, thinking string) error {
	if c.capped {
		return ErrCapped
	}
	if text == "" && thinking == "" {
		return nil
	}
	if c.MaxTokens > 0 && c.tokens >= c.MaxTokens {
		c.capped = true
		return ErrCapped
	}
	c.tokens++
	thinking, cutT := c.fit(thinking)
	c.thinking.WriteString(thinking)
	text, cutX := c.fit(text)
	if text != "" {
		c.text.WriteString(text)
		if c.OnToken != nil {
			c.OnToken(text)
		}
	}
	full := c.MaxBytes > 0 && c.text.Len()+c.thinking.Len() >= c.MaxBytes
	if cutT || cutX || full || (c.MaxTokens > 0 && c.tokens >= c.MaxTokens) {
		c.capped = true
		return ErrCapped
	}
	return nil
}

// fit returns the prefix of s that stays within MaxBytes, and whether s was
// cut.
func (c *Collector) fit(s string) (string, bool) {
	if c.MaxBytes <= 0 {
		return s, false
	}
	room := c.MaxBytes - c.text.Len() - c.thinking.Len()
	if len(s) <= room {
		return s, false
	}
	if room <= 0 {
		return "", true
	}
	s = s[:room]
	// Drop a rune the cut split (at most 3 of its bytes remain).
	for i := 0; i < utf8.UTFMax-1 && len(s) > 0; i++ {
		r, size := utf8.DecodeLastRuneInString(s)
		if r != utf8.RuneError || size != 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s, true
}

// AddLogprob records the log-probability of one output token, up to
// MaxTokens of them.
func (c *Collector) AddLogprob(lp game.TokenLogprob) {
	if c.MaxTokens > 0 && len(c.logprobs) >= c.MaxTokens {
		return
	}
	c.logprobs = append(c.logprobs, lp)
}

// Capped reports whether a cap cut the output.
func (c *Collector) Capped() bool { return c.capped }

// Tokens is the number of streamed pieces collected.
func (c *Collector) Tokens() int { return c.tokens }

// Reply returns the collected output. Thinking that a model wrote inline,
// as a leading <think>...</think> block of its text, is moved to Thinking.
func (c *Collector) Reply() game.Reply {
	text, thinking := SplitThinking(c.text.String())
	if t := c.thinking.String(); t != "" {
		thinking = t + thinking
	}
	return game.Reply{Text: text, Thinking: thinking, Logprobs: c.logprobs}
}

// SplitThinking moves a leading <think>...</think> (or <thinking>) block out
// of a model's text. An unclosed block is all thinking: the model never got
// to its answer.
func SplitThinking(s string) (text, thinking string) {
	trimmed := strings.TrimLeft(s, " \t\r\n")
	for _, tag := range []string{"think", "thinking"} {
		open, closing := "<"+tag+">", "</"+tag+">"
		if !strings.HasPrefix(trimmed, open) {
			continue
		}
		body := trimmed[len(open):]
		i := strings.Index(body, closing)
		if i < 0 {
			return "", strings.TrimSpace(body)
		}
		return strings.TrimLeft(body[i+len(closing):], " \t\r\n"), strings.TrimSpace(body[:i])
	}
	return s, ""
}
