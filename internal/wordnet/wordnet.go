// Package wordnet reads the Princeton WordNet 3.0 database files (the
// index.*, data.* and cntlist.rev files that Debian's wordnet-base package
// installs under /usr/share/wordnet): synsets, senses and their counts, the
// most frequent words, and a [Dictionary] of lemmas with WordNet's
// reduction of inflected forms.
//
// It is a leaf: it imports nothing from spag. What spag derives from
// WordNet (the Taboo word list, the scripted players' lexicon, the APO
// definitions task) is built by package taboo/wordsbuild, and no game,
// player or training step needs WordNet at run time. The one command that
// reads it at run time, spag words check, asks its [Dictionary] whether a
// model's words are English words.
package wordnet

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// DefaultDir is where Debian's wordnet-base package installs the database.
const DefaultDir = "/usr/share/wordnet"

// POS is a WordNet part of speech, as written in the data files.
type POS byte

// Parts of speech. AdjSatellite appears only as a synset type: its index
// entries and pointers use Adj.
const (
	Noun         POS = 'n'
	Verb         POS = 'v'
	Adj          POS = 'a'
	AdjSatellite POS = 's'
	Adv          POS = 'r'
)

// String returns the part of speech's name, for example "noun".
func (p POS) String() string {
	switch p {
	case Noun:
		return "noun"
	case Verb:
		return "verb"
	case Adj:
		return "adjective"
	case AdjSatellite:
		return "adjective satellite"
	case Adv:
		return "adverb"
	}
	return fmt.Sprintf("POS(%q)", byte(p))
}

// fileName is the suffix of the index and data files of a part of speech.
func (p POS) fileName() string {
	switch p {
	case Noun:
		return "noun"
	case Verb:
		return "verb"
	case Adj:
		return "adj"
	case Adv:
		return "adv"
	}
	return ""
}

// ssType is the number WordNet uses for a synset type in sense keys.
func (p POS) ssType() int {
	switch p {
	case Noun:
		return 1
	case Verb:
		return 2
	case Adj:
		return 3
	case Adv:
		return 4
	case AdjSatellite:
		return 5
	}
	return 0
}

// filePOS maps a synset type to the part of speech whose files hold it.
func (p POS) filePOS() POS {
	if p == AdjSatellite {
		return Adj
	}
	return p
}

// filePOSes lists the parts of speech that have their own index and data files.
var filePOSes = [...]POS{Noun, Verb, Adj, Adv}

// SynsetID identifies a synset: its part of speech (Noun, Verb, Adj or Adv;
// satellites use Adj) and its byte offset in that part's data file.
type SynsetID struct {
	POS    POS
	Offset uint32
}

// String formats the ID as WordNet does, for example "02084071-n".
func (id SynsetID) String() string { return fmt.Sprintf("%08d-%c", id.Offset, id.POS) }

// PointerKind is the relation a [Pointer] stands for.
type PointerKind int

// Pointer kinds. Lexical ones (antonym, derivation, pertainym, participle,
// also-see and some domain pointers) relate words rather than synsets; see
// [Pointer.Source].
const (
	UnknownPointer PointerKind = iota
	Antonym
	Hypernym
	InstanceHypernym
	Hyponym
	InstanceHyponym
	MemberHolonym
	SubstanceHolonym
	PartHolonym
	MemberMeronym
	SubstanceMeronym
	PartMeronym
	Attribute
	DerivationallyRelated
	DomainTopic
	MemberOfDomainTopic
	DomainRegion
	MemberOfDomainRegion
	DomainUsage
	MemberOfDomainUsage
	Entailment
	Cause
	AlsoSee
	VerbGroup
	SimilarTo
	ParticipleOf
	Pertainym
)

