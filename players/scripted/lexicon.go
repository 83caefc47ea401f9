package scripted

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed" // the lexicon ships inside the binary
	"fmt"
	"io"
	"math"
	"strings"
)

// lexiconGz is generated from WordNet 3.0 by "spag words build" (package
// taboo/wordsbuild); the players never need WordNet itself.
//
//go:embed lexicon.gz
var lexiconGz []byte

// formatHeader is the first line of a lexicon file; the number is the
// format version, bumped whenever the columns change.
const formatHeader = "#spag-lexicon 1"

// POS is the part of speech of a lexicon word's main sense.
type POS byte

// Parts of speech a lexicon word may have.
const (
	Noun POS = 'n'
	Verb POS = 'v'
	Adj  POS = 'a'
)

func (p POS) valid() bool { return p == Noun || p == Verb || p == Adj }

// Entry is what the lexicon knows about one word. Lists hold plain phrases
// (spaces, not underscores), most familiar first; none of them contains the
// entry's Word itself.
type Entry struct {
	Word string
	POS  POS
	// Glosses are short definitions of the word's most frequent senses,
	// written to follow "It is" (nouns), "It means to" (verbs) or "It
	// describes something" (adjectives).
	Glosses   []string
	Hypernyms []string // broader terms: "canine" for dog
	Synonyms  []string
	Antonyms  []string
	Related   []string // derived and similar words: "runner" for run
	Hyponyms  []string // narrower terms: "poodle" for dog
	Parts     []string // meronyms: "flag" for dog (a dog's tail)
	Wholes    []string // holonyms: "pack" for dog
}

// lists returns the entry's list fields in file column order.
func (e *Entry) lists() []*[]string {
	return []*[]string{&e.Glosses, &e.Hypernyms, &e.Synonyms, &e.Antonyms, &e.Related, &e.Hyponyms, &e.Parts, &e.Wholes}
}

// columns is the number of tab-separated columns of an entry line.
const columns = 10

// WriteLexicon writes entries in the lexicon file format: gzip-compressed
// UTF-8 text whose first line is a format header, then comment lines
// starting with '#' (comments, one per line, for example a data licence),
// then one line per entry: word, part of speech and the eight lists of
// [Entry] in field order, separated by tabs, list items separated by '|'.
// The output is the same bytes for the same input.
func WriteLexicon(w io.Writer, comments []string, entries []Entry) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("write lexicon: %w", err)
	}
	bw := bufio.NewWriter(zw)
	bw.WriteString(formatHeader + "\n")
	for i, c := range comments {
		if strings.ContainsAny(c, "\n\r") {
			return fmt.Errorf("write lexicon: comment %d contains a line break", i+1)
		}
		bw.WriteString(strings.TrimRight("# "+c, " ") + "\n")
	}
	for i := range entries {
		e := &entries[i]
		if err := checkEntry(e); err != nil {
			return fmt.Errorf("write lexicon: entry %d: %w", i+1, err)
		}
		bw.WriteString(e.Word)
		bw.WriteByte('\t')
		bw.WriteByte(byte(e.POS))
		for _, l := range e.lists() {
			bw.WriteByte('\t')
			bw.WriteString(strings.Join(*l, "|"))
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write lexicon: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write lexicon: %w", err)
	}
	return nil
}

// checkEntry rejects what the file format cannot hold.
func checkEntry(e *Entry) error {
	if !isLowerWord(e.Word) {
		return fmt.Errorf("word %q is not a lower-case ASCII word", e.Word)
	}
	if !e.POS.valid() {
		return fmt.Errorf("%q: part of speech %q is not n, v or a", e.Word, byte(e.POS))
	}
	for _, l := range e.lists() {
		for _, s := range *l {
			if s == "" || strings.ContainsAny(s, "\t\n\r|") {
				return fmt.Errorf("%q: item %q is empty or holds a tab, line break or '|'", e.Word, s)
			}
		}
	}
	return nil
}

func isLowerWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// ReadEntries parses a lexicon file written by [WriteLexicon]. name is used
// in error messages.
func ReadEntries(r io.Reader, name string) ([]Entry, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read lexicon %s: not a gzip file: %w", name, err)
	}
	defer zr.Close()
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var entries []Entry
	seen := make(map[string]int)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			if line != formatHeader {
				return nil, fmt.Errorf("read lexicon %s line 1: header %q is not %q: regenerate the file with spag words build", name, line, formatHeader)
			}
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != columns {
			return nil, fmt.Errorf("read lexicon %s line %d: %d tab-separated columns, want %d", name, n, len(cols), columns)
		}
		e := Entry{Word: cols[0]}
		if len(cols[1]) == 1 {
			e.POS = POS(cols[1][0])
		}
		for i, l := range e.lists() {
			if cols[2+i] != "" {
				*l = strings.Split(cols[2+i], "|")
			}
		}
		if err := checkEntry(&e); err != nil {
			return nil, fmt.Errorf("read lexicon %s line %d: %w", name, n, err)
		}
		if prev, dup := seen[e.Word]; dup {
			return nil, fmt.Errorf("read lexicon %s line %d: word %q already on line %d", name, n, e.Word, prev)
		}
		seen[e.Word] = n
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read lexicon %s: %w", name, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("read lexicon %s: empty file", name)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("read lexicon %s: no entries", name)
	}
	return entries, nil
}

// Lexicon is the scripted players' knowledge: an [Entry] per word, the
// clues the attacker can give and the reverse index the defender uses to
// guess. It is read-only after construction and safe for concurrent use.
type Lexicon struct {
	entries []Entry
	byWord  map[string]int32
	// clues[i] are the attacker's clues for entries[i], in a fixed order.
	clues [][]clue
	// article[i] is "a " or "an " for nouns, "" otherwise.
	article []string
	// Reverse index: postings[id] lists the entries whose clues contain
	// token id, idf[id] is the token's weight.
	postings [][]posting
	idf      []float32
	// vocab maps every lexicon word and every indexed token to both roles
	// at once, so the defender looks each token up only once.
	vocab map[string]vocabRef
}

// vocabRef says what a token is: a lexicon word (entry >= 0), an indexed
// clue token (token >= 0), or both.
type vocabRef struct {
	entry int32
	token int32
}

// posting is one entry whose clues contain a token. weight reflects how
// telling the field is (a synonym says more than a gloss word); hash drives
// which facts a less skilled defender knows.
type posting struct {
	entry  int32
	weight float32
	hash   uint16
}

// LoadLexicon parses the lexicon embedded in the package. Each call builds
// a new Lexicon (tens of milliseconds); callers keep and share the result.
func LoadLexicon() (*Lexicon, error) {
	return ReadLexicon(bytes.NewReader(lexiconGz), "embedded lexicon.gz")
}

// ReadLexicon parses a lexicon file (see [WriteLexicon]) and builds the
// players' indexes.
func ReadLexicon(r io.Reader, name string) (*Lexicon, error) {
	entries, err := ReadEntries(r, name)
	if err != nil {
		return nil, err
	}
	return NewLexicon(entries)
}

