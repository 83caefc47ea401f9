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
		{"neighbours kept", "\u2010\u2030\u200a\u061b\u00ac\u00ae\u3163\u3165", "\u2010\u2030\u200a\u061b\u00ac\u00ae\u3163\u3165"},
		{"tag characters", "ok\U000E0001\U000E0041\U000E007F", "ok<U+E0001><U+E0041><U+E007F>"},
		{"first tag code point", "\U000E0000", "<U+E0000>"},
		{"soft hyphen", "pass\u00adword", "pass<U+00AD>word"},
		{"mongolian vowel separator", "a\u180eb", "a<U+180E>b"},
		{"invisible operators", "\u2061\u2062\u2063\u2064", "<U+2061><U+2062><U+2063><U+2064>"},
		{"hangul fillers", "\u3164\u115f\u1160\uffa0", "<U+3164><U+115F><U+1160><U+FFA0>"},
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

func TestHidden(t *testing.T) {
	tests := []struct {
		in   string
		want rune // 0 for none
	}{
		{"apple", 0},
		{"café", 0},
		{"two words", 0},
		{"a\x00b", 0},
		{"a\xffb", utf8.RuneError},
		{"a\ufffdb", utf8.RuneError},
		{"ab\u202ecd", 0x202e},
		{"x\U000E0041", 0xe0041},
		{"tab\there", '\t'},
		{"\u0085", 0x85},
	}
	for _, tt := range tests {
		r, ok := Hidden(tt.in)
		if ok != (tt.want != 0 || tt.in == "a\x00b") || ok && r != tt.want {
			t.Errorf("Hidden(%q) = %q, %v; want %q", tt.in, r, ok, tt.want)
		}
	}
	if got := CodePoint(0x202e) + " " + CodePoint(0xe0041); got != "U+202E U+E0041" {
		t.Errorf("CodePoint: %q", got)
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
