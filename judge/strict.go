package judge

import (
	"bytes"
	"unicode/utf8"
)

// Strict is the project's recommended judge: the same game as [Spag] with
// fewer false verdicts.
//
//   - Text is folded before matching (see folded): compatibility
//     normalization, accents and invisible characters removed, Cyrillic and
//     Greek look-alike letters mapped to Latin, case folded.
//   - Mentions are whole words, including the parts of hyphenated or
//     slash-joined words: "Sunday" does not mention sun, "sun-dried" does.
//   - The target's forms come from morphology: regular and irregular
//     plurals, third person -s, -ing and -ed with spelling rules
//     (running, making, tried, stopped) and irregular verb forms (ran,
//     went) from the shipped list data/irregular.txt.
//   - Spelled-out words count as mentions ([RuleDefenderSpelledTarget],
//     [RuleAttackerSpelledTarget]): "a-p-p-l-e", "a p p l e", "A.P.P.L.E",
//     "ap-ple". Only spellings of at least 3 letters are recognised.
//   - A guess statement is "I know the word", then punctuation other than
//     "?", then "it is", "it's", "its", "the word is", "the answer is",
//     "my guess is", "it must be" and the like (or just a colon), then
//     optional quotes or markup and an article, then the guessed word.
//     Letter case, repeated "!" and extra spaces do not matter. A sentence
//     such as "if I know the word, ..." or "Do I know the word?" is not a
//     guess, nor is "I know the word!" with no word after it. Only the
//     first guess statement of an utterance counts.
//   - The guess is correct when the guessed word is one of the target's
//     forms: "apples" is right for apple, "musician" is wrong for music.
//
// A target of several words ("ice cream") is mentioned by those words in a
// row, joined by spaces or hyphens, with the last one inflected, or by the
// words written together ("icecream"). A target with no letters or digits
// is never mentioned and every guess of it is wrong.
//
// Evidence spans: for mentions, the word (or spelled-out letters); for
// guesses, from "I" of "I know the word" to the end of the guessed word.
//
// Strict is safe for concurrent use; besides its fixed data it remembers
// the forms of the targets it has seen (see targetCache).
type Strict struct {
	inflect inflector
	targets targetCache[*formSet]
}

// NewStrict returns the strict judge. It parses the embedded list of
// irregular forms; a malformed list is a build defect and panics (a test
// parses it).
func NewStrict() *Strict {
	irregular, err := parseIrregular("judge/data/irregular.txt", irregularData)
	if err != nil {
		panic(err)
	}
	return &Strict{inflect: inflector{irregular: irregular}}
}

// Name returns "strict".
func (*Strict) Name() string { return "strict" }

// Version returns the rule version; it changes whenever any verdict could.
func (*Strict) Version() int { return 1 }

// Judge decides a whole history; see [Judge].
func (s *Strict) Judge(target string, maxTurns int, history []Utterance) Verdict {
	return judgeHistory(s.Start(target, maxTurns), history)
}

// Start returns an incremental judge for one episode.
func (s *Strict) Start(target string, maxTurns int) Episode {
	e := &strictEpisode{counter: counter{limit: 2 * maxTurns}}
	// Room for a typical utterance, so Next rarely grows these.
	e.f.text = make([]byte, 0, 256)
	e.toks = make([]token, 0, 64)
	e.forms = *s.targets.get(target, func() *formSet {
		fs := s.targetForms(target, e)
		return &fs
	})
	return e
}

// targetForms folds and tokenizes the target the way utterances are, and
// returns its forms. It uses e's buffers as scratch space.
func (s *Strict) targetForms(target string, e *strictEpisode) formSet {
	e.f.fold(target)
	e.toks = appendTokens(e.toks[:0], e.f.text)
	var b formBuilder
	switch len(e.toks) {
	case 0:
	case 1:
		s.inflect.addInflections(&b, "", string(e.word(0)))
	default:
		// "ice cream": "ice cream", "ice creams", ..., and "icecream", ...
		var spaced, joined []byte
		for i := range len(e.toks) - 1 {
			spaced = append(append(spaced, e.word(i)...), ' ')
			joined = append(joined, e.word(i)...)
		}
		last := string(e.word(len(e.toks) - 1))
		s.inflect.addInflections(&b, string(spaced), last)
		s.inflect.addInflections(&b, string(joined), last)
	}
	return b.set(max(len(e.toks), 1))
}

