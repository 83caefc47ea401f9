// Package safetext makes untrusted model output safe to print on a
// terminal: control characters and escape sequences (CSI, OSC, DCS, C1
// controls) are shown as visible text instead of being executed, so a model
// cannot clear the screen, move the cursor, set the window title or emit
// hyperlinks.
package safetext

import (
	"errors"
	"strings"
	"unicode"
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

// invisible reports the characters that Visible shows as code points
// although they are not controls: every format character (Unicode's Cf:
// the soft hyphen U+00AD, the Mongolian vowel separator U+180E, the
// invisible operators U+2061–U+2064, the bidirectional embeddings,
// overrides, isolates and marks U+202A–U+202E, U+2066–U+2069, U+200E/U+200F
// and U+061C, which reorder the text around them so that what is shown
// differs from what is stored, and the zero-width characters U+200B–U+200D,
// U+2060 and U+FEFF, which hide inside a word and make two different
// strings look alike); the tag characters U+E0000–U+E007F, which can spell
// a hidden message; the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0),
// letters that draw nothing; and the line and paragraph separators, which
// break lines where the reader sees none.
func invisible(r rune) bool {
	switch {
	case r < 0xad:
		return false // the common case, ASCII and Latin-1 letters, first
	case r >= 0xe0000 && r <= 0xe007f:
	case r == 0x115f || r == 0x1160 || r == 0x3164 || r == 0xffa0:
	case r == 0x2028 || r == 0x2029:
	case unicode.Is(unicode.Cf, r):
	default:
		return false
	}
	return true
}

// writeCodePoint writes r as "<U+XXXX>", with more digits past U+FFFF.
func writeCodePoint(b *strings.Builder, r rune) {
	const hex = "0123456789ABCDEF"
	b.WriteString("<U+")
	shift := 12
	for shift < 20 && r>>(shift+4) != 0 {
		shift += 4
	}
	for ; shift >= 0; shift -= 4 {
		b.WriteByte(hex[r>>shift&0xf])
	}
	b.WriteByte('>')
}

// Hidden returns the first character of s that a reader could not see as
// itself, for names such as a target word that must read as what they
// are: a byte of invalid UTF-8 (as [utf8.RuneError], with ok true), the
// replacement character U+FFFD that a JSON decoder leaves for one, any
// control character including NUL, newline and tab, and every character
// [Visible] shows as a code point. ok is false when there is none.
func Hidden(s string) (r rune, ok bool) {
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r >= 0x7f && r < 0xa0 || invisible(r) {
			return r, true
		}
	}
	return 0, false
}

// CheckName returns an error saying why s cannot serve as a name that a
// person reads and a judge compares (a target word, a query): it holds a
// character that [Hidden] reports. The message reads after the name, as in
// `"ab\u202ecd" contains the invisible character U+202E`. nil when s is
// fine.
func CheckName(s string) error {
	r, bad := Hidden(s)
	switch {
	case !bad:
		return nil
	case r == utf8.RuneError:
		return errors.New("contains invalid UTF-8 (or U+FFFD, which a decoder leaves in its place)")
	case r < 0x20 || r >= 0x7f && r < 0xa0:
		return errors.New("contains the control character " + CodePoint(r))
	}
	return errors.New("contains the invisible character " + CodePoint(r))
}

// CodePoint names r as "U+XXXX", the way errors about hidden characters
// should, since printing r itself would hide it again.
func CodePoint(r rune) string {
	var b strings.Builder
	writeCodePoint(&b, r)
	return strings.Trim(b.String(), "<>")
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
