package tabooloop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/spag-go/spag/judge"
)

// The opponents a round's self-play can draw from (spag iterate
// --opponents).
const (
	// OpponentSelf is the current policy: both roles are the learner's.
	OpponentSelf = "self"
	// OpponentPast is one of the earlier rounds' policies (not the
	// current one, not the initial one), drawn uniformly per game; before
	// round 3 there is none and its games go to the initial model.
	OpponentPast = "past"
	// OpponentRef is the initial model (IM), the loop's --init.
	OpponentRef = "ref"
	// OpponentBuiltin is the built-in player ("builtin").
	OpponentBuiltin = "builtin"
)

// Share is one opponent kind of a mixture and its weight.
type Share struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
}

// Mixture is the population a round's self-play draws each game's
// opponent from, in the order given; nil is self-play alone.
type Mixture []Share

// ParseMixture reads "self=0.5,past=0.3,ref=0.2" (names self, past, ref
// and builtin, each at most once; weights finite and not negative, with a
// positive sum; they need not sum to 1).
func ParseMixture(s string) (Mixture, error) {
	var m Mixture
	seen := map[string]bool{}
	sum := 0.0
	for _, part := range strings.Split(s, ",") {
		name, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, fmt.Errorf("%q: want NAME=WEIGHT, e.g. self=0.5,past=0.3,ref=0.2", part)
		}
		switch name {
		case OpponentSelf, OpponentPast, OpponentRef, OpponentBuiltin:
		default:
			return nil, fmt.Errorf("unknown opponent %q: want self (the current policy), past (earlier rounds' policies), ref (the initial model) or builtin", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s given twice", name)
		}
		seen[name] = true
		w, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return nil, fmt.Errorf("%s=%s: the weight must be a number, not negative", name, v)
		}
		sum += w
		m = append(m, Share{Name: name, Weight: w})
	}
	if !(sum > 0) {
		return nil, fmt.Errorf("%q: the weights sum to 0; give at least one positive weight", s)
	}
	return m, nil
}

// String writes m as ParseMixture reads it.
func (m Mixture) String() string {
	parts := make([]string, len(m))
	for i, s := range m {
		parts[i] = s.Name + "=" + strconv.FormatFloat(s.Weight, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// Has reports whether the mixture can draw name (a positive weight).
func (m Mixture) Has(name string) bool {
	for _, s := range m {
		if s.Name == name && s.Weight > 0 {
			return true
		}
	}
	return false
}

// PlannedRun is one self-play run of a round: the learning policy against
// one opponent, with the learner in one role, or against itself.
type PlannedRun struct {
	// Key names the run in the round's record (RoundState.SelfplayRuns).
	Key string `json:"key"`
	// Opponent is the mixture's name that drew it (self, past, ref,
	// builtin) and OpponentSpec the player that plays it.
	Opponent     string `json:"opponent"`
	OpponentSpec string `json:"opponent_spec"`
	// Attacker and Defender are the run's players.
	Attacker string `json:"attacker"`
	Defender string `json:"defender"`
	// Learner is the role the learning policy plays, whose turns are
	// training data; empty when it plays both (self-play).
	Learner string `json:"learner,omitempty"`
	Games   int    `json:"games"`
}

// PlanRound draws the opponent of each of games games from m (nil: all
// self-play) and groups them into runs, deterministically given seed.
// policy is the round's policy, init the initial model's spec and past
// the specs of the earlier rounds' policies besides those two, oldest
// first. Each game draws a kind by weight, then for past one of its
// policies uniformly (the initial model when there is none); a drawn
// opponent that is the policy itself is self-play. Against another
// opponent the learner alternates roles game by game, attacker first, so
// each opponent meets it about as often in either role. Runs come out self
// first, then in the mixture's order (past policies oldest first), the
// learner attacking before defending; runs with no games are left out.
func PlanRound(m Mixture, games int, seed uint64, policy, init string, past []string) []PlannedRun {
	self := &PlannedRun{Key: OpponentSelf, Opponent: OpponentSelf, OpponentSpec: policy, Attacker: policy, Defender: policy}
	type pick struct{ name, spec string }
	counts := map[pick]int{}
	var order []pick
	add := func(p pick) {
		if _, ok := counts[p]; !ok {
			order = append(order, p)
		}
		counts[p]++
	}
	total := 0.0
	for _, s := range m {
		total += s.Weight
	}
	rng := rand.New(rand.NewPCG(seed, 0x6f7070))
	for range games {
		if len(m) == 0 {
			self.Games++
			continue
		}
		x := rng.Float64() * total
		name := m[len(m)-1].Name
		for _, s := range m {
			if x < s.Weight {
				name = s.Name
				break
			}
			x -= s.Weight
		}
		var spec string
		switch name {
		case OpponentSelf:
			spec = policy
		case OpponentRef:
			spec = init
		case OpponentBuiltin:
			spec = "builtin"
		case OpponentPast:
			spec = init
			if len(past) > 0 {
				spec = past[rng.IntN(len(past))]
			}
		}
		if spec == policy {
			self.Games++
			continue
		}
		add(pick{name, spec})
	}
	var runs []PlannedRun
	if self.Games > 0 {
		runs = append(runs, *self)
	}
	// Runs in the mixture's order, then each kind's policies in order of
	// past (oldest first), whatever order the draws came in.
	rank := func(p pick) int {
		for i, s := range m {
			if s.Name == p.name {
				for j, q := range past {
					if q == p.spec {
						return i*(len(past)+1) + j
					}
				}
				return i*(len(past)+1) + len(past)
			}
		}
		return 0
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && rank(order[j]) < rank(order[j-1]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for _, p := range order {
		n := counts[p]
		key := p.name
		if p.name == OpponentPast {
			key += ":" + p.spec
		}
		for _, side := range []struct {
			learner string
			games   int
		}{{judge.Attacker, (n + 1) / 2}, {judge.Defender, n / 2}} {
			if side.games == 0 {
				continue
			}
			r := PlannedRun{Key: key + "/" + side.learner, Opponent: p.name, OpponentSpec: p.spec, Learner: side.learner, Games: side.games,
				Attacker: policy, Defender: p.spec}
			if side.learner == judge.Defender {
				r.Attacker, r.Defender = p.spec, policy
			}
			runs = append(runs, r)
		}
	}
	return runs
}