// token is the span of a word in folded text.
type token struct{ start, end int }

// appendTokens appends the maximal runs of word code points in text.
func appendTokens(toks []token, text []byte) []token {
	start := -1
	for i := 0; i < len(text); {
		c := text[i]
		size := 1
		var word bool
		if c < utf8.RuneSelf {
			// ASCII letters and digits; c|0x20 maps A-Z onto a-z and no
			// other byte into a-z.
			word = (c|0x20)-'a' < 26 || c-'0' < 10
		} else {
			var r rune
			r, size = utf8.DecodeRune(text[i:])
			word = isWordRune(r)
		}
		if word && start < 0 {
			start = i
		} else if !word && start >= 0 {
			toks = append(toks, token{start, i})
			start = -1
		}
		i += size
	}
	if start >= 0 {
		toks = append(toks, token{start, len(text)})
	}
	return toks
}

type strictEpisode struct {
	counter
	forms formSet
	f     folded
	toks  []token
	buf   []byte // joined tokens, reused
}

// Next judges the next utterance.
func (e *strictEpisode) Next(u Utterance) (Verdict, bool) {
	if e.over {
		return e.final, true
	}
	e.n++
	e.f.fold(u.Text)
	e.toks = appendTokens(e.toks[:0], e.f.text)

	v := Verdict{}
	var lo, hi int
	if u.Role == Defender {
		if g, ok := e.guess(); ok {
			lo, hi = g.start, g.end
			if g.correct {
				v.Outcome, v.Rule = DefenderWins, RuleDefenderCorrectGuess
			} else {
				v.Outcome, v.Rule = AttackerWins, RuleDefenderWrongGuess
			}
		} else if m, ok := e.mention(); ok {
			lo, hi = m.start, m.end
			v.Outcome, v.Rule = AttackerWins, RuleDefenderSaidTarget
			if m.spelled {
				v.Rule = RuleDefenderSpelledTarget
			}
		}
	} else {
		if m, ok := e.mention(); ok {
			lo, hi = m.start, m.end
			v.Outcome, v.Rule = AttackerBrokeRules, RuleAttackerSaidTarget
			if m.spelled {
				v.Rule = RuleAttackerSpelledTarget
			}
		} else if g, ok := e.guess(); ok {
			lo, hi = g.start, g.end
			v.Outcome, v.Rule = AttackerBrokeRules, RuleAttackerGuessStatement
		}
	}
	if v.Outcome != Undecided {
		lo, hi = e.f.span(lo, hi)
		v.Evidence = Evidence{Utterance: e.n, Start: lo, End: hi}
	}
	return e.decide(v)
}

// word returns token i's text; is reports whether token i exists and is s.
func (e *strictEpisode) word(i int) []byte { return e.f.text[e.toks[i].start:e.toks[i].end] }

func (e *strictEpisode) is(i int, s string) bool {
	return i < len(e.toks) && string(e.word(i)) == s
}

// sep returns the text between token i and token i+1.
func (e *strictEpisode) sep(i int) []byte { return e.f.text[e.toks[i].end:e.toks[i+1].start] }

