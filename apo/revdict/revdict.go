// Package revdict is a fixed reverse dictionary: given the text of a
// definition, it ranks words by how well their own definitions match it,
// with plain TF-IDF cosine similarity. It is the yardstick of the APO
// definitions task (does the generator's definition of W find W?), so it
// never trains and depends on nothing but its words and definitions.
package revdict

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
)

// Index is a reverse dictionary over a fixed list of words, each with one
// definition. It is read-only after [New] and safe for concurrent use.
//
// Each definition is a document of terms ([Terms]); a term's weight in a
// document is (1 + ln tf)·idf with idf = 1 + ln((1+N)/(1+df)) over the N
// documents, and document vectors have unit length. A query's score
// against a word is the cosine of the query's vector (same weights, terms
// outside the index ignored) with the word's. A word's own terms are left
// out of its document, and [Index.Rank] leaves them out of the definition
// it ranks the word for: a definition must describe its word, not name it.
type Index struct {
	words []string
	index map[string]int
	// postings[t] are the documents holding term t with their weight.
	postings map[string][]posting
	idf      map[string]float64
}

type posting struct {
	doc    int
	weight float64
}

// Match is one word and its score against a definition.
type Match struct {
	Word  string
	Score float64
}

// New indexes words with their definitions (parallel slices). Words must
// be distinct and non-empty; a definition may be empty (its word then
// matches nothing).
func New(words, definitions []string) (*Index, error) {
	if len(words) != len(definitions) {
		return nil, fmt.Errorf("revdict: %d words and %d definitions", len(words), len(definitions))
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("revdict: no words")
	}
	ix := &Index{words: append([]string(nil), words...), index: make(map[string]int, len(words)),
		postings: make(map[string][]posting), idf: make(map[string]float64)}
	tfs := make([]map[string]int, len(words))
	df := make(map[string]int)
	for i, w := range words {
		if w == "" {
			return nil, fmt.Errorf("revdict: word %d is empty", i+1)
		}
		if j, dup := ix.index[w]; dup {
			return nil, fmt.Errorf("revdict: word %q repeats (entries %d and %d)", w, j+1, i+1)
		}
		ix.index[w] = i
		tfs[i] = termCounts(definitions[i], w)
		for t := range tfs[i] {
			df[t]++
		}
	}
	n := float64(len(words))
	for t, d := range df {
		ix.idf[t] = 1 + math.Log((1+n)/(1+float64(d)))
	}
	for i, tf := range tfs {
		v := ix.vector(tf)
		for _, t := range sortedTerms(v) {
			ix.postings[t] = append(ix.postings[t], posting{i, v[t]})
		}
	}
	return ix, nil
}

// vector returns the unit TF-IDF vector of term counts, over the terms
// the index knows; nil when there is none.
func (ix *Index) vector(tf map[string]int) map[string]float64 {
	v := make(map[string]float64, len(tf))
	norm := 0.0
	for _, t := range sortedTerms(tf) {
		idf, ok := ix.idf[t]
		if !ok {
			continue
		}
		w := (1 + math.Log(float64(tf[t]))) * idf
		v[t] = w
		norm += w * w
	}
	if norm == 0 {
		return nil
	}
	norm = math.Sqrt(norm)
	for t := range v {
		v[t] /= norm
	}
	return v
}

// sortedTerms returns the keys of m in order, so that sums run in one
// order and equal documents get bit-equal scores.
func sortedTerms[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Len is the number of words.
func (ix *Index) Len() int { return len(ix.words) }

// scores returns every word's score against definition without the terms
// of the word without ("" for none), by word index.
func (ix *Index) scores(definition, without string) []float64 {
	s := make([]float64, len(ix.words))
	q := ix.vector(termCounts(definition, without))
	for _, t := range sortedTerms(q) {
		for _, p := range ix.postings[t] {
			s[p.doc] += q[t] * p.weight
		}
	}
	return s
}

// Lookup returns the n best-matching words for definition, best first;
// equal scores keep the order the words were given in. Words that share
// no term with the definition (score 0) are left out.
func (ix *Index) Lookup(definition string, n int) []Match {
	s := ix.scores(definition, "")
	order := make([]int, 0, len(s))
	for i, v := range s {
		if v > 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return s[order[a]] > s[order[b]] })
	order = order[:min(max(n, 0), len(order))]
	out := make([]Match, len(order))
	for k, i := range order {
		out[k] = Match{Word: ix.words[i], Score: s[i]}
	}
	return out
}

// Rank returns the 1-based rank of word among all words for definition,
// without the word's own terms: one more than the number of other words
// that score at least as high. Ties count against word, so a definition
// that matches nothing (or matches several words equally) does not find
// it by luck; an empty definition, or one that only names the word, ranks
// it last. It is an error when word is not in the index.
func (ix *Index) Rank(definition, word string) (int, error) {
	i, ok := ix.index[word]
	if !ok {
		return 0, fmt.Errorf("revdict: %q is not in the index", word)
	}
	s := ix.scores(definition, word)
	rank := 1
	for j, v := range s {
		if j != i && v >= s[i] {
			rank++
		}
	}
	return rank, nil
}

// Rates counts how often definitions found their word in the first one
// and the first five places ([Index.Rank]).
type Rates struct {
	N, Top1, Top5 int
}

// Add counts one rank.
func (r *Rates) Add(rank int) {
	r.N++
	if rank == 1 {
		r.Top1++
	}
	if rank >= 1 && rank <= 5 {
		r.Top5++
	}
}

// Top1Rate is the share of definitions that ranked their word first (0
// when none was counted).
func (r Rates) Top1Rate() float64 { return share(r.Top1, r.N) }

// Top5Rate is the share of definitions that ranked their word in the
// first five.
func (r Rates) Top5Rate() float64 { return share(r.Top5, r.N) }

func share(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

// String reads "top-1 0.912 (912/1000), top-5 0.981 (981/1000)".
func (r Rates) String() string {
	return fmt.Sprintf("top-1 %.3f (%d/%d), top-5 %.3f (%d/%d)", r.Top1Rate(), r.Top1, r.N, r.Top5Rate(), r.Top5, r.N)
}

// Rates ranks each word for its definition (parallel slices) and counts
// the ranks.
func (ix *Index) Rates(words, definitions []string) (Rates, error) {
	if len(words) != len(definitions) {
		return Rates{}, fmt.Errorf("revdict: %d words and %d definitions", len(words), len(definitions))
	}
	var r Rates
	for i, w := range words {
		rank, err := ix.Rank(definitions[i], w)
		if err != nil {
			return Rates{}, err
		}
		r.Add(rank)
	}
	return r, nil
}

// stopWords are function words too common in definitions to tell them
// apart; IDF alone would leave them a small weight.
var stopWords = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(`a an the of or and to in on at by for with as from into
		that which who whom whose this these those it its is are was were be been being
		some any such than then so very one ones something someone`) {
		m[w] = true
	}
	return m
}()

// Terms splits text into the index's terms: maximal runs of letters and
// digits, lower-cased, without stop words ("a", "the", "of", ...).
func Terms(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if !stopWords[f] {
			out = append(out, f)
		}
	}
	return out
}

// termCounts counts the terms of text that are not terms of word.
func termCounts(text, word string) map[string]int {
	tf := make(map[string]int)
	for _, t := range Terms(text) {
		tf[t]++
	}
	for _, t := range Terms(word) {
		delete(tf, t)
	}
	return tf
}
