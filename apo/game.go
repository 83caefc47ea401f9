// Package apo is the second spag game: the reward-model-versus-generator
// game of APO ("Adversarial Preference Optimization", ACL 2024).
//
// An episode takes one query with a gold (reference) response. The
// generator answers the query; the reward model then rates two responses,
// A and B, without being told which is the gold one and which the
// generator's (the order is drawn from the episode's seed). The reward
// model wins when it rates the gold response higher, the generator wins
// when its own response is rated higher, equal ratings tie, and a reply
// without one readable rating for each response is the reward model's rule
// break. The generator thus plays to maximise the reward model's score and
// the reward model to keep gold and generated responses apart, as in APO's
// min-max game; the stored ratings are what APO's reward-model objective
// trains on (rl/objective.APO).
package apo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/spag-go/spag/game"
)

// Roles, in turn order.
const (
	Generator   = "generator"
	RewardModel = "reward_model"
)

// Outcomes.
const (
	GeneratorWins         = "generator_wins"
	RewardModelWins       = "reward_model_wins"
	Tie                   = "tie"
	RewardModelBrokeRules = "reward_model_broke_rules"
)

// Rules that decide an episode, as recorded in verdicts.
const (
	RuleGoldPreferred    = "apo.gold_preferred"
	RuleSamplePreferred  = "apo.sample_preferred"
	RuleEqualScores      = "apo.equal_scores"
	RuleUnreadableScores = "apo.unreadable_scores"
)

// Roles of the messages in an observation's transcript: the query, then
// (for the reward model) the two responses in the order it rates them.
const (
	RoleQuery     = "query"
	RoleResponseA = "response_a"
	RoleResponseB = "response_b"
)

// Version is the version of the rules; verdicts name it ("apo@1").
const Version = 1

// DefaultMaxResponseBytes bounds a response as the reward model sees it.
const DefaultMaxResponseBytes = 4096

// Params configure a game.
type Params struct {
	// Items are the queries with their gold responses; episodes name their
	// query in Setup.Subject.
	Items []Item
	// MaxResponseBytes cuts both responses to this many bytes (on a
	// character boundary, without a mark) before the reward model sees
	// them, so that a huge generation neither blows the reward model's
	// context nor stands out by more than its length; 0 means
	// DefaultMaxResponseBytes. The stored transcript keeps the whole text.
	MaxResponseBytes int
}

// Game is the APO game over a fixed set of items. It is immutable and safe
// for concurrent use.
type Game struct {
	items    []Item
	gold     map[string]string
	maxBytes int
	digest   string
}

var (
	_ game.Game     = (*Game)(nil)
	_ game.Prompter = (*Game)(nil)
)

// New checks the parameters and makes the game.
func New(p Params) (*Game, error) {
	if len(p.Items) == 0 {
		return nil, fmt.Errorf("apo: no items (load some with LoadItems or use BuiltinItems)")
	}
	if p.MaxResponseBytes < 0 {
		return nil, fmt.Errorf("apo: MaxResponseBytes %d is negative", p.MaxResponseBytes)
	}
	g := &Game{items: append([]Item(nil), p.Items...), gold: make(map[string]string, len(p.Items)), maxBytes: p.MaxResponseBytes}
	if g.maxBytes == 0 {
		g.maxBytes = DefaultMaxResponseBytes
	}
	h := sha256.New()
	for i, it := range g.items {
		if strings.TrimSpace(it.Query) == "" || strings.TrimSpace(it.Gold) == "" {
			return nil, fmt.Errorf("apo: item %d has an empty query or gold response", i+1)
		}
		if _, dup := g.gold[it.Query]; dup {
			return nil, fmt.Errorf("apo: item %d repeats the query %q", i+1, it.Query)
		}
		g.gold[it.Query] = it.Gold
		fmt.Fprintf(h, "%d:%s%d:%s", len(it.Query), it.Query, len(it.Gold), it.Gold)
	}
	g.digest = hex.EncodeToString(h.Sum(nil))[:12]
	return g, nil
}

// promptsDigest identifies the built-in prompts, so that a run records
// which wording its model players saw.
var promptsDigest = func() string {
	sum := sha256.Sum256([]byte(generatorSystem + "\x00" + rewardModelSystem + "\x00" + rewardModelUser))
	return hex.EncodeToString(sum[:])[:12]
}()

// Name is the game's name, the start of its string and its name in
// [game.Games].
const Name = "apo"

// Name returns [Name].
func (g *Game) Name() string { return Name }

// String names the rules, the items and the prompts (by digest) and the
// response limit, so that a resumed run can check it plays the same game.
func (g *Game) String() string {
	return fmt.Sprintf("apo@%d items=%s prompts=%s max_response_bytes=%d", Version, g.digest, promptsDigest, g.maxBytes)
}

// JudgeID is what verdicts record as their judge.
func (g *Game) JudgeID() string { return fmt.Sprintf("apo@%d", Version) }

// Roles returns the generator and the reward model, in turn order.
func (g *Game) Roles() []string { return []string{Generator, RewardModel} }

// Items returns the game's items; callers must not modify them.
func (g *Game) Items() []Item { return g.items }

// Queries returns the queries in item order, for use as episode subjects.
func (g *Game) Queries() []string {
	q := make([]string, len(g.items))
	for i, it := range g.items {
		q[i] = it.Query
	}
	return q
}

// GoldFirst reports whether the gold response is shown as A in the episode
// with this seed. Stored episodes keep their seed, so their ratings can be
// told apart again.
func GoldFirst(seed uint64) bool { return game.SplitMix64(seed^0xa90)&1 == 0 }

// NewState starts the episode whose query is setup.Subject.
func (g *Game) NewState(setup game.Setup) (game.State, error) {
	gold, ok := g.gold[setup.Subject]
	if !ok {
		return nil, fmt.Errorf("apo episode %d: query %q is not one of the game's items", setup.Index, setup.Subject)
	}
	return &State{g: g, query: setup.Subject, gold: gold, goldFirst: GoldFirst(setup.Seed)}, nil
}

// Shown is a response as the reward model sees it: cut to the game's limit
// on a UTF-8 boundary. Training data uses it too, so that a reward model
// is trained on what it will rate.
func (g *Game) Shown(s string) string {
	if len(s) <= g.maxBytes {
		return s
	}
	end := g.maxBytes
	for end > 0 && end < len(s) && s[end]&0xc0 == 0x80 {
		end--
	}
	return s[:end]
}

// orient turns ratings of A and B into the gold's and the sample's.
func orient(goldFirst bool, a, b float64) (gold, sample float64) {
	if goldFirst {
		return a, b
	}
	return b, a
}
