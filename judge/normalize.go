package judge

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// folded is text as the strict judge compares it, with a map back to the
// original bytes. Folding, code point by code point:
//
//   - invisible characters are removed: format characters (zero-width
//     space and joiners, soft hyphen, byte-order mark, bidirectional
//     controls), variation selectors and Hangul fillers;
//   - the compatibility decomposition (NFKD) is taken and combining marks
//     dropped, which covers everything NFKC folds (fullwidth letters,
//     ligatures, mathematical letters, superscripts) and also strips
//     accents, so "café" and "cafe" compare equal;
//   - Cyrillic, Greek and small-capital letters that look like Latin ones
//     become those Latin letters;
//   - letters are lowered (ß becomes "ss", final ς becomes σ);
//   - curly apostrophes become ', curly double quotes " and dashes -;
//   - an invalid UTF-8 byte becomes a space.
//
// Digits used as letters ("appl3") are not folded.
type folded struct {
	text []byte
	// start[i] and end[i] are the original span of the code point that
	// produced text[i]; both are empty when text maps 1:1 (ASCII input).
	start, end []int32
	srcLen     int // length of the original text
}

// fold replaces f's content with the folding of s.
func (f *folded) fold(s string) {
	f.start, f.end, f.srcLen = f.start[:0], f.end[:0], len(s)
	var i int
	f.text, i = appendLowerASCII(f.text[:0], s)
	if i == len(s) {
		return
	}
	// Not ASCII: fold the rest rune by rune and keep the map, including
	// for the ASCII prefix already written.
	if cap(f.start) == 0 {
		f.start = make([]int32, 0, 2*len(s))
		f.end = make([]int32, 0, 2*len(s))
	}
	for k := range i {
		f.start = append(f.start, int32(k))
		f.end = append(f.end, int32(k+1))
	}
	for i < len(s) {
		if s[i] < utf8.RuneSelf {
			var k int
			f.text, k = appendLowerASCII(f.text, s[i:])
			for j := i; j < i+k; j++ {
				f.start = append(f.start, int32(j))
				f.end = append(f.end, int32(j+1))
			}
			i += k
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n := len(f.text)
		switch {
		case r == utf8.RuneError && size == 1:
			f.text = append(f.text, ' ')
		case isInvisible(r):
		default:
			// The table holds each code point's full decomposition (nil
			// when it has none, Hangul syllables included, which are then
			// kept whole). Marks are dropped, so their order is moot.
			d := norm.NFKD.PropertiesString(s[i : i+size]).Decomposition()
			if d == nil {
				d = []byte(s[i : i+size])
			}
			for len(d) > 0 {
				c, n := utf8.DecodeRune(d)
				d = d[n:]
				if !isInvisible(c) && !unicode.In(c, unicode.Mn, unicode.Me) {
					f.text = appendFoldedRune(f.text, c)
				}
			}
		}
		for range len(f.text) - n {
			f.start = append(f.start, int32(i))
			f.end = append(f.end, int32(i+size))
		}
		i += size
	}
}

// span maps the span [lo, hi) of f.text back to the original text.
func (f *folded) span(lo, hi int) (int, int) {
	if len(f.start) == 0 {
		return lo, hi
	}
	if hi <= lo {
		if lo >= len(f.start) {
			return f.srcLen, f.srcLen
		}
		return int(f.start[lo]), int(f.start[lo])
	}
	// Code points folded to nothing (marks, invisible characters) right
	// after the span belong to it: "cafe\u0301" is one word.
	next := f.srcLen
	if hi < len(f.start) {
		next = int(f.start[hi]) // inside one code point's folding when equal to start[hi-1]
	}
	return int(f.start[lo]), max(int(f.end[hi-1]), next)
}

// isInvisible reports code points that render as nothing and can hide
// inside a word.
func isInvisible(r rune) bool {
	switch {
	case 0xFE00 <= r && r <= 0xFE0F, 0xE0100 <= r && r <= 0xE01EF: // variation selectors
		return true
	case r == 0x115F, r == 0x1160, r == 0x3164, r == 0xFFA0: // Hangul fillers
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// appendFoldedRune appends the look-alike, punctuation and case folding of
// a code point that is already decomposed.
func appendFoldedRune(dst []byte, r rune) []byte {
	r = unconfusable(r)
	switch r {
	case '\u2018', '\u2019', '\u201B', '\u02BC', '\u2032', '\u00B4':
		r = '\''
	case '\u201C', '\u201D', '\u201E', '\u201F', '\u2033', '\u00AB', '\u00BB':
		r = '"'
	case '\u2010', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\u2043':
		r = '-'
	}
	r = unicode.ToLower(r)
	switch r {
	case 'ß':
		return append(dst, "ss"...)
	case 'ς':
		r = 'σ'
	}
	return utf8.AppendRune(dst, r)
}

// unconfusable maps letters that look like Latin letters to those letters:
// Cyrillic and Greek homoglyphs and Latin small capitals.
func unconfusable(r rune) rune {
	if r < 0x100 {
		return r
	}
	switch r {
	// Cyrillic capitals.
	case 'А':
		return 'A'
	case 'В':
		return 'B'
	case 'Е':
		return 'E'
	case 'Ѕ':
		return 'S'
	case 'І', 'Ӏ':
		return 'I'
	case 'Ј':
		return 'J'
	case 'К':
		return 'K'
	case 'М':
		return 'M'
	case 'Н', 'Һ':
		return 'H'
	case 'О':
		return 'O'
	case 'Р':
		return 'P'
	case 'С':
		return 'C'
	case 'Т':
		return 'T'
	case 'Х':
		return 'X'
	case 'У', 'Ү':
		return 'Y'
	case 'Ԛ':
		return 'Q'
	case 'Ԝ':
		return 'W'
	// Cyrillic small letters.
	case 'а':
		return 'a'
	case 'е':
		return 'e'
	case 'о':
		return 'o'
	case 'р':
		return 'p'
	case 'с':
		return 'c'
	case 'у', 'ү':
		return 'y'
	case 'х':
		return 'x'
	case 'ѕ':
		return 's'
	case 'і':
		return 'i'
	case 'ј':
		return 'j'
	case 'һ':
		return 'h'
	case 'ԁ':
		return 'd'
	case 'ԛ':
		return 'q'
	case 'ԝ':
		return 'w'
	case 'ӏ':
		return 'l'
	case 'ѵ':
		return 'v'
	// Greek capitals.
	case 'Α':
		return 'A'
	case 'Β':
		return 'B'
	case 'Ε':
		return 'E'
	case 'Ζ':
		return 'Z'
	case 'Η':
		return 'H'
	case 'Ι':
		return 'I'
	case 'Κ':
		return 'K'
	case 'Μ':
		return 'M'
	case 'Ν':
		return 'N'
	case 'Ο':
		return 'O'
	case 'Ρ':
		return 'P'
	case 'Τ':
		return 'T'
	case 'Υ':
		return 'Y'
	case 'Χ':
		return 'X'
	// Greek small letters.
	case 'α':
		return 'a'
	case 'ε':
		return 'e'
	case 'ι':
		return 'i'
	case 'κ':
		return 'k'
	case 'ν':
		return 'v'
	case 'ο':
		return 'o'
	case 'ρ':
		return 'p'
	case 'τ':
		return 't'
	case 'υ':
		return 'u'
	case 'χ':
		return 'x'
	case 'ϲ':
		return 'c'
	case 'ϳ':
		return 'j'
	// Latin letters that look like others.
	case 'ı':
		return 'i'
	case 'ȷ':
		return 'j'
	case 'ɑ':
		return 'a'
	case 'ɡ':
		return 'g'
	// Latin small capitals.
	case 'ᴀ':
		return 'a'
	case 'ʙ':
		return 'b'
	case 'ᴄ':
		return 'c'
	case 'ᴅ':
		return 'd'
	case 'ᴇ':
		return 'e'
	case 'ɢ':
		return 'g'
	case 'ʜ':
		return 'h'
	case 'ɪ':
		return 'i'
	case 'ᴊ':
		return 'j'
	case 'ᴋ':
		return 'k'
	case 'ʟ':
		return 'l'
	case 'ᴍ':
		return 'm'
	case 'ɴ':
		return 'n'
	case 'ᴏ':
		return 'o'
	case 'ᴘ':
		return 'p'
	case 'ʀ':
		return 'r'
	case 'ꜱ':
		return 's'
	case 'ᴛ':
		return 't'
	case 'ᴜ':
		return 'u'
	case 'ᴠ':
		return 'v'
	case 'ᴡ':
		return 'w'
	case 'ʏ':
		return 'y'
	case 'ᴢ':
		return 'z'
	}
	return r
}

// isWordRune reports the code points that make up words: letters, digits
// and the spacing marks some scripts write inside words.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || 'A' <= r && r <= 'Z'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}
