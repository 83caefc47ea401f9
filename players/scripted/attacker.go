package scripted

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
)

// DefaultSkill is the skill of players built for a balanced game.
const DefaultSkill = 0.5

// CheckSkill reports whether skill is usable: a number in [0, 1]. The
// constructors clamp instead of failing, so callers that take skill from a
// user (a flag, a config file) call CheckSkill first to report the mistake.
func CheckSkill(skill float64) error {
	if math.IsNaN(skill) || skill < 0 || skill > 1 {
		return errors.New("skill must be a number from 0 to 1")
	}
	return nil
}

// clampSkill maps skill into [0, 1]; NaN becomes DefaultSkill.
func clampSkill(skill float64) float64 {
	switch {
	case math.IsNaN(skill):
		return DefaultSkill
	case skill < 0:
		return 0
	case skill > 1:
		return 1
	}
	return skill
}

// Seeds of the two roles' generators are salted differently so that an
// attacker and a defender given the same seed do not mirror each other.
const (
	attackerSalt = 0xa77ac
	defenderSalt = 0xdefe
)

// Attacker is a scripted Adversarial Taboo attacker. It describes its
// secret word with facts from the [Lexicon] (broad categories first, then
// definitions, related words and synonyms, the more so the less skilled it
// is), never gives the same clue twice, sometimes baits the defender into
// naming things, and never makes a guess statement.
//
// Before speaking it asks its judge whether the sentence would break the
// rules and rephrases if so. A less skilled attacker sometimes checks only
// that the bare word is absent, so an inflection ("dogs") or, under the
// spag judge, a longer word containing it ("careful" for car) slips
// through now and then, as with a careless human or model.
//
// An Attacker keeps no state between calls: everything comes from the
// request (transcript and seed). It is safe for concurrent use.
type Attacker struct {
	lex   *Lexicon
	judge judge.Judge
	skill float64
}

var _ game.Player = (*Attacker)(nil)

// NewAttacker returns an attacker that knows lex and checks its own
// utterances with j. skill is clamped into [0, 1] (NaN means
// [DefaultSkill]); see [CheckSkill]. It panics if lex or j is nil, a
// programming error.
func NewAttacker(lex *Lexicon, j judge.Judge, skill float64) *Attacker {
	if lex == nil || j == nil {
		panic("scripted: NewAttacker needs a lexicon and a judge")
	}
	return &Attacker{lex: lex, judge: j, skill: clampSkill(skill)}
}

// Skill is the attacker's skill in [0, 1].
func (a *Attacker) Skill() float64 { return a.skill }

// maxClueTries bounds how many clues the attacker phrases and checks before
// falling back to a spelling hint.
const maxClueTries = 8

// Play gives the next clue about req.Secret.
func (a *Attacker) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	if err := ctx.Err(); err != nil {
		return game.Reply{}, err
	}
	target := strings.ToLower(strings.TrimSpace(req.Secret))
	if target == "" {
		return game.Reply{}, errors.New("scripted attacker: the observation has no secret word")
	}
	r := newRNG(req.Seed, attackerSalt)
	t := &turn{a: a, target: target, transcript: req.Transcript}
	for _, m := range req.Transcript {
		switch m.Role {
		case judge.Attacker:
			t.given++
		case judge.Defender:
			t.lastDefender = m.Content
		}
	}
	t.total = max(req.MaxUtterances/2, t.given+1)
	opener := t.opener(&r)

	if idx, ok := a.lex.byWord[target]; ok {
		clues := a.lex.clues[idx]
		pos := posIndex(a.lex.entries[idx].POS)
		// Bait the defender now and then, more often when skilled, never
		// on the first turn (there is nothing to build on yet).
		if t.given > 0 && r.float() < 0.1+0.3*a.skill {
			if text, ok := t.tryLure(&r, clues, opener); ok {
				return game.Reply{Text: text}, nil
			}
		}
		if text, ok := t.tryClues(&r, clues, pos, opener); ok {
			return game.Reply{Text: text}, nil
		}
	}
	return game.Reply{Text: t.fallback(&r, opener)}, nil
}

