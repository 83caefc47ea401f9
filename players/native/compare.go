package native

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/spag-go/spag/rl/tokenizer"
)

// ServedToken is one generated token as a model server reports it: the
// token's bytes (servers report text, not ids) and its log-probability.
type ServedToken struct {
	Bytes   []byte
	Logprob float64
}

// Comparison is the result of [Model.Compare].
type Comparison struct {
	// Tokens is the number of served tokens scored.
	Tokens int `json:"tokens"`
	// MaxAbsDiff and MeanAbsDiff compare the served log-probabilities
	// with the native ones.
	MaxAbsDiff  float64 `json:"max_abs_logprob_diff"`
	MeanAbsDiff float64 `json:"mean_abs_logprob_diff"`
	// Ambiguous counts tokens whose bytes several vocabulary pieces decode
	// to (a byte token and a one-character piece, say, or a lone non-ASCII
	// byte token, which servers report as U+FFFD because their runners
	// pass text as JSON); the candidate whose native log-probability is
	// nearest the served one is taken.
	Ambiguous int `json:"ambiguous_tokens"`
	// Unmatched counts served tokens whose bytes no piece decodes to;
	// scoring stops at the first.
	Unmatched int `json:"unmatched_tokens"`
	// IDs are the resolved token ids, Diffs their absolute differences.
	IDs   []int     `json:"-"`
	Diffs []float64 `json:"-"`
}

// pieceText returns what a server reports for piece id: "▁" as a space, a
// byte token as its byte (U+FFFD for a byte that is not valid UTF-8 on
// its own), control tokens by name.
func pieceText(v *tokenizer.Vocab, id int) string {
	p, _ := v.Piece(id)
	switch p.Type {
	case tokenizer.Byte:
		b := byte(id - tokenizer.FirstByteID)
		if b >= utf8.RuneSelf {
			return string(utf8.RuneError)
		}
		return string([]byte{b})
	case tokenizer.Normal, tokenizer.UserDefined:
		return strings.ReplaceAll(p.Text, tokenizer.WhitespaceSep, " ")
	}
	return p.Text
}

// resolveTol is the largest log-probability difference at which an
// ambiguous served token may resolve to a candidate id; a path that later
// needs a larger difference backtracks to the next candidate.
const resolveTol = 1e-2

// Compare scores a server's generated tokens natively: prompt is the
// token sequence the server conditioned on (with <s>), served its
// generated tokens in order. Each served token is resolved to the
// vocabulary id whose text it is, and the native log-probability of that
// id after the sequence so far is compared with the served one. When
// several ids share a token's text, the search tries them, nearest
// log-probability first, and keeps the first assignment under which every
// later token stays within 1e-2 (falling back to the nearest ids).
func (m *Model) Compare(prompt []int, served []ServedToken) (Comparison, error) {
	var c Comparison
	if len(prompt) == 0 {
		return c, fmt.Errorf("compare: empty prompt (it needs at least <s>)")
	}
	byText := map[string][]int{}
	for id := 0; id < m.Vocab.Size(); id++ {
		s := pieceText(m.Vocab, id)
		byText[s] = append(byText[s], id)
	}
	cache := m.NewCache()
	rows, err := m.Forward(cache, prompt)
	if err != nil {
		return c, fmt.Errorf("compare: prompt: %w", err)
	}
	n := len(served)
	if room := m.Config.Context - len(prompt) + 1; n > room {
		n = room // the native context ends here
	}
	for i := 0; i < n; i++ {
		if len(byText[string(served[i].Bytes)]) == 0 {
			c.Unmatched++
			n = i
			break
		}
	}
	ids := make([]int, n)
	diffs := make([]float64, n)
	var firstErr error
	// search assigns tokens i.. given the logits after token i-1; strict
	// demands every difference within resolveTol.
	var search func(i int, logits []float32, strict bool) bool
	search = func(i int, logits []float32, strict bool) bool {
		if i == n || firstErr != nil {
			return true
		}
		type cand struct {
			id   int
			diff float64
		}
		var cands []cand
		for _, id := range byText[string(served[i].Bytes)] {
			cands = append(cands, cand{id, math.Abs(LogSoftmaxAt(logits, id) - served[i].Logprob)})
		}
		sort.Slice(cands, func(a, b int) bool { return cands[a].diff < cands[b].diff })
		if !strict {
			cands = cands[:1]
		}
		for _, cd := range cands {
			if strict && cd.diff > resolveTol {
				break
			}
			ids[i], diffs[i] = cd.id, cd.diff
			if i == n-1 {
				return true
			}
			pos := cache.Len()
			rows, err := m.Forward(cache, []int{cd.id})
			if err != nil {
				firstErr = fmt.Errorf("compare: token %d: %w", i, err)
				return true
			}
			if search(i+1, rows[0], strict) {
				return true
			}
			cache.Truncate(pos)
		}
		return false
	}
	last := rows[len(rows)-1]
	if !search(0, last, true) {
		cache.Truncate(len(prompt))
		search(0, last, false)
	}
	if firstErr != nil {
		return c, firstErr
	}
	sum := 0.0
	for i, d := range diffs {
		if len(byText[string(served[i].Bytes)]) > 1 {
			c.Ambiguous++
		}
		sum += d
		c.MaxAbsDiff = math.Max(c.MaxAbsDiff, d)
	}
	c.Tokens, c.IDs, c.Diffs = n, ids, diffs
	if n > 0 {
		c.MeanAbsDiff = sum / float64(n)
	}
	return c, nil
}
