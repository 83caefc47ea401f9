package apo_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo"
)

func TestParseScores(t *testing.T) {
	tests := []struct {
		text string
		a, b float64
		span string
		err  string
	}{
		{text: "A: 7\nB: 3", a: 7, b: 3, span: "A: 7\nB: 3"},
		{text: "b = 2.5\r\na=.5", a: 0.5, b: 2.5, span: "b = 2.5\r\na=.5"},
		{text: "Response A: 8/10\nResponse B: 9 / 10.", a: 8, b: 9, span: "Response A: 8/10\nResponse B: 9 / 10."},
		{text: "Thoughts first.\n  A: 0  \nB: +4\nDone.", a: 0, b: 4, span: "A: 0  \nB: +4"},
		{text: "A: 10\nB: 0.0", a: 10, b: 0, span: "A: 10\nB: 0.0"},
		{text: "A: -1\nB: 3", err: "rating -1 is outside 0 to 10"},
		{text: "A: 7\nB: 999999", err: "rating 999999 is outside 0 to 10"},
		{text: "A: 7, B: 3", err: "no rating lines"},
		{text: "A: seven\nB: 3", err: "A is not rated"},
		{text: "A: 7", err: "B is not rated"},
		{text: "B: 1\nB: 2\nA: 3", err: "B is rated twice"},
		{text: "", err: "no rating lines"},
	}
	for _, tt := range tests {
		got, err := apo.ParseScores(tt.text)
		if tt.err != "" {
			if !errors.Is(err, apo.ErrUnreadableScores) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseScores(%q) err = %v, want %q", tt.text, err, tt.err)
			}
			continue
		}
		if err != nil || got.A != tt.a || got.B != tt.b || tt.text[got.Start:got.End] != tt.span {
			t.Errorf("ParseScores(%q) = %+v (%q), %v", tt.text, got, tt.text[max(got.Start, 0):got.End], err)
		}
	}
}

func FuzzParseScores(f *testing.F) {
	for _, s := range []string{"A: 7\nB: 3", "B=1\nA=2", "Response A: 8/10\nResponse B: 9 / 10.", "A: 1e9\nB: 99999999999999999999999", "x\nA:\nB: 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := apo.ParseScores(text)
		if err != nil {
			if !errors.Is(err, apo.ErrUnreadableScores) {
				t.Fatalf("error %v does not wrap ErrUnreadableScores", err)
			}
			return
		}
		if s.Start < 0 || s.Start > s.End || s.End > len(text) {
			t.Fatalf("span [%d, %d) outside %d bytes", s.Start, s.End, len(text))
		}
		if math.IsNaN(s.A) || math.IsNaN(s.B) || s.A < 0 || s.B < 0 || s.A > apo.MaxRating || s.B > apo.MaxRating {
			t.Fatalf("scores off the scale %+v", s)
		}
		span := text[s.Start:s.End]
		if !strings.ContainsAny(span, "aA") || !strings.ContainsAny(span, "bB") {
			t.Fatalf("span %q lacks a rating", span)
		}
	})
}
