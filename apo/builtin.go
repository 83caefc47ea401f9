package apo

import (
	"context"
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/spag-go/spag/game"
)

// DefaultGeneratorSkill is the built-in generator's skill when none is set.
const DefaultGeneratorSkill = 0.5

// BuiltinGenerator is a rule-based generator that needs no model: it
// answers with sentences built around the query's key words. Skill (0 to 1)
// is how many of the key words it works in and how much it says; it never
// knows the gold response. Its answers are deterministic given the
// request's seed.
type BuiltinGenerator struct {
	Skill float64
}

// generatorFrames are the sentence shapes of the built-in generator: %s
// takes a key word of the query.
var generatorFrames = []string{
	"When it comes to %s, the details matter more than the general idea.",
	"A practical way to handle %s is to start small and check the result.",
	"Most people get %s right once they understand what it depends on.",
	"The key point about %s is that it works best when done consistently.",
	"It helps to compare %s with something familiar before going further.",
	"Experts usually treat %s as a question of timing and care.",
}

// fillers are what the generator says when it picks no key word.
var fillers = []string{
	"That is a good question.",
	"It depends on the situation.",
	"There are several ways to look at it.",
}

// Play answers the generator's turn.
func (g BuiltinGenerator) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	if err := ctx.Err(); err != nil {
		return game.Reply{}, err
	}
	if req.Role != Generator {
		return game.Reply{}, fmt.Errorf("apo: the built-in generator cannot play %q", req.Role)
	}
	x := req.Seed
	next := func() float64 {
		x = game.SplitMix64(x)
		return float64(x>>11) / (1 << 53)
	}
	var sentences []string
	// Frames in turn from a random start: no frame twice in one answer.
	first := int(next() * float64(len(generatorFrames)))
	for _, w := range keywords(QueryOf(req.Observation)) {
		if next() < g.Skill {
			frame := generatorFrames[(first+len(sentences))%len(generatorFrames)]
			sentences = append(sentences, fmt.Sprintf(frame, w))
		}
		if len(sentences) == 4 {
			break
		}
	}
	if len(sentences) < 2 {
		sentences = append(sentences, fillers[int(next()*float64(len(fillers)))])
	}
	return game.Reply{Text: strings.Join(sentences, " ")}, nil
}

// BuiltinRewardModel is a rule-based reward model that needs no model. It
// rates a response by how many of the query's key words it covers, how
// much it says (up to about 60 words) and how varied its words are, plus a
// little seeded noise, and never sees which response is the gold one.
type BuiltinRewardModel struct{}

// Play answers the reward model's turn with two rating lines.
func (BuiltinRewardModel) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	if err := ctx.Err(); err != nil {
		return game.Reply{}, err
	}
	a, b, ok := ResponsesOf(req.Observation)
	if req.Role != RewardModel || !ok {
		return game.Reply{}, fmt.Errorf("apo: the built-in reward model cannot play %q (turn %d)", req.Role, req.Turn)
	}
	q := QueryOf(req.Observation)
	x := game.SplitMix64(req.Seed)
	noise := func() float64 {
		x = game.SplitMix64(x)
		return (float64(x>>11)/(1<<53) - 0.5) * 0.6
	}
	rate := func(answer string) float64 { return min(max(Rate(q, answer)+noise(), 0), MaxRating) }
	ra := rate(a)
	return game.Reply{Text: fmt.Sprintf("A: %.1f\nB: %.1f", ra, rate(b))}, nil
}

// Rate is the built-in reward model's score of a response to a query,
// from 0 to 10, without noise.
func Rate(query, response string) float64 {
	keys := keywords(query)
	words := tokens(response)
	if len(words) == 0 {
		return 0
	}
	have := map[string]bool{}
	for _, w := range words {
		have[stem(w)] = true
	}
	covered := 0
	for _, k := range keys {
		if have[stem(k)] {
			covered++
		}
	}
	coverage := 1.0
	if len(keys) > 0 {
		coverage = float64(covered) / float64(len(keys))
	}
	length := math.Min(float64(len(words))/60, 1)
	variety := float64(len(have)) / float64(len(words))
	return 10 * (0.5*coverage + 0.25*length + 0.25*variety)
}

// keywords are the query's content words, in order, without repeats.
func keywords(query string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range tokens(query) {
		if len(w) < 4 || stopwords[w] || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

// tokens are the lower-cased words of s.
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

// stem is a crude shared prefix, so that "plant" and "planting" match.
func stem(w string) string {
	if len(w) > 5 {
		return w[:5]
	}
	return w
}

var stopwords = map[string]bool{
	"what": true, "when": true, "where": true, "which": true, "while": true, "with": true, "without": true,
	"does": true, "doing": true, "done": true, "have": true, "having": true, "should": true, "would": true,
	"could": true, "there": true, "their": true, "them": true, "they": true, "this": true, "that": true,
	"these": true, "those": true, "from": true, "into": true, "about": true, "your": true, "yours": true,
	"some": true, "many": true, "much": true, "more": true, "most": true, "best": true, "good": true,
	"make": true, "makes": true, "need": true, "than": true, "then": true, "just": true, "like": true,
	"work": true, "works": true, "keep": true, "tell": true, "explain": true, "give": true, "other": true,
	"also": true, "very": true, "really": true, "between": true, "difference": true, "often": true,
	"always": true, "usually": true, "ever": true, "every": true, "long": true, "why": true,
	"first": true, "after": true, "before": true, "someone": true, "something": true, "thing": true,
	"things": true, "people": true, "want": true, "able": true, "know": true, "better": true,
}