// turn is the attacker's working state for one Play call.
type turn struct {
	a            *Attacker
	target       string
	transcript   []game.Message
	lastDefender string
	given        int // attacker utterances so far
	total        int // attacker utterances in the whole game
}

// opener picks a sentence start that reacts to the defender's last line.
func (t *turn) opener(r *rng) string {
	switch {
	case t.given == 0:
		return firstOpeners[r.intn(len(firstOpeners))]
	case namesCandidates(t.lastDefender):
		if r.intn(2) == 0 {
			return "Not quite. "
		}
		return "No. "
	}
	return laterOpeners[r.intn(len(laterOpeners))]
}

// used reports whether an earlier attacker utterance already holds s.
func (t *turn) used(s string) bool {
	for _, m := range t.transcript {
		if m.Role == judge.Attacker && strings.Contains(m.Content, s) {
			return true
		}
	}
	return false
}

// careless decides whether the next check is careless: it then looks only
// for the bare word (see safe). The chance falls with skill.
func (t *turn) careless(r *rng) bool { return r.float() < 0.14*(1-t.a.skill) }

// safe reports whether text can be said. A careful attacker asks the
// judge; a careless one only makes sure the bare word is absent, so
// inflections and (under the spag judge) longer words containing it slip
// through.
func (t *turn) safe(text string, careless bool) bool {
	if containsWord(text, t.target) {
		return false // no judge needed
	}
	if careless {
		return true
	}
	v := t.a.judge.Judge(t.target, 1, []judge.Utterance{{Role: judge.Attacker, Text: text}})
	return v.Outcome != judge.AttackerBrokeRules
}

// desiredStrength is how telling the next clue should be: a skilled
// attacker starts vague and sharpens its clues as turns run out, a
// careless one blurts out strong clues from the start.
func (t *turn) desiredStrength() float32 {
	progress := float32(0)
	if t.total > 1 {
		progress = float32(t.given) / float32(t.total-1)
	}
	s := float32(t.a.skill)
	vague := 1 + 2*progress   // skilled: 1 → 3
	blunt := 3 + 1.5*progress // careless: 3 → 4.5
	return s*vague + (1-s)*blunt
}

// maxClues bounds the clues one entry can have (see buildClues).
const maxClues = 32

func (t *turn) tryClues(r *rng, clues []clue, pos int, opener string) (string, bool) {
	var weights [maxClues]float32
	want := t.desiredStrength()
	n := min(len(clues), maxClues)
	for i := 0; i < n; i++ {
		d := clues[i].strength - want
		weights[i] = float32(math.Exp(float64(-d * d / 2)))
	}
	buf := make([]byte, 0, 224)
	for try := 0; try < maxClueTries; try++ {
		i := sample(r, weights[:n])
		if i < 0 {
			return "", false
		}
		weights[i] = 0
		c := &clues[i]
		if t.used(c.text) {
			try-- // a used clue costs no check; weights shrink, so this ends
			continue
		}
		tpls := templates[c.kind][pos]
		if len(tpls) == 0 {
			continue
		}
		tpl := tpls[r.intn(len(tpls))]
		buf = render(buf[:0], opener, tpl, c)
		careless := t.careless(r)
		if careless && r.float() < 0.15 {
			// A careless speaker adds a remark that uses the word in an
			// inflected form, as people do without noticing.
			buf = appendSlip(buf, r, t.target, pos)
		}
		if text := string(buf); t.safe(text, careless) {
			return text, true
		}
	}
	return "", false
}

func (t *turn) tryLure(r *rng, clues []clue, opener string) (string, bool) {
	l := &lures[r.intn(len(lures))]
	buf := make([]byte, 0, 224)
	for i := range clues {
		c := &clues[i]
		if c.kind != l.kind {
			continue
		}
		buf = render(buf[:0], "", l.tpl, c)
		if t.used(string(buf)) {
			continue
		}
		buf = render(buf[:0], opener, l.tpl, c)
		if text := string(buf); t.safe(text, t.careless(r)) {
			return text, true
		}
		return "", false
	}
	return "", false
}

