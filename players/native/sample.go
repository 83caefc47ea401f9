package native

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/spag-go/spag/rl/tokenizer"
)

// sampler picks next tokens. It keeps scratch space, so each goroutine
// needs its own.
type sampler struct {
	temperature float64
	topK        int
	topP        float64
	cands       []cand
	exp         [expChunk]float32 // log-softmax scratch
}

type cand struct {
	id    int
	logit float32
	p     float64
}

// banned reports ids that are never generated: <unk> and <s> mean
// nothing inside a reply.
func banned(id int) bool { return id == tokenizer.UnkID || id == tokenizer.BOSID }

// next picks a token from logits: the most likely one at temperature 0,
// else a draw from rng after top-k, temperature and top-p, in that order
// (Ollama's). Candidates are ordered by logit, then id, so a seed always
// gives the same token.
func (s *sampler) next(logits []float32, rng *rand.Rand) int {
	if s.temperature <= 0 {
		best := -1
		for id, l := range logits {
			if !banned(id) && (best < 0 || l > logits[best]) {
				best = id
			}
		}
		return best
	}
	var c []cand
	if s.topK > 0 {
		c = s.best(logits)
	} else {
		c = s.cands[:0]
		for id, l := range logits {
			if !banned(id) && !math.IsNaN(float64(l)) {
				c = append(c, cand{id: id, logit: l})
			}
		}
		s.cands = c
		slices.SortFunc(c, before)
	}
	if len(c) == 0 {
		return tokenizer.EOSID
	}
	mx := float64(c[0].logit)
	sum := 0.0
	for i := range c {
		c[i].p = math.Exp((float64(c[i].logit) - mx) / s.temperature)
		sum += c[i].p
	}
	if s.topP > 0 && s.topP < 1 {
		acc := 0.0
		for i := range c {
			acc += c[i].p
			if acc >= s.topP*sum {
				c = c[:i+1]
				sum = acc
				break
			}
		}
	}
	u := rng.Float64() * sum
	for _, x := range c {
		u -= x.p
		if u < 0 {
			return x.id
		}
	}
	return c[len(c)-1].id // rounding left u just above 0
}

// before orders candidates by logit, highest first, then by id.
func before(a, b cand) int {
	if a.logit != b.logit {
		return cmp.Compare(b.logit, a.logit)
	}
	return a.id - b.id
}

// best returns the topK first candidates in [before]'s order, as sorting
// them all and keeping the first topK would, but in one pass that
// inserts into a short sorted list only what beats its last element.
func (s *sampler) best(logits []float32) []cand {
	c := s.cands[:0]
	// Once the list is full, floor is its last logit: most of a
	// vocabulary's logits fall below it and are passed over by one
	// comparison (a NaN fails it too), without building a candidate.
	floor := float32(math.Inf(-1))
	for id, l := range logits {
		if !(l >= floor) || banned(id) {
			continue
		}
		x := cand{id: id, logit: l}
		if len(c) == s.topK {
			if before(x, c[len(c)-1]) >= 0 {
				continue
			}
			c = c[:len(c)-1]
		}
		i, _ := slices.BinarySearchFunc(c, x, before)
		c = slices.Insert(c, i, x)
		if len(c) == s.topK {
			floor = c[len(c)-1].logit
		}
	}
	s.cands = c
	return c
}
