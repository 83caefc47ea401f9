package judge

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Spag reproduces the judging of the SPAG reference code (Linear95/SPAG,
// tools/assign_rewards.py) exactly, quirks included, so that outcome
// counts can be compared with the paper's:
//
//   - Target and utterance are lowered with Python's str.lower().
//   - The target's forms are w, w+"ing", w+"ed" and the plural of w (see
//     [Plural]); each also wrapped in "double", 'single' and `back` quotes:
//     16 strings.
//   - An utterance mentions the target if any form is a substring of it:
//     "Sunday" mentions sun, "careful" mentions car.
//   - A guess statement is a match of the regular expression
//     `i know the word! it.{1,8}` (8 code points at most, none a newline);
//     "I know the word!!! It is" is not one.
//   - A guess is correct if that expression immediately followed by a form
//     matches: "It is `musician`" is correct for music and "It is the dog!"
//     for dog, "It is something like water" is not correct for water.
//
// The reference builds the last expression by appending the form without
// escaping it. For a target with regular-expression syntax in it (rare),
// Spag compiles the same expression with Go's regexp package. Where RE2
// and Python's re disagree, results may differ: Python-only syntax
// (look-around, back-references, possessive quantifiers) does not compile
// in Go, and Spag then matches the form literally where the reference
// would crash or match differently (a target that is not valid UTF-8,
// which Python cannot represent, is also matched literally); \w, \d, \s
// and \b are Unicode-aware in Python and ASCII in Go; Python's $ also
// matches before a final newline. Other targets are matched by hand,
// without regular expressions, with the same results.
//
// The plural is taken from the first word of the target, as TextBlob's
// tokenizer would give it: the first space-separated field with ASCII
// punctuation trimmed (NLTK's tokenizer also splits contractions such as
// "don't", which Spag does not). A target without a word (empty, or only
// punctuation) uses the lowered target itself where the reference would
// crash; an empty target is a substring of every utterance, so its first
// utterance decides.
//
// Spag is safe for concurrent use; it remembers the forms of the targets
// it has seen (see targetCache). Use it through a pointer.
type Spag struct {
	targets targetCache[*spagTarget]
}

// spagTarget is what Spag derives from one target, shared read-only by its
// episodes.
type spagTarget struct {
	word, plural string
	forms        [spagForms]string
	guessRE      *[spagForms]*regexp.Regexp // for forms with regexp syntax; usually nil
}

// NewSpag returns the SPAG-compatible judge.
func NewSpag() *Spag { return &Spag{} }

// Name returns "spag".
func (*Spag) Name() string { return "spag" }

// Version returns the rule version; it changes whenever any verdict could.
func (*Spag) Version() int { return 1 }

// Judge decides a whole history; see [Judge].
func (s *Spag) Judge(target string, maxTurns int, history []Utterance) Verdict {
	return judgeHistory(s.Start(target, maxTurns), history)
}

// guessPrefix is the fixed part of the reference's guess expression.
const guessPrefix = "i know the word! it"

// spagForms is the number of target forms the reference builds.
const spagForms = 16

// Start returns an incremental judge for one episode.
func (s *Spag) Start(target string, maxTurns int) Episode {
	// low has room for a typical utterance, so Next rarely grows it.
	return &spagEpisode{counter: counter{limit: 2 * maxTurns}, low: make([]byte, 0, 256),
		spagTarget: s.targets.get(target, func() *spagTarget { return prepareSpag(target) })}
}

// prepareSpag builds the reference's 16 forms of target.
func prepareSpag(target string) *spagTarget {
	w := target
	if !isLowerASCII(target) {
		lower, _ := appendPyLower(nil, target)
		w = string(lower)
	}
	plural := w
	if first := textBlobFirstWord(w); first != "" {
		plural = Plural(first)
	}
	e := &spagTarget{}

	// All 16 forms share one backing string, in the reference's order:
	// w, w+"ing", w+"ed", plural, then each quote style around each of
	// them.
	var b strings.Builder
	b.Grow(4*(3*len(w)+len(plural)+5) + 24)
	var ends [spagForms]int
	k := 0
	for _, q := range [...]string{"", `"`, "'", "`"} {
		for _, f := range [...][2]string{{w, ""}, {w, "ing"}, {w, "ed"}, {plural, ""}} {
			b.WriteString(q)
			b.WriteString(f[0])
			b.WriteString(f[1])
			b.WriteString(q)
			ends[k] = b.Len()
			k++
		}
	}
	all := b.String()
	prev := 0
	for i, end := range ends {
		e.forms[i] = all[prev:end]
		prev = end
	}
	e.word, e.plural = e.forms[0], e.forms[3]

	// Forms with regular-expression syntax are matched the way the
	// reference matches them: as part of an expression. Quotes are not
	// syntax, so checking the plain forms is enough.
	if strings.ContainsAny(w, regexpSyntax) || strings.ContainsAny(plural, regexpSyntax) {
		for i, f := range e.forms {
			if !strings.ContainsAny(f, regexpSyntax) {
				continue
			}
			// Where Go cannot compile it (Python-only syntax, invalid
			// UTF-8), the form stays nil here and is matched literally.
			if re, err := regexp.Compile(`i know the word! it.{1,8}` + f); err == nil {
				if e.guessRE == nil {
					e.guessRE = new([spagForms]*regexp.Regexp)
				}
				e.guessRE[i] = re
			}
		}
	}
	return e
}

// regexpSyntax lists the bytes regexp.QuoteMeta escapes.
const regexpSyntax = `\.+*?()|[]{}^$`

// textBlobFirstWord approximates the first word TextBlob's tokenizer finds
// in s: the first space-separated field with ASCII punctuation trimmed from
// both ends that is not empty.
func textBlobFirstWord(s string) string {
	for s != "" {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			end = len(s)
		}
		if f := strings.Trim(s[:end], asciiPunctuation); f != "" {
			return f
		}
		s = s[end:]
	}
	return ""
}

