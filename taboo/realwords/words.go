package realwords

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// contentWords calls yield with each content word of text, lower-cased, in
// order. A word is a run of letters, with single apostrophes or hyphens
// between letters ("o'clock", "sun-dried"); curly apostrophes count as
// straight ones. Tokens holding digits ("mp3", "1990s") are skipped:
// numbers are neither words nor non-words. So are function words (see
// stopWords), before and after a possessive "'s" is taken off ("dog's" is
// dog).
func contentWords(text string, yield func(string)) {
	var b strings.Builder
	digit := false
	flush := func() {
		w := b.String()
		b.Reset()
		if w == "" || digit {
			digit = false
			return
		}
		if stopWords[w] {
			return
		}
		w = strings.TrimSuffix(w, "'s")
		if !stopWords[w] {
			yield(w)
		}
	}
	for i, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			digit = digit || unicode.IsDigit(r)
			b.WriteRune(unicode.ToLower(r))
		case (r == '\'' || r == '’' || r == '-') && b.Len() > 0 && wordRuneAt(text, i+utf8.RuneLen(r)):
			if r == '’' {
				r = '\''
			}
			b.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
}

// wordRuneAt reports whether text[i:] starts with a letter or digit.
func wordRuneAt(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// stopWords are the function words left out of the clue words: articles,
// pronouns and determiners, prepositions, conjunctions, auxiliary and modal
// verbs, their contractions, and interjections ("hmm"). They are the words any
// speaker of the game's prompt format can copy; the measure is about the
// words that carry the clue.
var stopWords = setOf(
	// Articles, determiners and quantifiers.
	"a", "an", "the", "this", "that", "these", "those", "some", "any", "no",
	"every", "each", "all", "both", "either", "neither", "other", "another",
	"such", "own", "same", "much", "many", "more", "most", "few", "less",
	"several",
	// Pronouns.
	"i", "me", "my", "mine", "myself", "you", "your", "yours", "yourself",
	"yourselves", "he", "him", "his", "himself", "she", "her", "hers",
	"herself", "it", "its", "itself", "we", "us", "our", "ours", "ourselves",
	"they", "them", "their", "theirs", "themselves", "one", "ones",
	"someone", "something", "anyone", "anything", "everyone", "everything",
	"nobody", "nothing", "oneself", "else", "who", "whom", "whose", "which",
	"what", "whoever", "whomever", "whichever", "whatever",
	// Prepositions.
	"of", "in", "on", "at", "by", "for", "with", "without", "about",
	"against", "between", "among", "into", "onto", "through", "during",
	"before", "after", "above", "below", "to", "from", "up", "down", "out",
	"off", "over", "under", "around", "near", "like", "as", "than", "via",
	"within", "upon", "across", "along", "behind", "beyond", "toward",
	"towards",
	// Conjunctions and adverbs that join or point.
	"and", "but", "or", "nor", "so", "yet", "if", "because", "while",
	"although", "though", "unless", "until", "whether", "when", "where",
	"why", "how", "whenever", "wherever", "whereas", "whereby", "wherein",
	"then", "there", "here", "also", "just", "very", "too", "not", "only",
	"even", "again",
	// Auxiliary and modal verbs.
	"be", "am", "is", "are", "was", "were", "been", "being", "have", "has",
	"had", "having", "do", "does", "did", "doing", "done", "will", "would",
	"shall", "should", "can", "could", "may", "might", "must",
	// Contractions.
	"it's", "i'm", "i've", "i'll", "i'd", "you're", "you've", "you'll",
	"you'd", "he's", "he'll", "he'd", "she's", "she'll", "she'd", "we're",
	"we've", "we'll", "we'd", "they're", "they've", "they'll", "they'd",
	"that's", "there's", "here's", "what's", "who's", "let's", "isn't",
	"aren't", "wasn't", "weren't", "don't", "doesn't", "didn't", "haven't",
	"hasn't", "hadn't", "won't", "wouldn't", "can't", "cannot", "couldn't",
	"shouldn't", "mustn't",
	// Interjections of talk, which WordNet leaves out.
	"yes", "yeah", "oh", "ah", "ok", "okay", "hmm", "hm", "um", "uh",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
