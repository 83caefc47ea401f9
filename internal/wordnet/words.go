package wordnet

import "sort"

// wordPOSes are the parts of speech a Taboo target may have: adverbs make
// poor targets ("very", "also") and are left out.
var wordPOSes = [...]POS{Noun, Verb, Adj}

// MinWordLen is the shortest target word; two-letter words are substrings of
// too many others to be playable under the spag judge.
const MinWordLen = 3

// WordCount is the sum of the tagged-sense counts of lemma over its noun,
// verb and adjective senses, leaving out senses where WordNet writes the
// word with a capital letter (proper nouns such as "March" the month).
func (db *DB) WordCount(lemma string) int {
	n := 0
	for _, s := range db.CommonSenses(normLemma(lemma)) {
		n += s.Count
	}
	return n
}

// CommonSenses returns the noun, verb and adjective senses of lemma in
// which WordNet writes it exactly as given, in part-of-speech then sense
// order. For a lower-case lemma that leaves out the senses where it is
// capitalised, the proper nouns such as "March" the month.
func (db *DB) CommonSenses(lemma string) []Sense {
	var out []Sense
	for _, p := range wordPOSes {
		for _, s := range db.Senses(lemma, p) {
			if s.Synset.Words[s.Word].Lemma == lemma {
				out = append(out, s)
			}
		}
	}
	return out
}

// PlainWord reports whether s is a single lower-case ASCII word of at least
// [MinWordLen] letters, the words [DB.FrequentWords] returns.
func PlainWord(s string) bool {
	if len(s) < MinWordLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// FrequentWords returns up to n frequent English words for Taboo: single
// lower-case alphabetic nouns, verbs and adjectives of at least three
// letters, ranked by [DB.WordCount] (highest first, ties alphabetically).
// Words never tagged in lower case are left out, so n may not be reached.
func (db *DB) FrequentWords(n int) []string {
	if n <= 0 {
		return nil
	}
	type scored struct {
		word  string
		count int
	}
	// One pass over the index files; the same sum as WordCount.
	counts := make(map[string]int)
	for _, p := range wordPOSes {
		for lemma, e := range db.index[p] {
			if !PlainWord(lemma) {
				continue
			}
			for _, id := range e.Synsets {
				for _, w := range db.synsets[id].Words {
					if w.Lemma == lemma { // lower case: not a proper noun
						counts[lemma] += w.Count
					}
				}
			}
		}
	}
	all := make([]scored, 0, len(counts))
	for w, c := range counts {
		if c > 0 {
			all = append(all, scored{w, c})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].count != all[j].count {
			return all[i].count > all[j].count
		}
		return all[i].word < all[j].word
	})
	if len(all) > n {
		all = all[:n]
	}
	out := make([]string, len(all))
	for i, s := range all {
		out[i] = s.word
	}
	return out
}

// License is the WordNet 3.0 licence. It must accompany every copy of data
// derived from WordNet, so every file spag generates from it carries it.
const License = `WordNet Release 3.0

This software and database is being provided to you, the LICENSEE, by
Princeton University under the following license.  By obtaining, using
and/or copying this software and database, you agree that you have
read, understood, and will comply with these terms and conditions.:

Permission to use, copy, modify and distribute this software and
database and its documentation for any purpose and without fee or
royalty is hereby granted, provided that you agree to comply with
the following copyright notice and statements, including the disclaimer,
and that the same appear on ALL copies of the software, database and
documentation, including modifications that you make for internal
use or for distribution.

WordNet 3.0 Copyright 2006 by Princeton University.  All rights reserved.

THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON
UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES, EXPRESS OR
IMPLIED.  BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON
UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT-
ABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE
OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT
INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR
OTHER RIGHTS.

The name of Princeton University or Princeton may not be used in
advertising or publicity pertaining to distribution of the software
and/or database.  Title to copyright in this software, database and
any associated documentation shall at all times remain with
Princeton University and LICENSEE agrees to preserve same.`
