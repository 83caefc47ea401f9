package wordsbuild

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spag-go/spag/internal/wordnet"
	"github.com/spag-go/spag/players/scripted"
)

// Limits on the lexicon: enough facts for five turns of clues, few enough
// to keep the file small and the clues familiar.
const (
	maxSenses      = 3
	maxGlossLen    = 120
	maxHypernyms   = 3
	maxSynonyms    = 4
	maxAntonyms    = 2
	maxRelated     = 6
	maxHyponyms    = 5
	maxParts       = 4
	maxWholes      = 3
	minSenseShare  = 0.15 // a later sense must have this share of the top count
	lexiconComment = "spag scripted-player lexicon: definitions, categories and related words of the Taboo words."
)

// BuildLexicon returns the scripted players' lexicon entry of each word, in
// the order given. Every word must have a noun, verb or adjective sense.
func BuildLexicon(db *wordnet.DB, words []string) ([]scripted.Entry, error) {
	out := make([]scripted.Entry, 0, len(words))
	for i, w := range words {
		e, err := entry(db, w)
		if err != nil {
			return nil, fmt.Errorf("wordnet: lexicon word %d: %w", i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// mainSenses returns the senses of word worth describing: the most
// frequent, then others that were tagged often enough, at most maxSenses.
func mainSenses(db *wordnet.DB, word string) []wordnet.Sense {
	all := db.CommonSenses(word) // not as a proper noun
	// Stable: equal counts keep part-of-speech order, then sense order.
	sort.SliceStable(all, func(i, j int) bool { return all[i].Count > all[j].Count })
	if len(all) == 0 {
		return nil
	}
	keep := all[:1]
	for _, s := range all[1:] {
		if len(keep) == maxSenses {
			break
		}
		if s.Count > 0 && float64(s.Count) >= minSenseShare*float64(all[0].Count) {
			keep = append(keep, s)
		}
	}
	return keep
}

// synset is the synset a pointer targets, nil when the database lacks it.
func synset(db *wordnet.DB, id wordnet.SynsetID) *wordnet.Synset {
	s, _ := db.Synset(id)
	return s
}

// entry builds one lexicon entry.
func entry(db *wordnet.DB, word string) (scripted.Entry, error) {
	senses := mainSenses(db, word)
	if len(senses) == 0 {
		return scripted.Entry{}, fmt.Errorf("%q has no lower-case noun, verb or adjective sense in WordNet", word)
	}
	e := scripted.Entry{Word: word}
	switch senses[0].Synset.ID.POS {
	case wordnet.Noun:
		e.POS = scripted.Noun
	case wordnet.Verb:
		e.POS = scripted.Verb
	default:
		e.POS = scripted.Adj
	}
	l := lister{self: word}
	var hyper, syn, ant, rel, hypo, parts, wholes []ranked
	mainPOS := senses[0].Synset.ID.POS
	for _, s := range senses {
		syn = l.synsetWords(syn, s.Synset, s.Word)
		// Glosses and categories are phrased for the main part of speech
		// ("It is a kind of ..." for a noun), so other senses give only
		// synonyms and related words.
		sameKind := s.Synset.ID.POS == mainPOS
		if g := shortGloss(s.Synset.Definition()); sameKind && g != "" && l.ok(g) && !contains(e.Glosses, g) {
			e.Glosses = append(e.Glosses, g)
		}
		for _, p := range s.Synset.Pointers {
			lexical := p.Source != 0
			if lexical && p.Source != s.Word+1 {
				continue // relates another word of the synset
			}
			t := synset(db, p.Target)
			if t == nil {
				continue
			}
			switch p.Kind {
			case wordnet.Hypernym, wordnet.InstanceHypernym, wordnet.Hyponym, wordnet.InstanceHyponym:
				if !sameKind {
					continue
				}
			}
			switch p.Kind {
			case wordnet.Hypernym, wordnet.InstanceHypernym:
				hyper = l.first(hyper, t)
			case wordnet.Antonym:
				ant = l.word(ant, t, p.TargetWord)
			case wordnet.DerivationallyRelated, wordnet.Pertainym, wordnet.ParticipleOf:
				rel = l.word(rel, t, p.TargetWord)
			case wordnet.SimilarTo, wordnet.Attribute, wordnet.AlsoSee:
				if lexical {
					rel = l.word(rel, t, p.TargetWord)
				} else {
					rel = l.first(rel, t)
				}
			case wordnet.Hyponym, wordnet.InstanceHyponym:
				hypo = l.first(hypo, t)
			case wordnet.PartMeronym, wordnet.MemberMeronym, wordnet.SubstanceMeronym:
				parts = l.first(parts, t)
			case wordnet.PartHolonym, wordnet.MemberHolonym, wordnet.SubstanceHolonym:
				wholes = l.first(wholes, t)
			}
		}
	}
	e.Hypernyms = best(hyper, maxHypernyms, false)
	e.Synonyms = best(syn, maxSynonyms, false)
	e.Antonyms = best(ant, maxAntonyms, false)
	e.Related = best(rel, maxRelated, true)
	e.Hyponyms = best(hypo, maxHyponyms, true)
	e.Parts = best(parts, maxParts, true)
	e.Wholes = best(wholes, maxWholes, true)
	return e, nil
}

// ranked is a candidate list item with how familiar it is (its tagged
// count) and the order it was found in.
type ranked struct {
	text  string
	count int
	order int
}

// lister collects list items for one word (self), skipping the word itself and
// phrases that contain it: an attacker could never say them.
type lister struct {
	self string
	n    int
}

func (l *lister) ok(phrase string) bool {
	for _, f := range strings.FieldsFunc(strings.ToLower(phrase), func(r rune) bool { return r < 'a' || r > 'z' }) {
		if f == l.self {
			return false
		}
	}
	return !strings.ContainsAny(phrase, "|\t\n\r")
}

func (l *lister) add(list []ranked, lemma string, count int) []ranked {
	text := strings.ReplaceAll(lemma, "_", " ")
	if !l.ok(text) {
		return list
	}
	for i := range list {
		if strings.EqualFold(list[i].text, text) {
			list[i].count = max(list[i].count, count)
			return list
		}
	}
	l.n++
	return append(list, ranked{text, count, l.n})
}

// first adds the synset's first word that is not the lister's word.
func (l *lister) first(list []ranked, s *wordnet.Synset) []ranked {
	for _, w := range s.Words {
		if l.ok(strings.ReplaceAll(w.Lemma, "_", " ")) {
			return l.add(list, w.Lemma, s.Count())
		}
	}
	return list
}

// word adds the synset's i-th word (1-based), or its first for 0.
func (l *lister) word(list []ranked, s *wordnet.Synset, i int) []ranked {
	if i < 1 || i > len(s.Words) {
		return l.first(list, s)
	}
	return l.add(list, s.Words[i-1].Lemma, s.Words[i-1].Count)
}

// synsetWords adds the synonyms in s of its word self (0-based).
func (l *lister) synsetWords(list []ranked, s *wordnet.Synset, self int) []ranked {
	for i, w := range s.Words {
		if i != self {
			list = l.add(list, w.Lemma, w.Count)
		}
	}
	return list
}

// best returns up to n items, the most familiar first when byCount (ties
// and the rest in the order found).
func best(list []ranked, n int, byCount bool) []string {
	if byCount {
		sort.SliceStable(list, func(i, j int) bool { return list[i].count > list[j].count })
	}
	out := make([]string, 0, min(n, len(list)))
	for _, r := range list {
		if len(out) == n {
			break
		}
		out = append(out, r.text)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// shortGloss turns a WordNet definition into a short phrase: no leading
// usage note such as "(of weather)", the first clause when the whole is
// long, at most maxGlossLen bytes cut at a word boundary.
func shortGloss(def string) string {
	g := strings.TrimSpace(def)
	if strings.HasPrefix(g, "(") {
		if i := strings.IndexByte(g, ')'); i > 0 {
			g = strings.TrimSpace(g[i+1:])
		}
	}
	if len(g) > 60 {
		g = dropParens(g)
	}
	if len(g) > 60 {
		if i := strings.Index(g, "; "); i >= 20 {
			g = g[:i]
		}
	}
	if len(g) > maxGlossLen {
		cut := g[:maxGlossLen]
		if i := strings.LastIndex(cut, ", "); i >= 40 {
			cut = cut[:i]
		} else if i := strings.LastIndexByte(cut, ' '); i > 0 {
			cut = cut[:i]
		}
		g = trimDangling(cut)
	}
	g = strings.TrimRight(g, " ;:,")
	g = strings.Map(func(r rune) rune {
		if r == '|' || r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, g)
	if strings.Count(g, "(") != strings.Count(g, ")") {
		if i := strings.LastIndexByte(g, '('); i > 20 {
			g = strings.TrimRight(g[:i], " ;:,")
		}
	}
	return g
}

// dropParens removes parenthesised asides such as "(probably descended
// from the common wolf)", which make clues long and stilted.
func dropParens(s string) string {
	for {
		i := strings.IndexByte(s, '(')
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], ')')
		if j < 0 {
			return s
		}
		s = strings.TrimSpace(s[:i]) + " " + strings.TrimSpace(s[i+j+1:])
		s = strings.TrimSpace(strings.ReplaceAll(s, " ,", ","))
	}
}

// trimDangling drops words a cut phrase must not end with.
func trimDangling(s string) string {
	for {
		s = strings.TrimRight(s, " ;:,")
		i := strings.LastIndexByte(s, ' ')
		if i < 0 {
			return s
		}
		switch s[i+1:] {
		case "a", "an", "the", "of", "or", "and", "to", "in", "on", "by", "for", "with", "as", "at", "from", "that", "which", "is", "are", "be", "its", "their",
			"since", "than", "into", "who", "whose", "when", "where", "while", "because", "through",
			"about", "over", "under", "between", "especially", "usually", "such", "not", "very", "more", "most":
			s = s[:i]
		default:
			return s
		}
	}
}

// Outputs are the files [Build] writes; a nil writer is not written.
type Outputs struct {
	// Words receives the word list, in the taboo/words.txt format.
	Words io.Writer
	// Lexicon receives the scripted players' lexicon of the words (see
	// [scripted.WriteLexicon]).
	Lexicon io.Writer
	// Definitions receives the APO definitions task of the words (see
	// [BuildDefinitions] and [definitions.Write]).
	Definitions io.Writer
	// ListSize, when positive and below the build's size, is how many of
	// the most frequent words go into the word list: a list sized to what
	// the players learn, while the lexicon and the definitions keep every
	// word (the built-in defender ranks the whole lexicon, so its play does
	// not depend on the list's size).
	ListSize int
}

// Build reads the WordNet database in dir, takes its n most frequent words
// and writes the files out asks for. It is what "spag words build" runs;
// the same database gives the same bytes.
func Build(dir string, n int, out Outputs) error {
	if n <= 0 {
		return fmt.Errorf("wordnet: build: size %d must be positive", n)
	}
	db, err := wordnet.Open(dir)
	if err != nil {
		return err
	}
	return buildOn(db, n, out)
}

// buildOn is [Build] on an open database.
func buildOn(db *wordnet.DB, n int, out Outputs) error {
	words := db.FrequentWords(n)
	if len(words) == 0 {
		return errors.New("wordnet: build: the database has no tagged words")
	}
	flags := buildFlags{len(words), len(words)}
	if out.ListSize > 0 && out.ListSize < len(words) {
		flags.listSize = out.ListSize
	}
	if out.Words != nil {
		if err := writeWordList(out.Words, words[:flags.listSize], flags); err != nil {
			return err
		}
	}
	if out.Lexicon != nil {
		entries, err := BuildLexicon(db, words)
		if err != nil {
			return err
		}
		if err := writeLexicon(out.Lexicon, entries, flags); err != nil {
			return err
		}
	}
	if out.Definitions != nil {
		entries, err := BuildDefinitions(db, words)
		if err != nil {
			return err
		}
		if err := writeDefinitions(out.Definitions, flags, entries); err != nil {
			return err
		}
	}
	return nil
}

// WriteLexicon writes entries as a scripted-player lexicon file headed by
// the WordNet licence.
func WriteLexicon(w io.Writer, entries []scripted.Entry) error {
	return writeLexicon(w, entries, buildFlags{len(entries), len(entries)})
}

func writeLexicon(w io.Writer, entries []scripted.Entry, flags buildFlags) error {
	if err := scripted.WriteLexicon(w, headerLines(lexiconComment, flags), entries); err != nil {
		return fmt.Errorf("wordnet: %w", err)
	}
	return nil
}
