package judge

import (
	_ "embed"
	"fmt"
	"strings"
)

// irregularData is the shipped list of irregular verbs and nouns; see the
// file's header for its format.
//
//go:embed data/irregular.txt
var irregularData string

// parseIrregular reads the irregular-forms list into a map from lemma to
// its irregular forms. name is used in error messages.
func parseIrregular(name, data string) (map[string][]string, error) {
	forms := make(map[string][]string)
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		switch {
		case f[0] == "verb" && len(f) >= 4 && len(f) <= 5:
		case f[0] == "noun" && len(f) == 3:
		default:
			return nil, fmt.Errorf("%s line %d: %q: want \"verb BASE PAST PARTICIPLE [OTHER]\" or \"noun SINGULAR PLURAL\"", name, i+1, line)
		}
		for k, field := range f[1:] {
			if field == "-" && k > 0 {
				continue
			}
			for _, w := range strings.Split(field, "/") {
				if w == "" || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
					return nil, fmt.Errorf("%s line %d: form %q: use lowercase ASCII letters, alternatives separated by a single /", name, i+1, w)
				}
			}
		}
		lemma := f[1]
		for _, field := range f[2:] {
			if field != "-" {
				forms[lemma] = append(forms[lemma], strings.Split(field, "/")...)
			}
		}
	}
	return forms, nil
}

// inflector generates the forms of a word the strict judge counts as the
// same word.
type inflector struct {
	irregular map[string][]string
}

// addInflections adds prefix+f to b for w and each of its inflections f:
// plurals (pattern.en's, the regular ones and the irregular ones listed),
// third person -s, -ing and -ed with English spelling rules, and listed
// irregular verb forms. It over-generates rather than misses: a form that
// is not a word (runned) does no harm, while "caring" for car would, so
// monosyllables that double their last consonant get only the doubled
// forms (carring, carred).
func (in inflector) addInflections(b *formBuilder, prefix, w string) {
	b.add(prefix, w, "")
	if w == "" {
		return
	}
	b.add(prefix, Plural(w), "")
	for _, f := range in.irregular[w] {
		b.add(prefix, f, "")
	}
	n := len(w)
	last := w[n-1]
	var prev byte
	if n >= 2 {
		prev = w[n-2]
	}
	has := func(suffix string) bool { return strings.HasSuffix(w, suffix) }

	// Third person singular and regular plural.
	switch {
	case has("s") || has("x") || has("z") || has("ch") || has("sh"):
		b.add(prefix, w, "es")
	case last == 'y' && n >= 2 && !isVowel(prev):
		b.add(prefix, w[:n-1], "ies")
	case last == 'o' && n >= 2 && !isVowel(prev):
		b.add(prefix, w, "es")
		b.add(prefix, w, "s")
	default:
		b.add(prefix, w, "s")
	}

	// -ing and -ed.
	switch {
	case has("ie"):
		b.add(prefix, w[:n-2], "ying")
		b.add(prefix, w, "d")
	case last == 'e':
		if n >= 3 && !has("ee") && !has("ye") && !has("oe") {
			b.add(prefix, w[:n-1], "ing")
		} else {
			b.add(prefix, w, "ing")
		}
		b.add(prefix, w, "d")
	case last == 'y' && n >= 2 && !isVowel(prev):
		b.add(prefix, w, "ing")
		b.add(prefix, w[:n-1], "ied")
	case last == 'c' && n >= 2 && isVowel(prev):
		b.add(prefix, w, "king") // picnic → picnicking
		b.add(prefix, w, "ked")
		b.add(prefix, w, "ing")
		b.add(prefix, w, "ed")
	case endsCVC(w):
		double := w[n-1:]
		b.add3(prefix, w, double, "ing")
		b.add3(prefix, w, double, "ed")
		if syllables(w) > 1 { // visit → visiting, but begin → beginning
			b.add(prefix, w, "ing")
			b.add(prefix, w, "ed")
		}
	default:
		b.add(prefix, w, "ing")
		b.add(prefix, w, "ed")
	}
}

// inflections returns w and its inflections (see addInflections).
func (in inflector) inflections(w string) []string {
	var b formBuilder
	in.addInflections(&b, "", w)
	return b.set(1).forms
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u':
		return true
	}
	return false
}

func isConsonant(c byte) bool { return 'a' <= c && c <= 'z' && !isVowel(c) }

// endsCVC reports a consonant, a single vowel and a consonant other than
// w, x or y at the end of w, the pattern that doubles its consonant before
// -ing and -ed (stop → stopping). "qu" counts as a consonant (quit).
func endsCVC(w string) bool {
	n := len(w)
	if n < 3 {
		return false
	}
	c3, v, c1 := w[n-3], w[n-2], w[n-1]
	if !isConsonant(c1) || c1 == 'w' || c1 == 'x' || c1 == 'y' || !isVowel(v) {
		return false
	}
	if isConsonant(c3) {
		return true
	}
	return c3 == 'u' && n >= 4 && w[n-4] == 'q'
}

// syllables counts groups of vowels (y counts after the first letter).
func syllables(w string) int {
	count, inVowel := 0, false
	for i := 0; i < len(w); i++ {
		v := isVowel(w[i]) || (i > 0 && w[i] == 'y')
		if v && !inVowel {
			count++
		}
		inVowel = v
	}
	return count
}

// formSet is a small set of strings tuned for the question asked once per
// token: is this one of the target's forms? Most tokens are rejected by
// their length or first byte without comparing.
type formSet struct {
	forms    []string
	lens     uint64    // bit n set: some form has length n (n < 64)
	first    [4]uint64 // bit b set: some form starts with byte b
	maxLen   int
	maxWords int // tokens in the longest form (forms join tokens with a space)
}

// formBuilder collects distinct forms in one byte arena, so a target's
// forms cost a few allocations rather than one each.
type formBuilder struct {
	arena []byte
	ends  []int
}

// add adds the form a+b+c unless it is empty or already there.
func (fb *formBuilder) add(a, b, c string) { fb.add3(a, b, c, "") }

// add3 adds the form a+b+c+d unless it is empty or already there.
func (fb *formBuilder) add3(a, b, c, d string) {
	start := len(fb.arena)
	fb.arena = append(append(append(append(fb.arena, a...), b...), c...), d...)
	f := fb.arena[start:]
	prev := 0
	for _, end := range fb.ends {
		if string(fb.arena[prev:end]) == string(f) {
			f = nil
			break
		}
		prev = end
	}
	if len(f) == 0 {
		fb.arena = fb.arena[:start]
		return
	}
	fb.ends = append(fb.ends, len(fb.arena))
}

// set returns the collected forms as a formSet.
func (fb *formBuilder) set(maxWords int) formSet {
	all := string(fb.arena)
	s := formSet{forms: make([]string, len(fb.ends)), maxWords: maxWords}
	prev := 0
	for i, end := range fb.ends {
		f := all[prev:end]
		prev = end
		s.forms[i] = f
		s.lens |= 1 << min(len(f), 63) // bit 63: some form is 63+ bytes long
		s.first[f[0]>>6] |= 1 << (f[0] & 63)
		s.maxLen = max(s.maxLen, len(f))
	}
	return s
}

// has reports whether b is one of the forms.
func (s *formSet) has(b []byte) bool {
	n := len(b)
	if n == 0 || n > s.maxLen || s.lens&(1<<min(n, 63)) == 0 || s.first[b[0]>>6]&(1<<(b[0]&63)) == 0 {
		return false
	}
	for _, f := range s.forms {
		if len(f) == n && string(b) == f {
			return true
		}
	}
	return false
}
