package wordnet

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// wordPOSes are the parts of speech a Taboo target may have: adverbs make
// poor targets ("very", "also") and are left out.
var wordPOSes = [...]POS{Noun, Verb, Adj}

// minWordLen is the shortest target word; two-letter words are substrings of
// too many others to be playable under the spag judge.
const minWordLen = 3

// WordCount is the sum of the tagged-sense counts of lemma over its noun,
// verb and adjective senses, leaving out senses where WordNet writes the
// word with a capital letter (proper nouns such as "March" the month).
func (db *DB) WordCount(lemma string) int {
	lemma = normLemma(lemma)
	n := 0
	for _, p := range wordPOSes {
		for _, s := range db.Senses(lemma, p) {
			if s.Synset.Words[s.Word].Lemma != lemma {
				continue // capitalised in this sense
			}
			n += s.Count
		}
	}
	return n
}

// isPlainWord reports whether s is a single lower-case ASCII word of at least
// minWordLen letters.
func isPlainWord(s string) bool {
	if len(s) < minWordLen {
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
			if !isPlainWord(lemma) {
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
// derived from WordNet, so both generated files carry it.
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

// headerLines is the comment block shared by the generated files: what the
// file is, how to regenerate it, notes on how it was made (the words'
// ranking when notes is empty), and the WordNet licence.
func headerLines(what string, flags buildFlags, notes ...string) []string {
	if len(notes) == 0 {
		notes = []string{
			"Words are ranked by the number of times their senses were tagged in",
			"WordNet's semantic concordances.",
		}
	}
	lines := []string{
		what,
		"Generated from Princeton WordNet 3.0 (Debian package wordnet-base) by",
		"    spag words build --wordnet /usr/share/wordnet " + flags.sizes() + " \\",
		"        --out taboo/words.txt --lexicon players/scripted/lexicon.gz \\",
		"        --definitions apo/definitions/definitions.jsonl.gz",
		"Do not edit by hand: regenerate instead.",
	}
	lines = append(lines, notes...)
	lines = append(lines, "", "WordNet licence:", "")
	return append(lines, strings.Split(License, "\n")...)
}

// buildFlags are the sizes "spag words build" was given, which the
// generated files' headers quote: size words in the lexicon and the
// definitions, the first listSize of them in the word list.
type buildFlags struct{ size, listSize int }

// sizes is the flags' part of the build command.
func (f buildFlags) sizes() string {
	s := "--size " + strconv.Itoa(f.size)
	if f.listSize != f.size {
		s += " --list-size " + strconv.Itoa(f.listSize)
	}
	return s
}

// WriteWordList writes words in the format of taboo/words.txt: comment lines
// starting with '#' (what the file is, how it was generated, the WordNet
// licence), then one word per line.
func WriteWordList(w io.Writer, words []string) error {
	return writeWordList(w, words, buildFlags{len(words), len(words)})
}

func writeWordList(w io.Writer, words []string, flags buildFlags) error {
	bw := bufio.NewWriter(w)
	what := fmt.Sprintf("spag Taboo target words: the %d most frequent English nouns, verbs and adjectives.", len(words))
	for _, l := range headerLines(what, flags) {
		bw.WriteString(strings.TrimRight("# "+l, " "))
		bw.WriteByte('\n')
	}
	for i, word := range words {
		if !isPlainWord(word) {
			return fmt.Errorf("wordnet: write word list: word %d %q is not a lower-case word of %d or more letters", i+1, word, minWordLen)
		}
		bw.WriteString(word)
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("wordnet: write word list: %w", err)
	}
	return nil
}
