// Package safetext makes untrusted model output safe to print on a
// terminal: control characters and escape sequences (CSI, OSC, DCS, C1
// controls) are shown as visible text instead of being executed, so a model
// cannot clear the screen, move the cursor, set the window title or emit
// hyperlinks.
package safetext

import (
	"strings"
	"unicode/utf8"
)

// Visible returns s with every control character replaced by a visible
// stand-in: C0 controls other than newline and tab become Unicode control
// pictures (ESC is shown as "␛"), DEL as "␡", C1 controls and the invisible
// format characters listed at [invisible] as "<U+0085>"-style text, and
// invalid UTF-8 bytes as U+FFFD. Newlines and tabs are kept so
// that text still wraps. A string without controls is returned unchanged.
func Visible(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20:
			b.WriteRune(0x2400 + r) // Control Pictures block: ␀..␟
		case r == 0x7f:
			b.WriteRune('␡')
		case r >= 0x80 && r < 0xa0:
			writeCodePoint(&b, r)
		case invisible(r):
			writeCodePoint(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// invisible reports the format characters that Visible shows as code
// points: line and paragraph separators, which break lines where the
// reader sees none; bidirectional embeddings, overrides, isolates and marks
// (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C), which reorder
// the text around them so that what is shown differs from what is stored;
// and zero-width characters (U+200B–U+200D, U+2060, U+FEFF), which hide
// inside a word and make two different strings look alike.
func invisible(r rune) bool {
	switch {
	case r == 0x061c:
	case r >= 0x200b && r <= 0x200f:
	case r == 0x2028 || r == 0x2029:
	case r >= 0x202a && r <= 0x202e:
	case r == 0x2060:
	case r >= 0x2066 && r <= 0x2069:
	case r == 0xfeff:
	default:
		return false
	}
	return true
}

// writeCodePoint writes r as "<U+XXXX>".
func writeCodePoint(b *strings.Builder, r rune) {
	const hex = "0123456789ABCDEF"
	b.WriteString("<U+")
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(hex[r>>shift&0xf])
	}
	b.WriteByte('>')
}

func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c >= 0x80 {
			if c >= 0x80 {
				// Non-ASCII needs the slow path only if it holds C1 controls,
				// bidi controls or invalid UTF-8; check the rest of the string.
				return cleanUnicode(s[i:])
			}
			return false
		}
	}
	return true
}

func cleanUnicode(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 && r != '\n' && r != '\t' || r == 0x7f ||
			r >= 0x80 && r < 0xa0 || invisible(r) {
			return false
		}
		i += size
	}
	return true
}

// Truncate cuts s to at most max bytes on a rune boundary and appends a
// marker saying how much was cut. It returns s unchanged when it fits.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "… [" + itoa(len(s)-cut) + " more bytes cut]"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
