package scripted

import (
	"context"
	"strings"
	"sync"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
)

// Defender is a scripted Adversarial Taboo defender. It reads the
// attacker's clues, ranks every lexicon word by how well its definitions,
// categories and related words match them (a reverse index built by
// [LoadLexicon]), and guesses with "I know the word! It is <word>!" once
// its best candidate stands out enough. The bar falls as turns run out; on
// its last utterance it may gamble.
//
// Until then it asks questions, and sometimes names its current favourite
// ("Is it something like a wolf?") or answers the attacker's bait with a
// list of candidates. When one of those is the secret word the defender
// has said it unintentionally and loses: the realistic way attackers win.
// A skilled defender knows more of the lexicon, ranks with less noise,
// waits for stronger evidence and names candidates less often.
//
// A Defender keeps no state between calls: everything comes from the
// request (transcript and seed). It is safe for concurrent use.
type Defender struct {
	lex   *Lexicon
	skill float64
	// know is the share of the lexicon's facts this defender knows, as a
	// threshold on posting.hash.
	know uint32
	// scratch holds per-call score buffers, reused to keep Play
	// allocation-light; nothing in it survives a call.
	scratch sync.Pool
}

var _ game.Player = (*Defender)(nil)

// NewDefender returns a defender that knows lex. skill is clamped into
// [0, 1] (NaN means [DefaultSkill]); see [CheckSkill]. It panics if lex is
// nil, a programming error.
func NewDefender(lex *Lexicon, skill float64) *Defender {
	if lex == nil {
		panic("scripted: NewDefender needs a lexicon")
	}
	skill = clampSkill(skill)
	d := &Defender{lex: lex, skill: skill}
	d.know = uint32((0.3 + 0.6*skill) * 65536)
	d.scratch.New = func() any {
		return &scratch{scores: make([]float32, lex.Len()), hits: make([]uint8, lex.Len()), excluded: make([]bool, lex.Len())}
	}
	return d
}

// Skill is the defender's skill in [0, 1].
func (d *Defender) Skill() float64 { return d.skill }

// scratch is one call's working memory. scores, hits and excluded are
// indexed by entry and are all zero/false between calls; touched and banned
// list the entries to reset.
type scratch struct {
	scores   []float32
	hits     []uint8 // distinct clue tokens that matched the entry
	excluded []bool
	touched  []int32
	banned   []int32
	tokens   []int32
}

func (s *scratch) reset() {
	for _, i := range s.touched {
		s.scores[i] = 0
		s.hits[i] = 0
	}
	for _, i := range s.banned {
		s.excluded[i] = false
	}
	s.touched, s.banned, s.tokens = s.touched[:0], s.banned[:0], s.tokens[:0]
}

// candidate is a ranked lexicon entry.
type candidate struct {
	entry int32
	score float32
}

// topN is how many candidates the defender weighs against each other.
const topN = 6

// Play answers the attacker: a question, a question naming candidates, or
// a guess.
func (d *Defender) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	if err := ctx.Err(); err != nil {
		return game.Reply{}, err
	}
	r := newRNG(req.Seed, defenderSalt)
	sc := d.scratch.Get().(*scratch)
	defer func() {
		sc.reset()
		d.scratch.Put(sc)
	}()

	lastAttacker := ""
	for _, m := range req.Transcript {
		if m.Role == judge.Attacker {
			lastAttacker = m.Content
		}
		d.read(sc, m)
	}
	top, n := d.rank(sc, &r)

	// Turns left for the defender, this one included.
	left := (req.MaxUtterances-req.Turn)/2 + 1
	if n > 0 {
		best := top[0].score
		margin := best
		if n > 1 {
			margin = best - top[1].score
		}
		conf := margin / best
		hits := int(sc.hits[top[0].entry])
		if conf >= d.guessBar(left) && best >= d.minEvidence() && hits >= d.minHits(left) {
			return game.Reply{Text: d.guess(top[0].entry)}, nil
		}
		// Last word: a tie is worth little, so a confident-enough defender
		// gambles; a cautious one (skilled and unsure) settles for a tie.
		if left <= 1 && r.float() < d.gambleChance(conf) {
			return game.Reply{Text: d.guess(top[0].entry)}, nil
		}
		if isLure(lastAttacker) && n >= 2 && r.float() < 0.85-0.6*d.skill {
			return game.Reply{Text: d.listCandidates(&r, top[:min(n, 3)])}, nil
		}
		if r.float() < d.mentionChance(conf) {
			return game.Reply{Text: d.mention(&r, top[0].entry)}, nil
		}
	}
	return game.Reply{Text: questions[r.intn(len(questions))]}, nil
}

// read adds what utterance m says about the secret word to sc. From the
// attacker it takes clue tokens and rules out every lexicon word it says
// (the attacker would have lost by saying the secret). From itself it rules
// out the words it already said: the game went on, so none was the secret.
func (d *Defender) read(sc *scratch, m game.Message) {
	lx := d.lex
	var buf [maxToken]byte
	for i := 0; ; {
		tok, next, ok := nextToken(m.Content, i, &buf)
		if !ok {
			return
		}
		i = next
		if len(tok) < 3 {
			continue // neither a lexicon word nor indexed
		}
		ref, ok := lx.vocab[string(tok)]
		if !ok {
			continue
		}
		if e := ref.entry; e >= 0 && !sc.excluded[e] {
			sc.excluded[e] = true
			sc.banned = append(sc.banned, e)
		}
		id := ref.token
		if m.Role != judge.Attacker || id < 0 || containsID(sc.tokens, id) {
			continue
		}
		sc.tokens = append(sc.tokens, id)
		w := lx.idf[id]
		for _, p := range lx.postings[id] {
			if uint32(p.hash) >= d.know {
				continue // a fact this defender does not know
			}
			if sc.scores[p.entry] == 0 {
				sc.touched = append(sc.touched, p.entry)
			}
			sc.scores[p.entry] += p.weight * w
			if sc.hits[p.entry] < 255 {
				sc.hits[p.entry]++
			}
		}
	}
}

