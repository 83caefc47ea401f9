package definitions

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
)

// Preference is one preference item: the word's gloss preferred over the
// gloss of another word, the analogue of APO's human preference data. Its
// JSON is the reward-model item format that spag train --objective apo
// reads (query, responses, prefs, adversarial: the one rl/objective.APO
// trains on, as spag apo items writes it), with the words and the kind of
// negative added for analysis.
type Preference struct {
	Query string `json:"query"`
	// Responses are the gold gloss, then the other word's gloss.
	Responses []string `json:"responses"`
	// Prefs are 1 for the gold gloss and 0 for the other.
	Prefs []float64 `json:"prefs"`
	// Adversarial is false: these are preference items, not APO's
	// gold-versus-samples items.
	Adversarial bool   `json:"adversarial"`
	Word        string `json:"word"`
	// Negative is the word whose gloss is the rejected response.
	Negative string `json:"negative"`
	// Hard is true when Negative shares an ancestor with Word (see
	// [Preferences]).
	Hard bool `json:"hard"`
}

// PreferenceOptions say how many negatives each word gets and from which
// seed they are drawn.
type PreferenceOptions struct {
	// Hard is the number of hard negatives per word: words under the
	// nearest of its ancestors that has other words under it. A word gets
	// fewer when there are fewer such words (none for one without
	// ancestors).
	Hard int
	// Easy is the number of easy negatives per word: words drawn at random
	// from those that share none of its ancestors.
	Easy int
	// Seed draws the negatives.
	Seed uint64
}

// Preferences returns the preference items of entries, word by word in
// order: first the hard items of a word, then its easy ones. Negatives
// are drawn from entries alone, so the items of one split never show a
// gloss of the other. Easy negatives are never relatives: words sharing
// an ancestor with the word, the words whose sense is one of its
// ancestors, or the words it is an ancestor of. The same arguments give
// the same items.
func Preferences(entries []Entry, opt PreferenceOptions) ([]Preference, error) {
	if opt.Hard < 0 || opt.Easy < 0 {
		return nil, fmt.Errorf("definitions: preference counts must not be negative (hard %d, easy %d)", opt.Hard, opt.Easy)
	}
	// under[a] lists the entries with ancestor a, in order.
	under := make(map[string][]int)
	bySynset := make(map[string]int, len(entries))
	for i, e := range entries {
		for _, a := range e.Ancestors {
			under[a] = append(under[a], i)
		}
		bySynset[e.Synset] = i
	}
	var out []Preference
	for i, e := range entries {
		rng := wordRand(opt.Seed, e.Word)
		var hard []int
		for _, a := range e.Ancestors {
			hard = others(under[a], i)
			if len(hard) > 0 {
				break
			}
		}
		for _, j := range pick(rng, hard, opt.Hard) {
			out = append(out, preference(e, entries[j], true))
		}
		related := make(map[int]bool)
		for _, j := range under[e.Synset] {
			related[j] = true
		}
		for _, a := range e.Ancestors {
			for _, j := range under[a] {
				related[j] = true
			}
			if j, ok := bySynset[a]; ok {
				related[j] = true
			}
		}
		for _, j := range pickUnrelated(rng, len(entries), i, related, opt.Easy) {
			out = append(out, preference(e, entries[j], false))
		}
	}
	return out, nil
}

func preference(e, neg Entry, hard bool) Preference {
	return Preference{Query: Query(e.Word), Responses: []string{e.Gloss, neg.Gloss}, Prefs: []float64{1, 0},
		Word: e.Word, Negative: neg.Word, Hard: hard}
}

// wordRand is the random source of one word's negatives.
func wordRand(seed uint64, word string) *rand.Rand {
	sum := sha256.Sum256([]byte(word))
	return rand.New(rand.NewPCG(seed, binary.LittleEndian.Uint64(sum[:8])))
}

// others returns list without self.
func others(list []int, self int) []int {
	var out []int
	for _, j := range list {
		if j != self {
			out = append(out, j)
		}
	}
	return out
}

// pick returns n distinct elements of list drawn at random (all of them,
// shuffled, when there are n or fewer).
func pick(rng *rand.Rand, list []int, n int) []int {
	list = append([]int(nil), list...)
	rng.Shuffle(len(list), func(a, b int) { list[a], list[b] = list[b], list[a] })
	return list[:min(n, len(list))]
}

// pickUnrelated draws n distinct indices below size that are neither self
// nor related, by rejection: related words are few.
func pickUnrelated(rng *rand.Rand, size, self int, related map[int]bool, n int) []int {
	free := size - 1
	for j := range related {
		if j != self {
			free--
		}
	}
	n = min(n, free)
	chosen := make(map[int]bool, n)
	out := make([]int, 0, n)
	for len(out) < n {
		j := rng.IntN(size)
		if j == self || related[j] || chosen[j] {
			continue
		}
		chosen[j] = true
		out = append(out, j)
	}
	return out
}
