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
		for _, field := range f[1:] {
			for _, w := range strings.Split(field, "/") {
				if w == "" || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
					return nil, fmt.Errorf("%s line %d: form %q: use lowercase ASCII letters, alternatives separated by a single /", name, i+1, w)
				}
			}
		}
		lemma := f[1]
		for _, field := range f[2:] {
			forms[lemma] = append(forms[lemma], strings.Split(field, "/")...)
		}
	}
	return forms, nil
}

// inflector generates the forms of a word the strict judge counts as the
// same word.
type inflector struct {
	irregular map[string][]string
}

// inflections returns w and its inflections: plurals (pattern.en's, the
// regular ones and the irregular ones listed), third person -s, -ing and
// -ed with English spelling rules, and listed irregular verb forms.
// It over-generates rather than misses: a form that is not a word (runned)
// does no harm, while "caring" for car would, so monosyllables that double
// their last consonant get only the doubled forms (carring, carred).
func (in inflector) inflections(w string) []string {
	out := []string{w}
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	if w == "" {
		return out
	}
	add(Plural(w))
	for _, f := range in.irregular[w] {
		add(f)
	}
	n := len(w)
	last := w[n-1]
	var prev byte
	if n >= 2 {
		prev = w[n-2]
	}

	// Third person singular and regular plural.
	switch {
	case strings.HasSuffix(w, "s") || strings.HasSuffix(w, "x") || strings.HasSuffix(w, "z") ||
		strings.HasSuffix(w, "ch") || strings.HasSuffix(w, "sh"):
		add(w + "es")
	case last == 'y' && n >= 2 && !isVowel(prev):
		add(w[:n-1] + "ies")
	case last == 'o' && n >= 2 && !isVowel(prev):
		add(w + "es")
		add(w + "s")
	default:
		add(w + "s")
	}

	// -ing and -ed.
	switch {
	case strings.HasSuffix(w, "ie"):
		add(w[:n-2] + "ying")
		add(w + "d")
	case last == 'e':
		if n >= 3 && !strings.HasSuffix(w, "ee") && !strings.HasSuffix(w, "ye") && !strings.HasSuffix(w, "oe") {
			add(w[:n-1] + "ing")
		} else {
			add(w + "ing")
		}
		add(w + "d")
	case last == 'y' && n >= 2 && !isVowel(prev):
		add(w + "ing")
		add(w[:n-1] + "ied")
	case last == 'c' && n >= 2 && isVowel(prev):
		add(w + "king") // picnic → picnicking
		add(w + "ked")
		add(w + "ing")
		add(w + "ed")
	case endsCVC(w):
		double := w + string(last)
		add(double + "ing")
		add(double + "ed")
		if syllables(w) > 1 { // visit → visiting, but begin → beginning
			add(w + "ing")
			add(w + "ed")
		}
	default:
		add(w + "ing")
		add(w + "ed")
	}
	return out
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

// newFormSet stores forms (deduplicated) in one backing string.
func newFormSet(forms []string, maxWords int) formSet {
	var b strings.Builder
	var uniq []string
	for _, f := range forms {
		if f == "" || containsString(uniq, f) {
			continue
		}
		uniq = append(uniq, f)
		b.WriteString(f)
	}
	s := formSet{forms: make([]string, len(uniq)), maxWords: maxWords}
	all, off := b.String(), 0
	for i, f := range uniq {
		s.forms[i] = all[off : off+len(f)]
		off += len(f)
		if len(f) < 64 {
			s.lens |= 1 << len(f)
		} else {
			s.lens |= 1 << 63 // make "some form is 63+ long" cheap to test
		}
		s.first[f[0]>>6] |= 1 << (f[0] & 63)
		s.maxLen = max(s.maxLen, len(f))
	}
	return s
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