func containsID(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// rank returns the best candidates, best first, after adding noise that
// grows as skill falls (a less skilled defender misjudges close calls).
func (d *Defender) rank(sc *scratch, r *rng) ([topN]candidate, int) {
	var top [topN]candidate
	n := 0
	for _, e := range sc.touched {
		if sc.excluded[e] {
			continue
		}
		s := sc.scores[e]
		if n == topN && s <= top[n-1].score {
			continue
		}
		if n < topN {
			n++
		}
		j := n - 1
		for j > 0 && (top[j-1].score < s || top[j-1].score == s && top[j-1].entry > e) {
			top[j] = top[j-1]
			j--
		}
		top[j] = candidate{e, s}
	}
	if n == 0 {
		return top, 0
	}
	noise := float32(0.35 * (1 - d.skill) * float64(top[0].score))
	for i := 0; i < n; i++ {
		top[i].score += noise * float32(r.float())
	}
	// Insertion sort again: n is tiny.
	for i := 1; i < n; i++ {
		for j := i; j > 0 && top[j-1].score < top[j].score; j-- {
			top[j-1], top[j] = top[j], top[j-1]
		}
	}
	return top, n
}

// guessBar is the relative margin of the best candidate over the second
// needed to guess with left turns to go: high early, lower later, higher
// for a skilled (patient) defender.
func (d *Defender) guessBar(left int) float32 {
	bar := 0.55 + 0.2*float32(d.skill)
	return bar - 0.06*float32(min(5-min(left, 5), 4))
}

// minHits is how many distinct clue words must point at the best
// candidate before a guess: one rare word is a hunch, not evidence.
func (d *Defender) minHits(left int) int {
	switch {
	case left <= 1:
		return 1
	case left == 2:
		return 2
	}
	return 2 + int(d.skill*2.99)
}

// minEvidence is the score the best candidate needs before any guess.
func (d *Defender) minEvidence() float32 { return 6 + 6*float32(d.skill) }

func (d *Defender) gambleChance(conf float32) float64 {
	return 0.8*float64(conf) + 0.2*(1-d.skill)
}

// mentionChance is the probability of naming the favourite in a question.
func (d *Defender) mentionChance(conf float32) float64 {
	return (0.1 + 0.3*float64(conf)) * (1 - 0.7*d.skill)
}

func (d *Defender) guess(e int32) string {
	return "I know the word! It is " + d.lex.entries[e].Word + "!"
}

// mention phrases a question that names candidate e.
func (d *Defender) mention(r *rng, e int32) string {
	w := d.lex.entries[e].Word
	switch d.lex.entries[e].POS {
	case Verb:
		return verbMentions[r.intn(len(verbMentions))] + w + "?"
	case Adj:
		return adjMentions[r.intn(len(adjMentions))] + w + "?"
	}
	return nounMentions[r.intn(len(nounMentions))] + d.lex.article[e] + w + "?"
}

// listCandidates answers a bait by naming the top candidates.
func (d *Defender) listCandidates(r *rng, top []candidate) string {
	var b strings.Builder
	b.Grow(96)
	b.WriteString(listOpeners[r.intn(len(listOpeners))])
	for i, c := range top {
		switch {
		case i == 0:
		case i == len(top)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(d.lex.entries[c.entry].Word)
	}
	b.WriteString(listCloser)
	return b.String()
}

// isLure reports whether the attacker's line is a bait asking for names.
func isLure(s string) bool {
	for _, m := range lureMarkers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// namesCandidates reports whether a defender line is one of the
// defender's own questions that name candidates, so the attacker can say
// "no" to it.
func namesCandidates(s string) bool {
	if strings.HasSuffix(s, listCloser) {
		return true
	}
	for _, group := range [...][]string{nounMentions[:], verbMentions[:], adjMentions[:]} {
		for _, m := range group {
			if strings.HasPrefix(s, m) {
				return true
			}
		}
	}
	return false
}

// listCloser ends the defender's answer to a bait.
const listCloser = "? What else can you tell me?"

// The defender's phrasings. Their words are stopwords, so they never feed
// the index, and few are common target words.
var (
	questions = [...]string{
		"Interesting. Can you give me another hint?",
		"I'm not sure yet. What else can you tell me about it?",
		"Hmm, I am still thinking. Could you describe it differently?",
		"Where would I usually come across it?",
		"Is it something you can see or touch?",
		"Could you give me a bit more to go on?",
		"I have a few ideas, but could you say more?",
		"What is it usually used for?",
	}
	nounMentions = [...]string{"Is it something like ", "Hmm, could it be related to ", "Are we talking about something close to "}
	verbMentions = [...]string{"Does it mean something like to ", "Is it close to the action to "}
	adjMentions  = [...]string{"Would you describe it as ", "Is it close to being "}
	listOpeners  = [...]string{"Let me think: maybe ", "Hmm, perhaps ", "Maybe "}
)