// spaceSep reports whether tokens i and i+1 are separated by white space
// only.
func (e *strictEpisode) spaceSep(i int) bool {
	if i+1 >= len(e.toks) {
		return false
	}
	for _, c := range e.sep(i) {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// match is where a rule fired, in folded text.
type match struct {
	start, end int
	spelled    bool // a mention spelled out
	correct    bool // a guess naming the target
}

// mention finds the leftmost mention of the target: a word or, failing
// that, a spelled-out word.
func (e *strictEpisode) mention() (match, bool) {
	for i := range e.toks {
		if e.forms.has(e.word(i)) {
			return match{start: e.toks[i].start, end: e.toks[i].end}, true
		}
		if e.forms.maxWords > 1 {
			if j, ok := e.phrase(i, true); ok {
				return match{start: e.toks[i].start, end: e.toks[j].end}, true
			}
		}
	}
	for i := 0; i < len(e.toks); {
		j := i
		for j+1 < len(e.toks) && e.spelledSep(j) {
			j++
		}
		for a := i; a < j; a++ {
			if b, ok := e.concat(a, j); ok {
				return match{start: e.toks[a].start, end: e.toks[b].end, spelled: true}, true
			}
		}
		i = j + 1
	}
	return match{}, false
}

// phraseSep reports whether tokens i and i+1 may belong to one phrase:
// separated by up to 3 bytes of spaces or tabs, or by up to 3 joining
// characters (as in "ice-cream" or "a.p.p").
func (e *strictEpisode) phraseSep(i int) bool {
	s := e.sep(i)
	return len(s) <= 3 && (allBytes(s, isBlank) || allBytes(s, isJoiner))
}

// spelledSep reports whether tokens i and i+1 may be parts of one word
// split up to hide it: joined by up to 3 joining characters (sun-dried,
// ap-ple, A.P.P), or single letters spaced out ("a p p l e", "a - p").
func (e *strictEpisode) spelledSep(i int) bool {
	s := e.sep(i)
	if len(s) > 3 {
		return false
	}
	if allBytes(s, isJoiner) {
		return true
	}
	return e.singleRune(i) && e.singleRune(i+1) &&
		allBytes(s, func(c byte) bool { return isBlank(c) || isJoiner(c) })
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// isJoiner reports characters that join the parts of a word: a-b, a.b,
// a_b, a*b, a/b, a+b, a~b.
func isJoiner(c byte) bool {
	switch c {
	case '-', '.', '_', '*', '/', '+', '~':
		return true
	}
	return false
}

func allBytes(s []byte, ok func(byte) bool) bool {
	for _, c := range s {
		if !ok(c) {
			return false
		}
	}
	return true
}

func (e *strictEpisode) singleRune(i int) bool {
	switch n := e.toks[i].end - e.toks[i].start; {
	case n == 1:
		return true
	case n > utf8.UTFMax:
		return false
	}
	_, size := utf8.DecodeRune(e.word(i))
	return size == len(e.word(i))
}

// phrase looks for a form made of tokens i, i+1, ... joined by phrase
// separators: written with spaces when spaced, together otherwise. It
// returns the last token of the shortest such form.
func (e *strictEpisode) phrase(i int, spaced bool) (int, bool) {
	e.buf = append(e.buf[:0], e.word(i)...)
	for j := i + 1; j < len(e.toks) && j-i < 16 && e.phraseSep(j-1); j++ {
		if spaced {
			e.buf = append(e.buf, ' ')
		}
		e.buf = append(e.buf, e.word(j)...)
		if len(e.buf) > e.forms.maxLen {
			return 0, false
		}
		if e.forms.has(e.buf) {
			return j, true
		}
	}
	return 0, false
}

// concat looks for a form written as tokens a..b (b <= last, at least two
// tokens, at least 3 bytes) run together. It returns b.
func (e *strictEpisode) concat(a, last int) (int, bool) {
	e.buf = append(e.buf[:0], e.word(a)...)
	for b := a + 1; b <= last; b++ {
		e.buf = append(e.buf, e.word(b)...)
		if len(e.buf) > e.forms.maxLen {
			return 0, false
		}
		if len(e.buf) >= 3 && e.forms.has(e.buf) {
			return b, true
		}
	}
	return 0, false
}

// GuessedWord returns the word guessed by the first guess statement of
// text, as the strict judge reads guess statements (see [Strict]), folded
// and lower-cased: "I know the word! It is an Apple." gives "apple". Words
// joined by single hyphens stay one word ("sun-dried", and "a-p-p-l-e",
// which the judge takes for a spelled-out apple); of a guess of several
// words only the first is returned ("ice" of "ice cream"). ok is false when
// text holds no guess statement.
func GuessedWord(text string) (word string, ok bool) {
	var e strictEpisode
	e.f.fold(text)
	e.toks = appendTokens(nil, e.f.text)
	_, g, ok := e.findGuess()
	if !ok {
		return "", false
	}
	last := g
	for last+1 < len(e.toks) && string(e.sep(last)) == "-" {
		last++
	}
	return string(e.f.text[e.toks[g].start:e.toks[last].end]), true
}

// guess finds the first guess statement and judges the guessed word.
func (e *strictEpisode) guess() (match, bool) {
	i, g, ok := e.findGuess()
	if !ok {
		return match{}, false
	}
	m := match{start: e.toks[i].start, end: e.toks[g].end}
	if e.forms.has(e.word(g)) {
		m.correct = true
	} else if j, ok := e.phrase(g, false); ok {
		m.correct, m.end = true, e.toks[j].end
	} else if e.forms.maxWords > 1 {
		if j, ok := e.phrase(g, true); ok {
			m.correct, m.end = true, e.toks[j].end
		}
	}
	return m, true
}

// findGuess finds the first guess statement: i is the token of its "I",
// g that of the guessed word (after any article).
func (e *strictEpisode) findGuess() (i, g int, ok bool) {
	for i = 0; i+4 < len(e.toks); i++ {
		if !e.is(i, "i") || !e.is(i+1, "know") || !e.is(i+2, "the") || !e.is(i+3, "word") ||
			!e.spaceSep(i) || !e.spaceSep(i+1) || !e.spaceSep(i+2) {
			continue
		}
		if i > 0 && e.spaceSep(i-1) && isConditional(e.word(i-1)) {
			continue // "if I know the word, it is easy"
		}
		s0 := e.sep(i + 3)
		if len(s0) > 16 || bytes.IndexByte(s0, '?') >= 0 {
			continue
		}
		var found bool
		g, found = e.connector(i + 4)
		if !found {
			if bytes.IndexByte(s0, ':') < 0 {
				continue
			}
			g = i + 4 // "I know the word: apple"
		} else if g >= len(e.toks) || len(e.sep(g-1)) > 16 {
			continue
		}
		if (e.is(g, "a") || e.is(g, "an") || e.is(g, "the")) && g+1 < len(e.toks) &&
			allBytes(e.sep(g), isArticleSep) {
			g++
		}
		return i, g, true
	}
	return 0, 0, false
}

// connector matches the words between "I know the word" and the guess,
// starting at token j: a subject and a verb ("it is", "it's", "its", "the
// answer is", "it must be"). It returns the token after them.
func (e *strictEpisode) connector(j int) (int, bool) {
	switch {
	case e.is(j, "its"):
		return j + 1, true
	case e.is(j, "it"), e.is(j, "this"), e.is(j, "that"):
		j++
	case e.is(j, "the") && e.spaceSep(j) && (e.is(j+1, "word") || e.is(j+1, "answer")):
		j += 2
	case e.is(j, "the") && e.spaceSep(j) && (e.is(j+1, "secret") || e.is(j+1, "target") || e.is(j+1, "mystery")) &&
		e.spaceSep(j+1) && e.is(j+2, "word"):
		j += 3
	case e.is(j, "my") && e.spaceSep(j) && (e.is(j+1, "guess") || e.is(j+1, "answer")):
		j += 2
	default:
		return 0, false
	}
	// The verb.
	switch {
	case j >= len(e.toks):
		return 0, false
	case e.is(j, "s") && string(e.sep(j-1)) == "'":
		return j + 1, true
	case !e.spaceSep(j - 1):
		return 0, false
	case e.is(j, "is"), e.is(j, "was"):
		return j + 1, true
	case e.is(j, "has") && e.spaceSep(j) && e.is(j+1, "to") && e.spaceSep(j+1) && e.is(j+2, "be"):
		return j + 3, true
	}
	switch string(e.word(j)) {
	case "must", "should", "would", "will", "could", "might", "may":
		if e.spaceSep(j) && e.is(j+1, "be") {
			return j + 2, true
		}
	}
	return 0, false
}

// isArticleSep reports what may stand between an article and the guessed
// word: "the 'dog'", "an **apple**".
func isArticleSep(c byte) bool {
	switch c {
	case ' ', '\t', '"', '\'', '`', '*', '_':
		return true
	}
	return false
}

// isConditional reports words that make a following "I know the word" a
// condition or a question rather than a statement.
func isConditional(w []byte) bool {
	switch string(w) {
	case "if", "whether", "unless", "when", "once", "until", "do", "does", "did", "can", "could":
		return true
	}
	return false
}