// NewLexicon builds a Lexicon from entries, which it keeps: callers must
// not modify them afterwards.
func NewLexicon(entries []Entry) (*Lexicon, error) {
	lx := &Lexicon{
		entries: entries,
		byWord:  make(map[string]int32, len(entries)),
		clues:   make([][]clue, len(entries)),
		article: make([]string, len(entries)),
	}
	for i := range entries {
		e := &entries[i]
		if err := checkEntry(e); err != nil {
			return nil, fmt.Errorf("new lexicon: entry %d: %w", i+1, err)
		}
		if _, dup := lx.byWord[e.Word]; dup {
			return nil, fmt.Errorf("new lexicon: entry %d: word %q appears twice", i+1, e.Word)
		}
		lx.byWord[e.Word] = int32(i)
		if e.POS == Noun {
			lx.article[i] = article(e.Word)
		}
		lx.clues[i] = buildClues(e)
	}
	tokenID := lx.buildIndex()
	vocab := make(map[string]vocabRef, len(tokenID)+len(entries))
	for tok, id := range tokenID {
		vocab[tok] = vocabRef{entry: -1, token: id}
	}
	for w, i := range lx.byWord {
		ref, ok := vocab[w]
		if !ok {
			ref.token = -1
		}
		ref.entry = i
		vocab[w] = ref
	}
	lx.vocab = vocab
	return lx, nil
}

// fieldWeights say how strongly a token found in each list of an entry
// points at that entry, in [Entry.lists] order.
var fieldWeights = [...]float32{1, 2, 3, 3, 2, 2, 1.5, 1.5}

// buildIndex fills postings and idf and returns the token ids.
func (lx *Lexicon) buildIndex() map[string]int32 {
	tokenID := make(map[string]int32, len(lx.entries)*8)
	// best[token] is the strongest field weight of the token for the entry
	// being indexed; reset per entry.
	best := make(map[int32]float32)
	var order []int32
	stop := make(map[string]bool, len(stopwords))
	for _, w := range stopwords {
		stop[w] = true
	}
	for i := range lx.entries {
		e := &lx.entries[i]
		clear(best)
		order = order[:0]
		for f, l := range e.lists() {
			for _, s := range *l {
				forEachToken(s, func(tok []byte) {
					if len(tok) < 3 || stop[string(tok)] {
						return
					}
					id, ok := tokenID[string(tok)]
					if !ok {
						id = int32(len(lx.postings))
						tokenID[string(tok)] = id
						lx.postings = append(lx.postings, nil)
					}
					w, seen := best[id]
					if !seen {
						order = append(order, id)
					}
					if fieldWeights[f] > w {
						best[id] = fieldWeights[f]
					}
				})
			}
		}
		for _, id := range order {
			lx.postings[id] = append(lx.postings[id], posting{
				entry:  int32(i),
				weight: best[id],
				hash:   uint16(mix64(uint64(i)<<32|uint64(id)) >> 48),
			})
		}
	}
	n := float64(len(lx.entries))
	lx.idf = make([]float32, len(lx.postings))
	for id, p := range lx.postings {
		lx.idf[id] = float32(math.Log(1 + n/float64(len(p))))
	}
	return tokenID
}

// Len is the number of words in the lexicon.
func (lx *Lexicon) Len() int { return len(lx.entries) }

// Words returns the lexicon's words in file order (most frequent first).
func (lx *Lexicon) Words() []string {
	out := make([]string, len(lx.entries))
	for i := range lx.entries {
		out[i] = lx.entries[i].Word
	}
	return out
}

// Lookup returns the entry of word (lower case). The entry's lists are
// shared: callers must not modify them.
func (lx *Lexicon) Lookup(word string) (Entry, bool) {
	i, ok := lx.byWord[word]
	if !ok {
		return Entry{}, false
	}
	return lx.entries[i], true
}

// article returns the indefinite article for a noun, with its space.
func article(w string) string {
	switch w[0] {
	case 'a', 'e', 'i', 'o':
		return "an "
	case 'u':
		// "a unit", "a user" but "an umbrella", "an uncle".
		if strings.HasPrefix(w, "uni") || strings.HasPrefix(w, "use") || strings.HasPrefix(w, "usu") || strings.HasPrefix(w, "uti") {
			return "a "
		}
		return "an "
	case 'h':
		if strings.HasPrefix(w, "hour") || strings.HasPrefix(w, "honest") || strings.HasPrefix(w, "honor") || strings.HasPrefix(w, "heir") {
			return "an "
		}
	}
	return "a "
}