// render appends opener + template + clue to buf.
func render(buf []byte, opener string, tpl template, c *clue) []byte {
	buf = append(buf, opener...)
	buf = append(buf, tpl.pre...)
	if tpl.art {
		buf = append(buf, c.art...)
	}
	buf = append(buf, c.text...)
	return append(buf, tpl.post...)
}

// fallback gives a spelling hint, or a content-free line when even that
// would break the rules; it is used for words missing from the lexicon and
// when every clue is spent.
func (t *turn) fallback(r *rng, opener string) string {
	w := t.target
	hints := [3]string{
		opener + "It has " + strconv.Itoa(len(w)) + " letters.",
		opener + "It starts with the letter " + strings.ToUpper(w[:1]) + ".",
		opener + "It ends with the letter " + strings.ToUpper(w[len(w)-1:]) + ".",
	}
	start := r.intn(len(hints))
	for i := range hints {
		if s := hints[(start+i)%len(hints)]; !t.used(s[len(opener):]) && t.safe(s, t.careless(r)) {
			return s
		}
	}
	for _, s := range genericClues {
		if !t.used(s) && t.safe(s, false) {
			return s
		}
	}
	// Everything said already: repeating beats breaking the rules.
	for _, s := range genericClues {
		if t.safe(s, false) {
			return s
		}
	}
	return "Hmm."
}

// genericClues are the last resort: they say nothing about the word.
var genericClues = [...]string{
	"It is a common word; think about everyday life.",
	"Let me try another angle on this.",
	"Think about what people talk about every day.",
	"You use it more often than you might expect.",
	"Hmm, I am running out of ideas. Keep guessing.",
}

// sample draws an index with probability proportional to its weight, or -1
// when all weights are zero.
func sample(r *rng, w []float32) int {
	var sum float32
	for _, x := range w {
		sum += x
	}
	if sum <= 0 {
		return -1
	}
	x := float32(r.float()) * sum
	for i, v := range w {
		if v == 0 {
			continue
		}
		x -= v
		if x < 0 {
			return i
		}
	}
	for i := len(w) - 1; i >= 0; i-- {
		if w[i] > 0 {
			return i
		}
	}
	return -1
}

// appendSlip appends a remark using an inflected form of word (a plural
// noun or an -ing verb); adjectives get none.
func appendSlip(buf []byte, r *rng, word string, pos int) []byte {
	switch pos {
	case 0:
		if r.intn(2) == 0 {
			buf = append(buf, " You have probably seen plenty of "...)
		} else {
			buf = append(buf, " There are lots of "...)
		}
		buf = appendPlural(buf, word)
		return append(buf, " around."...)
	case 1:
		buf = append(buf, " Lots of people are "...)
		buf = appendIng(buf, word)
		return append(buf, " right now."...)
	}
	return buf
}

// appendPlural appends a regular English plural of a noun.
func appendPlural(buf []byte, w string) []byte {
	n := len(w)
	switch {
	case strings.HasSuffix(w, "s") || strings.HasSuffix(w, "x") || strings.HasSuffix(w, "z") ||
		strings.HasSuffix(w, "ch") || strings.HasSuffix(w, "sh"):
		return append(append(buf, w...), "es"...)
	case n > 1 && w[n-1] == 'y' && !isVowel(w[n-2]):
		return append(append(buf, w[:n-1]...), "ies"...)
	}
	return append(append(buf, w...), 's')
}

// appendIng appends the -ing form of a verb: make→making, run→running.
func appendIng(buf []byte, w string) []byte {
	n := len(w)
	switch {
	case n > 2 && w[n-1] == 'e' && w[n-2] != 'e' && w[n-2] != 'y' && w[n-2] != 'o':
		return append(append(buf, w[:n-1]...), "ing"...)
	case n >= 3 && n <= 4 && !isVowel(w[n-1]) && isVowel(w[n-2]) && !isVowel(w[n-3]) &&
		w[n-1] != 'w' && w[n-1] != 'x' && w[n-1] != 'y':
		return append(append(append(buf, w...), w[n-1]), "ing"...)
	}
	return append(append(buf, w...), "ing"...)
}

func isVowel(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' }
