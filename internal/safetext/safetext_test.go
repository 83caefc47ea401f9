package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestVisible(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Is it a fruit?", "Is it a fruit?"},
		{"newline and tab kept", "a\n\tb", "a\n\tb"},
		{"clear screen CSI", "hi\x1b[2J\x1b[H", "hi␛[2J␛[H"},
		{"window title OSC", "\x1b]0;pwned\x07", "␛]0;pwned␇"},
		{"hyperlink OSC 8", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "␛]8;;http://x␛\\link␛]8;;␛\\"},
		{"C1 CSI", "a\u009b31mb", "a<U+009B>31mb"},
		{"carriage return", "ok\rFAKE", "ok␍FAKE"},
		{"backspace and DEL", "x\b\x7f", "x␈␡"},
		{"bidi override", "abc\u202edcba", "abc<U+202E>dcba"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"bidi embeddings and pop", "a\u202ab\u202bc\u202cd", "a<U+202A>b<U+202B>c<U+202C>d"},
		{"bidi marks", "\u200eL\u200fR\u061cA", "<U+200E>L<U+200F>R<U+061C>A"},
		{"bidi isolates", "\u2066x\u2069", "<U+2066>x<U+2069>"},
		{"zero width space joiners", "pass\u200bword\u200c\u200d", "pass<U+200B>word<U+200C><U+200D>"},
		{"word joiner and BOM", "a\u2060b\ufeffc", "a<U+2060>b<U+FEFF>c"},
		{"line and paragraph separators", "a\u2028b\u2029", "a<U+2028>b<U+2029>"},
		{"neighbours kept", "\u2010\u2030\u200a\u2061\u061b", "\u2010\u2030\u200a\u2061\u061b"},
		{"unicode kept", "café 🍎", "café 🍎"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Visible(tt.in); got != tt.want {
				t.Errorf("Visible(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("short", 10); got != "short" {
		t.Errorf("got %q", got)
	}
	got := Truncate("ééééé", 3) // é is 2 bytes: cut must not split one
	if !strings.HasPrefix(got, "é…") || !strings.Contains(got, "[8 more bytes cut]") {
		t.Errorf("got %q", got)
	}
}

func FuzzVisible(f *testing.F) {
	for _, s := range []string{"", "a\x1b[2Jb", "\u009b", "\xff\xfe", "ok\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := Visible(s)
		if !utf8.ValidString(v) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range v {
			if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || invisible(r) {
				t.Fatalf("control %U left in %q", r, v)
			}
		}
		if Visible(v) != v {
			t.Fatalf("not idempotent on %q", s)
		}
	})
}
