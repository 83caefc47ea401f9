package judge

import (
	"encoding/binary"
	"unicode"
	"unicode/utf8"
)

// This file reproduces Python's str.lower(), which the SPAG reference
// applies to targets and utterances. Python lowers with the full Unicode
// mapping: İ (U+0130) becomes "i" + U+0307 (two code points) and a capital
// sigma becomes ς at the end of a word, σ elsewhere. Every other code point
// uses its simple lowercase mapping, which is what unicode.ToLower gives.
// Go's tables are Unicode 15.0; Python's depend on its version (14.0 in
// 3.11, 15.0 in 3.12), so letters added in between may differ.
//
// Invalid UTF-8 cannot occur in a Python string; here each invalid byte is
// kept as it is (and counts as one character, as it does for Go's regexp).

// appendPyLower appends the Python lowercase of s to dst. ascii reports
// whether s was pure ASCII, in which case byte offsets are unchanged.
func appendPyLower(dst []byte, s string) (out []byte, ascii bool) {
	dst, i := appendLowerASCII(dst, s)
	if i == len(s) {
		return dst, true
	}
	for i < len(s) {
		if s[i] < utf8.RuneSelf {
			var n int
			dst, n = appendLowerASCII(dst, s[i:])
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = appendPyLowerRune(dst, s, i, r, size)
		i += size
	}
	return dst, false
}

// appendPyLowerRune appends the lowercase of the rune r of size bytes at
// s[i:]; s is needed for the final-sigma context.
func appendPyLowerRune(dst []byte, s string, i int, r rune, size int) []byte {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(dst, byte(r))
	case r == utf8.RuneError && size == 1:
		return append(dst, s[i])
	case r == 'İ':
		return append(dst, "i\u0307"...)
	case r == 'Σ':
		if finalSigma(s, i, size) {
			return utf8.AppendRune(dst, 'ς')
		}
		return utf8.AppendRune(dst, 'σ')
	}
	return utf8.AppendRune(dst, unicode.ToLower(r))
}

// pyLowerLen is the byte length of the lowercase of the rune at s[i:].
func pyLowerLen(s string, i int, r rune, size int) int {
	var buf [8]byte
	return len(appendPyLowerRune(buf[:0], s, i, r, size))
}

// pyLowerSpan maps the byte span [lo, hi) of the Python lowercase of s
// back to a span of s. A span that starts or ends inside the lowercase of
// one code point covers that whole code point.
func pyLowerSpan(s string, lo, hi int) (start, end int) {
	start, end = -1, -1
	low := 0 // offset in the lowercase text of the rune at i
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		n := pyLowerLen(s, i, r, size)
		if start < 0 && lo < low+n {
			start = i
		}
		if end < 0 && hi <= low+n && hi > low {
			end = i + size
		}
		low += n
		i += size
	}
	if start < 0 {
		start = len(s)
	}
	if end < 0 || hi <= lo {
		end = start
	}
	return start, end
}

// finalSigma reports whether the capital sigma at s[i:i+size] ends a word
// in the sense of Unicode's Final_Sigma condition, as Python checks it: a
// cased letter before it and none after it, skipping case-ignorable code
// points both ways.
func finalSigma(s string, i, size int) bool {
	j := i
	cased := false
	for j > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		j -= n
		if !isCaseIgnorable(r) {
			cased = isCased(r)
			break
		}
	}
	if !cased {
		return false
	}
	for j = i + size; j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		j += n
		if !isCaseIgnorable(r) {
			return !isCased(r)
		}
	}
	return true
}

// isCased is Unicode's Cased property: Lowercase, Uppercase or Lt.
func isCased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// isCaseIgnorable is Unicode's Case_Ignorable property: marks, format
// characters, modifiers and the Word_Break MidLetter, MidNumLet and
// Single_Quote characters.
func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '·', 0x387, 0x55F, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// appendLowerASCII appends the lowercase of the longest ASCII prefix of s
// and returns its length. It works on 8 bytes at a time: utterances are
// mostly ASCII, and both judges lower every one.
func appendLowerASCII(dst []byte, s string) ([]byte, int) {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		if x&high != 0 {
			break
		}
		// With every byte below 0x80 these sums cannot carry into the next
		// byte: the high bit of a byte says whether it is >= 'A' (resp.
		// > 'Z').
		atLeastA := (x + (0x80-'A')*ones) & high
		aboveZ := (x + (0x80-'Z'-1)*ones) & high
		x |= (atLeastA &^ aboveZ) >> 2 // 0x80>>2 is the case bit 0x20
		dst = binary.LittleEndian.AppendUint64(dst, x)
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			break
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, i
}
