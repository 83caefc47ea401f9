package wordnet

import (
	"fmt"
	"iter"
	"strings"
)

// Dictionary tells English words from non-words: a word is in it when
// WordNet's morphological reduction ("morphy") turns it into a lemma of
// some part of speech ("flooded" into flood, "cities" into city, "ran" into
// run). It holds the lemmas of the index files and the exception lists
// (noun.exc, verb.exc, adj.exc, adv.exc), not the synsets, so
// [OpenDictionary] reads a sixth of the bytes [Open] reads, in about a
// tenth of its time.
//
// A Dictionary is read-only after OpenDictionary and safe for concurrent
// use.
type Dictionary struct {
	// lemmas holds each part of speech's index lemmas (lower case, '_'
	// for spaces).
	lemmas map[POS]map[string]struct{}
	// exceptions maps an irregular form to its base forms, per part of
	// speech: "mice" to mouse, "better" to good and well.
	exceptions map[POS]map[string][]string
}

// detachment is one of morphy's suffix rules: a word ending in suffix may
// be a form of the word with ending in its place.
type detachment struct{ suffix, ending string }

// detachments are WordNet 3.0's rules (morph.c, and the morphy(7WN) manual
// page), in its order. Adverbs have none: their forms are all in adv.exc.
var detachments = map[POS][]detachment{
	Noun: {{"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}},
	Verb: {{"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""}},
	Adj:  {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}},
}

// OpenDictionary reads the lemmas and exception lists of the database in
// dir (usually [DefaultDir]).
func OpenDictionary(dir string) (*Dictionary, error) {
	d := &Dictionary{
		lemmas:     make(map[POS]map[string]struct{}, len(filePOSes)),
		exceptions: make(map[POS]map[string][]string, len(filePOSes)),
	}
	for _, p := range filePOSes {
		lemmas, err := readLemmas(dir, p)
		if err != nil {
			return nil, err
		}
		d.lemmas[p] = lemmas
		exc, err := readExceptions(dir, p)
		if err != nil {
			return nil, err
		}
		d.exceptions[p] = exc
	}
	return d, nil
}

// readLemmas reads the first field of each line of index.<pos>; [Open]
// parses the whole line.
func readLemmas(dir string, p POS) (map[string]struct{}, error) {
	name := "index." + p.fileName()
	f, err := openIn(dir, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := make(map[string]struct{}, 120000)
	err = scanLines(f, func(line string, n int) error {
		lemma, rest, ok := strings.Cut(line, " ")
		if !ok || lemma == "" || !strings.HasPrefix(rest, string(p)+" ") {
			return fmt.Errorf("wordnet: %s line %d: want a lemma, then part of speech %q", name, n, string(p))
		}
		m[lemma] = struct{}{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("wordnet: read %s: %w", name, err)
	}
	return m, nil
}

// readExceptions reads <pos>.exc: an inflected form, then its base forms.
func readExceptions(dir string, p POS) (map[string][]string, error) {
	name := p.fileName() + ".exc"
	f, err := openIn(dir, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := make(map[string][]string, 2500)
	err = scanLines(f, func(line string, n int) error {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			return fmt.Errorf("wordnet: %s line %d: want a form and at least one base form", name, n)
		}
		m[fields[0]] = append(m[fields[0]], fields[1:]...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("wordnet: read %s: %w", name, err)
	}
	return m, nil
}

// Has reports whether word (any case; spaces or '_' between the words of a
// phrase) is a lemma of any part of speech or, by [Dictionary.BaseForms],
// a form of one.
func (d *Dictionary) Has(word string) bool {
	word = normLemma(word)
	for _, p := range filePOSes {
		for range d.bases(word, p) {
			return true
		}
	}
	return false
}

// BaseForms returns the lemmas of part of speech pos (AdjSatellite is
// treated as Adj) that word may be a form of, as WordNet's morphy finds
// them: the word itself when it is a lemma, its base forms in the
// exception list, then the lemmas the suffix rules give ("cities": city;
// "flooded": flood), without repeats. Like morphy, it applies no suffix
// rule to nouns ending in "ss" ("glass") or of two letters or fewer.
// Unlike morphy it does not reduce the words of a phrase one by one, nor
// "-ful" nouns ("boxesful").
func (d *Dictionary) BaseForms(word string, pos POS) []string {
	var out []string
	for b := range d.bases(normLemma(word), pos.filePOS()) {
		out = append(out, b)
	}
	return out
}

// bases yields the distinct lemmas of p that word (normalised) reduces to.
func (d *Dictionary) bases(word string, p POS) iter.Seq[string] {
	return func(yield func(string) bool) {
		lemmas := d.lemmas[p]
		var seen []string // a handful at most
		try := func(b string) bool {
			if _, ok := lemmas[b]; !ok {
				return true
			}
			for _, s := range seen {
				if s == b {
					return true
				}
			}
			seen = append(seen, b)
			return yield(b)
		}
		if word == "" || !try(word) {
			return
		}
		for _, b := range d.exceptions[p][word] {
			if !try(b) {
				return
			}
		}
		if p == Noun && (strings.HasSuffix(word, "ss") || len(word) <= 2) {
			return
		}
		for _, r := range detachments[p] {
			if stem, ok := strings.CutSuffix(word, r.suffix); ok && stem != "" {
				if !try(stem + r.ending) {
					return
				}
			}
		}
	}
}
