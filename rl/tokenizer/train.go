package tokenizer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// TrainOptions configures [Train].
type TrainOptions struct {
	// VocabSize is the wanted number of pieces, reserved ones included. The
	// result is smaller when the corpus runs out of pairs to merge.
	VocabSize int
	// CharacterCoverage is the fraction of character occurrences that must
	// be covered by single-character pieces; rarer characters are left to
	// byte fallback. 0 means 0.9995 (SentencePiece's default).
	CharacterCoverage float64
	// MaxPieceLength caps a learned piece's length in characters; 0 means 16.
	MaxPieceLength int
	// NoDummyPrefix turns off the "▁" prepended to every text.
	NoDummyPrefix bool
}

// Train learns a BPE vocabulary from corpus, one text per element, the way
// SentencePiece's BPE trainer does: texts are normalised as in Encode, split
// into words at "▁" (each word keeps its leading "▁"), and the most frequent
// adjacent pair of symbols is merged until the vocabulary is full. Merged
// pieces are scored by merge order (0, -1, -2, ...), so that encoding by
// highest score replays the merges; single characters follow with lower
// scores, most frequent first. Ties between equally frequent pairs go to the
// lexicographically smaller concatenation, which makes training
// deterministic. Train returns early with ctx's error when ctx is cancelled.
func Train(ctx context.Context, corpus []string, opt TrainOptions) (*Vocab, error) {
	coverage := opt.CharacterCoverage
	if coverage == 0 {
		coverage = 0.9995
	}
	maxLen := opt.MaxPieceLength
	if maxLen == 0 {
		maxLen = 16
	}
	if coverage < 0 || coverage > 1 {
		return nil, fmt.Errorf("train tokenizer: character coverage %v outside [0, 1]", coverage)
	}
	if opt.VocabSize < NumReserved+1 {
		return nil, fmt.Errorf("train tokenizer: vocabulary size %d, need at least %d", opt.VocabSize, NumReserved+1)
	}
	norm := &Vocab{addDummyPrefix: !opt.NoDummyPrefix}

	// Count words and characters.
	wordCount := map[string]int{}
	charCount := map[string]int{}
	for _, text := range corpus {
		text = norm.normalize(strings.ToValidUTF8(text, ""))
		for _, w := range splitWords(text) {
			wordCount[w]++
		}
		for _, r := range text {
			charCount[string(r)]++
		}
	}

	// Keep the most frequent characters up to the coverage.
	chars := make([]string, 0, len(charCount))
	total := 0
	for c, n := range charCount {
		chars = append(chars, c)
		total += n
	}
	sort.Slice(chars, func(i, j int) bool {
		if charCount[chars[i]] != charCount[chars[j]] {
			return charCount[chars[i]] > charCount[chars[j]]
		}
		return chars[i] < chars[j]
	})
	kept := map[string]bool{}
	covered := 0
	for _, c := range chars {
		if total > 0 && float64(covered)/float64(total) >= coverage {
			break
		}
		kept[c] = true
		covered += charCount[c]
	}
	chars = chars[:len(kept)]
	// A small vocabulary cannot hold every covered character: keep the
	// most frequent that fit and leave the rest to byte fallback, so that
	// the vocabulary never exceeds the size asked for.
	if room := opt.VocabSize - NumReserved; len(chars) > room {
		for _, c := range chars[room:] {
			delete(kept, c)
		}
		chars = chars[:room]
	}
	budget := opt.VocabSize - NumReserved - len(chars)

	// Words as symbol sequences; an uncovered character never merges.
	type word struct {
		syms  []string
		count int
	}
	words := make([]word, 0, len(wordCount))
	for w, n := range wordCount {
		var syms []string
		for _, r := range w {
			syms = append(syms, string(r))
		}
		words = append(words, word{syms: syms, count: n})
	}
	sort.Slice(words, func(i, j int) bool { return strings.Join(words[i].syms, "") < strings.Join(words[j].syms, "") })

	merges := make([]string, 0, max(budget, 0))
	seen := map[string]bool{}
	for len(merges) < budget {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("train tokenizer: %w", err)
		}
		type pair struct{ a, b string }
		counts := map[pair]int{}
		for _, w := range words {
			for i := 1; i < len(w.syms); i++ {
				a, b := w.syms[i-1], w.syms[i]
				if !kept[a] && !seen[a] || !kept[b] && !seen[b] {
					continue
				}
				if utf8.RuneCountInString(a)+utf8.RuneCountInString(b) > maxLen {
					continue
				}
				counts[pair{a, b}] += w.count
			}
		}
		var best pair
		bestN := 0
		for p, n := range counts {
			if n > bestN || n == bestN && p.a+p.b < best.a+best.b {
				best, bestN = p, n
			}
		}
		if bestN == 0 {
			break
		}
		merged := best.a + best.b
		if !seen[merged] && !kept[merged] {
			merges = append(merges, merged)
			seen[merged] = true
		}
		for i := range words {
			s := words[i].syms
			out := s[:0]
			for j := 0; j < len(s); j++ {
				if j+1 < len(s) && s[j] == best.a && s[j+1] == best.b {
					out = append(out, merged)
					j++
					continue
				}
				out = append(out, s[j])
			}
			words[i].syms = out
		}
	}

	pieces := reservedPieces()
	for i, m := range merges {
		pieces = append(pieces, Piece{Text: m, Score: -float32(i), Type: Normal})
	}
	for j, c := range chars {
		if seen[c] {
			continue
		}
		pieces = append(pieces, Piece{Text: c, Score: -float32(len(merges) + j), Type: Normal})
	}
	return New(pieces, !opt.NoDummyPrefix)
}

// splitWords splits normalised text before every "▁", so each word but
// possibly the first starts with "▁".
func splitWords(text string) []string {
	var words []string
	start := 0
	for i := range text {
		if i > start && strings.HasPrefix(text[i:], WhitespaceSep) {
			words = append(words, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		words = append(words, text[start:])
	}
	return words
}