// isLowerASCII reports whether s is ASCII without capital letters, so that
// lowering it changes nothing.
func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// asciiPunctuation is Python's string.punctuation.
const asciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

type spagEpisode struct {
	counter
	*spagTarget
	low []byte // lowered utterance, reused
}

// Next judges the next utterance.
func (e *spagEpisode) Next(u Utterance) (Verdict, bool) {
	if e.over {
		return e.final, true
	}
	e.n++
	var ascii bool
	e.low, ascii = appendPyLower(e.low[:0], u.Text)

	v := Verdict{}
	var lo, hi int
	if u.Role == Defender {
		if glo, ghi, ok := e.guess(); ok {
			if clo, chi, ok := e.correctGuess(); ok {
				v.Outcome, v.Rule, lo, hi = DefenderWins, RuleDefenderCorrectGuess, clo, chi
			} else {
				v.Outcome, v.Rule, lo, hi = AttackerWins, RuleDefenderWrongGuess, glo, ghi
			}
		} else if e.mentions() {
			lo, hi = e.mention()
			v.Outcome, v.Rule = AttackerWins, RuleDefenderSaidTarget
		}
	} else {
		if e.mentions() {
			lo, hi = e.mention()
			v.Outcome, v.Rule = AttackerBrokeRules, RuleAttackerSaidTarget
		} else if glo, ghi, ok := e.guess(); ok {
			v.Outcome, v.Rule, lo, hi = AttackerBrokeRules, RuleAttackerGuessStatement, glo, ghi
		}
	}
	if v.Outcome != Undecided {
		if !ascii {
			lo, hi = pyLowerSpan(u.Text, lo, hi)
		}
		v.Evidence = Evidence{Utterance: e.n, Start: lo, End: hi}
	}
	return e.decide(v)
}

// mentions is the reference's has_target_word. Every quoted form contains
// its plain form and w+"ing", w+"ed" contain w, so any of the 16 forms is
// a substring exactly when w or the plural is.
func (e *spagEpisode) mentions() bool {
	return bytes.Contains(e.low, []byte(e.word)) || bytes.Contains(e.low, []byte(e.plural))
}

// mention returns the leftmost occurrence of the first form, in the
// reference's order, that occurs in the lowered utterance.
func (e *spagEpisode) mention() (lo, hi int) {
	for _, f := range e.forms {
		if i := bytes.Index(e.low, []byte(f)); i >= 0 {
			return i, i + len(f)
		}
	}
	return 0, 0 // not reached: callers check mentions first
}

// guess finds the leftmost match of `i know the word! it.{1,8}`; like the
// reference's greedy expression it extends over up to 8 code points, none
// of them a newline.
func (e *spagEpisode) guess() (lo, hi int, ok bool) {
	for from := 0; ; {
		i := e.indexPrefix(from)
		if i < 0 {
			return 0, 0, false
		}
		var ends [8]int
		if n := e.afterPrefix(i+len(guessPrefix), &ends); n > 0 {
			return i, ends[n-1], true
		}
		from = i + 1
	}
}

// indexPrefix returns the offset of the first guessPrefix at or after
// from, or -1. It looks for the prefix's "!", a rare byte in text, rather
// than its frequent "i".
func (e *spagEpisode) indexPrefix(from int) int {
	const bang = len("i know the word")
	for p := from + bang; p < len(e.low); {
		j := bytes.IndexByte(e.low[p:], '!')
		if j < 0 {
			return -1
		}
		p += j
		if start := p - bang; string(e.low[start:min(start+len(guessPrefix), len(e.low))]) == guessPrefix {
			return start
		}
		p++
	}
	return -1
}

// afterPrefix stores in ends the offsets just past each of the first 8
// code points from start, stopping at a newline or the end of the text,
// and returns how many it stored.
func (e *spagEpisode) afterPrefix(start int, ends *[8]int) int {
	n := 0
	for p := start; n < len(ends) && p < len(e.low) && e.low[p] != '\n'; n++ {
		_, size := utf8.DecodeRune(e.low[p:])
		p += size
		ends[n] = p
	}
	return n
}

// correctGuess is the reference's is_correct_prediction: it tries each
// form's expression in order and reports the leftmost match of the first
// one that matches, with `.{1,8}` as greedy as Python's.
func (e *spagEpisode) correctGuess() (lo, hi int, ok bool) {
	for i, f := range e.forms {
		if e.guessRE != nil && e.guessRE[i] != nil {
			re := e.guessRE[i]
			if m := re.FindIndex(e.low); m != nil {
				return m[0], m[1], true
			}
			continue
		}
		for from := 0; ; {
			j := e.indexPrefix(from)
			if j < 0 {
				break
			}
			var ends [8]int
			for k := e.afterPrefix(j+len(guessPrefix), &ends) - 1; k >= 0; k-- {
				if bytes.HasPrefix(e.low[ends[k]:], []byte(f)) {
					return j, ends[k] + len(f), true
				}
			}
			from = j + 1
		}
	}
	return 0, 0, false
}