// pointerKinds maps the symbols of the data files to kinds. "\" means
// "pertains to noun" for adjectives and "derived from adjective" for
// adverbs; both are Pertainym here.
var pointerKinds = map[string]PointerKind{
	"!": Antonym, "@": Hypernym, "@i": InstanceHypernym, "~": Hyponym,
	"~i": InstanceHyponym, "#m": MemberHolonym, "#s": SubstanceHolonym,
	"#p": PartHolonym, "%m": MemberMeronym, "%s": SubstanceMeronym,
	"%p": PartMeronym, "=": Attribute, "+": DerivationallyRelated,
	";c": DomainTopic, "-c": MemberOfDomainTopic, ";r": DomainRegion,
	"-r": MemberOfDomainRegion, ";u": DomainUsage, "-u": MemberOfDomainUsage,
	"*": Entailment, ">": Cause, "^": AlsoSee, "$": VerbGroup, "&": SimilarTo,
	"<": ParticipleOf, "\\": Pertainym,
}

// Pointer is one relation from a synset (or one of its words) to another.
type Pointer struct {
	Kind   PointerKind
	Symbol string // as in the data file, for example "@" or "#p"
	Target SynsetID
	// Source and TargetWord are 1-based word numbers for lexical pointers;
	// both are 0 when the pointer relates whole synsets.
	Source     int
	TargetWord int
}

// Word is one lemma of a synset.
type Word struct {
	// Lemma is the word as the data file writes it: spaces are '_', case is
	// kept ("Canis_familiaris"), adjective markers are removed.
	Lemma string
	// LexID tells apart senses of the same lemma in one lexicographer file.
	LexID int
	// Marker is an adjective's syntactic marker ("a", "p" or "ip"), or "".
	Marker string
	// Count is the number of times this sense was tagged in the semantic
	// concordances (from cntlist.rev); 0 when it never was.
	Count int
}

// Synset is a set of synonyms with its gloss and relations.
type Synset struct {
	ID SynsetID
	// Type is the synset type; it differs from ID.POS only for adjective
	// satellites (AdjSatellite).
	Type     POS
	LexFile  int
	Words    []Word
	Pointers []Pointer
	// Gloss is the full gloss: definition, then examples in double quotes.
	Gloss string
}

// Definition returns the gloss without its quoted examples.
func (s *Synset) Definition() string {
	g := s.Gloss
	if i := strings.IndexByte(g, '"'); i >= 0 {
		g = g[:i]
	}
	return strings.TrimRight(strings.TrimSpace(g), ";: ")
}

// Count is the sum of the tagged-sense counts of the synset's words.
func (s *Synset) Count() int {
	n := 0
	for _, w := range s.Words {
		n += w.Count
	}
	return n
}

// Sense is one meaning of a lemma: the synset and its rank among the
// lemma's senses of that part of speech.
type Sense struct {
	Synset *Synset
	// Number is the 1-based sense number (WordNet orders senses by
	// frequency).
	Number int
	// Word is the index in Synset.Words of the lemma.
	Word int
	// Count is the tagged-sense count of this lemma in this synset.
	Count int
}

// IndexEntry is a lemma's line in an index file.
type IndexEntry struct {
	Lemma string // lower case, spaces as '_'
	POS   POS
	// Pointers are the pointer symbols used by any of the lemma's senses.
	Pointers []string
	// TagSenseCount is the number of the lemma's senses that were tagged.
	TagSenseCount int
	// Synsets are the lemma's senses in sense-number order.
	Synsets []SynsetID
}

// DB is a WordNet database in memory. It is read-only after [Open] and safe
// for concurrent use.
type DB struct {
	dir     string
	synsets map[SynsetID]*Synset
	index   map[POS]map[string]*IndexEntry
	// unmatched counts cntlist.rev lines whose sense key names no sense.
	unmatched int
}

// Open reads the database in dir (usually [DefaultDir]).
func Open(dir string) (*DB, error) {
	db := &DB{
		dir:     dir,
		synsets: make(map[SynsetID]*Synset, 120000),
		index:   make(map[POS]map[string]*IndexEntry, len(filePOSes)),
	}
	for _, p := range filePOSes {
		if err := db.readData(p); err != nil {
			return nil, err
		}
		if err := db.readIndex(p); err != nil {
			return nil, err
		}
	}
	if err := db.readCounts(); err != nil {
		return nil, err
	}
	return db, nil
}

