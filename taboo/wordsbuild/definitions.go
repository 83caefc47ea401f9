package wordsbuild

import (
	"fmt"
	"io"
	"strings"

	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/internal/wordnet"
	"github.com/spag-go/spag/taboo"
)

// definitionsNotes say how the definitions file was made; they head it.
var definitionsNotes = []string{
	"Words: those of taboo/words.txt, in its order (most frequent first), each",
	"with its most frequent sense: the noun, verb or adjective sense of the word",
	"in lower case with the highest tagged-sense count in WordNet's semantic",
	"concordances (the lexicon's main sense). A word whose sense, or whose gloss,",
	"a more frequent word of the list already has is left out (synonyms such as",
	"\"thought\" after \"idea\"), so every gold answer belongs to one word.",
	"gloss: the sense's WordNet definition without the quoted examples that",
	"follow it, white space collapsed.",
	"ancestors: up to three synsets above the sense, nearest first: the chain of",
	"first hypernyms for nouns and verbs, the head of the adjective cluster for",
	"adjectives (a head adjective is its own head); hypernym: the first lemma",
	"of the nearest. Words sharing an ancestor are each other's hard negatives.",
	"split: heldout when the first byte of the SHA-256 digest of the word is",
	"below 10% of 256 (the rule of taboo.SplitWords, so a word is held out in",
	"both games), train otherwise.",
}

// BuildDefinitions returns the APO definitions task's entries of words
// (the Taboo list, most frequent first), in order; see definitionsNotes
// for the choices. Every word must have a noun, verb or adjective sense.
func BuildDefinitions(db *wordnet.DB, words []string) ([]definitions.Entry, error) {
	_, held := taboo.SplitWords(words)
	heldOut := make(map[string]bool, len(held))
	for _, w := range held {
		heldOut[w] = true
	}
	takenSense := make(map[wordnet.SynsetID]bool, len(words))
	takenGloss := make(map[string]bool, len(words))
	out := make([]definitions.Entry, 0, len(words))
	for i, w := range words {
		senses := mainSenses(db, w)
		if len(senses) == 0 {
			return nil, fmt.Errorf("wordnet: definitions word %d: %q has no lower-case noun, verb or adjective sense in WordNet", i+1, w)
		}
		s := senses[0].Synset
		gloss := strings.Join(strings.Fields(s.Definition()), " ")
		if takenSense[s.ID] || takenGloss[gloss] || gloss == "" {
			continue
		}
		takenSense[s.ID], takenGloss[gloss] = true, true
		e := definitions.Entry{Word: w, Gloss: gloss, Synset: s.ID.String(), Split: definitions.Train}
		switch s.ID.POS {
		case wordnet.Noun:
			e.POS = definitions.Noun
		case wordnet.Verb:
			e.POS = definitions.Verb
		default:
			e.POS = definitions.Adjective
		}
		above := ancestors(db, s)
		for _, a := range above {
			e.Ancestors = append(e.Ancestors, a.ID.String())
		}
		if len(above) > 0 {
			e.Hypernym = strings.ReplaceAll(above[0].Words[0].Lemma, "_", " ")
		}
		if heldOut[w] {
			e.Split = definitions.HeldOut
		}
		out = append(out, e)
	}
	return out, nil
}

// ancestors returns up to definitions.MaxAncestors synsets above s: the
// chain of first hypernyms (instance hypernyms count) for nouns and
// verbs, the cluster head for adjectives.
func ancestors(db *wordnet.DB, s *wordnet.Synset) []*wordnet.Synset {
	if s.ID.POS == wordnet.Adj {
		if s.Type != wordnet.AdjSatellite {
			return []*wordnet.Synset{s}
		}
		for _, p := range s.Pointers {
			if p.Kind == wordnet.SimilarTo {
				if h := synset(db, p.Target); h != nil {
					return []*wordnet.Synset{h}
				}
			}
		}
		return nil
	}
	var out []*wordnet.Synset
	for x := s; len(out) < definitions.MaxAncestors; {
		x = firstHypernym(db, x)
		if x == nil {
			break
		}
		out = append(out, x)
	}
	return out
}

func firstHypernym(db *wordnet.DB, s *wordnet.Synset) *wordnet.Synset {
	for _, p := range s.Pointers {
		if p.Kind == wordnet.Hypernym || p.Kind == wordnet.InstanceHypernym {
			return synset(db, p.Target)
		}
	}
	return nil
}

// definitionsComment is the first comment line of the definitions file.
const definitionsComment = "spag APO definitions task: \"What does the word W mean?\" with WordNet's gloss as the gold answer."

// WriteDefinitions writes entries as a definitions file (see
// [definitions.Write]) headed by how they were made and the WordNet
// licence; size is the Taboo list size the build command was given.
func WriteDefinitions(w io.Writer, size int, entries []definitions.Entry) error {
	return writeDefinitions(w, buildFlags{size, size}, entries)
}

func writeDefinitions(w io.Writer, flags buildFlags, entries []definitions.Entry) error {
	if err := definitions.Write(w, headerLines(definitionsComment, flags, definitionsNotes...), entries); err != nil {
		return fmt.Errorf("wordnet: %w", err)
	}
	return nil
}
