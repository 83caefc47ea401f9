package scripted

// maxToken bounds the tokens the players look at; longer runs of letters
// are not words of the lexicon.
const maxToken = 32

// nextToken finds the next run of ASCII letters in s at or after i, writes
// it lower-cased into buf and returns it with the index just after it. ok
// is false when s has no more tokens. Runs longer than maxToken are
// skipped. It never allocates, so the players can tokenise transcripts on
// every call.
func nextToken(s string, i int, buf *[maxToken]byte) (tok []byte, next int, ok bool) {

	for i < len(s) {
		for i < len(s) && !isLetter(s[i]) {
			i++
		}
		start := i
		for i < len(s) && isLetter(s[i]) {
			i++
		}
		if i == start {
			break
		}
		if i-start > maxToken {
			continue
		}
		n := 0
		for k := start; k < i; k++ {
			c := s[k]
			if c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[n] = c
			n++
		}
		return buf[:n], i, true
	}
	return nil, len(s), false
}

// forEachToken calls fn with each lower-cased token of s (see nextToken).
// fn must not keep tok.
func forEachToken(s string, fn func(tok []byte)) {
	var buf [maxToken]byte
	for i := 0; ; {
		tok, next, ok := nextToken(s, i, &buf)
		if !ok {
			return
		}
		fn(tok)
		i = next
	}
}

// containsWord reports whether s holds word (lower case) as a whole token,
// ignoring case. It is the "bare word" check of a careless attacker.
func containsWord(s, word string) bool {
	var buf [maxToken]byte
	for i := 0; ; {
		tok, next, ok := nextToken(s, i, &buf)
		if !ok {
			return false
		}
		if string(tok) == word {
			return true
		}
		i = next
	}
}

// stopwords are tokens that say nothing about the secret word: English
// function words and the words of the players' own sentence templates.
// They are neither indexed nor looked up. Tokens shorter than three letters
// are ignored as well.
var stopwords = [...]string{
	// function words
	"the", "and", "for", "not", "but", "are", "was", "were", "been", "being",
	"has", "have", "had", "does", "did", "doing", "its", "it's", "this",
	"that", "these", "those", "with", "from", "into", "onto", "upon", "than",
	"then", "there", "their", "them", "they", "you", "your", "our", "his",
	"her", "she", "him", "who", "whom", "what", "which", "when", "where",
	"why", "how", "all", "any", "some", "each", "other", "such", "only",
	"own", "same", "can", "could", "will", "would", "should", "may",
	"might", "must", "shall", "about", "above", "below", "over", "under",
	"again", "further", "once", "here", "both", "few", "more", "most",
	"very", "too", "just", "also", "one", "ones", "someone", "something",
	"things", "thing", "etc", "usually", "especially", "often", "used",
	"use", "way", "ways", "having", "made", "make", "person", "act",
	"state", "quality", "cause", "become", "esp", "like", "that's",
	// attacker templates
	"kind", "kinds", "type", "sort", "think", "picture", "means", "mean",
	"meaning", "word", "words", "another", "say", "call", "called",
	"opposite", "reverse", "closely", "connected", "related", "goes",
	"together", "example", "part", "parts", "find", "found", "name",
	"comes", "mind", "first", "hear", "describes", "describe", "roughly",
	"lets", "let", "begin", "clue", "good", "question", "quite", "hmm",
	"put", "differently", "try", "instead", "hint", "close", "near",
	"particular", "general", "broadly", "speaking", "narrower", "include",
	"includes", "including", "belongs", "along", "well", "now", "okay",
	"really", "rather", "know", "list", "tell", "dictionary", "familiar",
	"everyday", "letter", "letters", "starts", "ends",
	// defender templates
	"guess", "sure", "yet", "give", "anything", "else", "bit", "maybe",
	"perhaps", "ask", "describe", "hints", "still", "thinking", "wondering",
	"keep", "going", "sounds", "idea", "interesting",
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