// openFile opens one database file, explaining how to get it when missing.
func (db *DB) openFile(name string) (*os.File, error) { return openIn(db.dir, name) }

// openIn opens the database file name in dir, explaining how to get it
// when missing.
func openIn(dir, name string) (*os.File, error) {
	path := filepath.Join(dir, name)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("wordnet: missing %s: install WordNet 3.0 (apt-get install wordnet-base) or pass the directory holding it: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("wordnet: open %s: %w", path, err)
	}
	return f, nil
}

// Dir is the directory the database was read from.
func (db *DB) Dir() string { return db.dir }

// Synset returns the synset with the given ID.
func (db *DB) Synset(id SynsetID) (*Synset, bool) {
	s, ok := db.synsets[id]
	return s, ok
}

// Len is the number of synsets.
func (db *DB) Len() int { return len(db.synsets) }

// Lookup returns the index entry of a lemma (any case; spaces or '_') for a
// part of speech (AdjSatellite is treated as Adj).
func (db *DB) Lookup(lemma string, pos POS) (*IndexEntry, bool) {
	m := db.index[pos.filePOS()]
	e, ok := m[normLemma(lemma)]
	return e, ok
}

// Senses returns the senses of lemma for pos in sense-number order.
func (db *DB) Senses(lemma string, pos POS) []Sense {
	e, ok := db.Lookup(lemma, pos)
	if !ok {
		return nil
	}
	out := make([]Sense, 0, len(e.Synsets))
	for i, id := range e.Synsets {
		s := db.synsets[id]
		if s == nil {
			continue
		}
		w := s.wordIndex(e.Lemma)
		if w < 0 {
			continue
		}
		out = append(out, Sense{Synset: s, Number: i + 1, Word: w, Count: s.Words[w].Count})
	}
	return out
}

// wordIndex finds lemma (lower case, '_') among the synset's words. A few
// synsets hold a word in two cases ("I" and "i"); the lower-case one wins.
func (s *Synset) wordIndex(lemma string) int {
	found := -1
	for i, w := range s.Words {
		if w.Lemma == lemma {
			return i
		}
		if found < 0 && strings.EqualFold(w.Lemma, lemma) {
			found = i
		}
	}
	return found
}

// Lemmas returns every lemma of pos in alphabetical order.
func (db *DB) Lemmas(pos POS) []string {
	m := db.index[pos.filePOS()]
	out := make([]string, 0, len(m))
	for l := range m {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// normLemma lower-cases a lemma and writes spaces as '_', as index files do.
func normLemma(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), " ", "_")
}

// SenseKey returns the WordNet sense key of the synset's i-th word, for
// example "dog%1:05:00::". Satellites name their head adjective.
func (db *DB) SenseKey(s *Synset, i int) string {
	w := s.Words[i]
	b := make([]byte, 0, len(w.Lemma)+24)
	for j := 0; j < len(w.Lemma); j++ {
		c := w.Lemma[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	b = append(b, '%')
	b = strconv.AppendInt(b, int64(s.Type.ssType()), 10)
	b = append(b, ':')
	b = appendTwoDigits(b, s.LexFile)
	b = append(b, ':')
	b = appendTwoDigits(b, w.LexID)
	b = append(b, ':')
	if s.Type == AdjSatellite {
		for _, p := range s.Pointers {
			if p.Kind != SimilarTo {
				continue
			}
			if h := db.synsets[p.Target]; h != nil && len(h.Words) > 0 {
				b = append(b, strings.ToLower(h.Words[0].Lemma)...)
				b = append(b, ':')
				b = appendTwoDigits(b, h.Words[0].LexID)
				return string(b)
			}
			break
		}
	}
	return string(append(b, ':'))
}

// appendTwoDigits appends n (0..99) with a leading zero.
func appendTwoDigits(b []byte, n int) []byte {
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}
