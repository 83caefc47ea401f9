package game

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Outcome describes one outcome a game's verdicts use.
type Outcome struct {
	// Name is the outcome as verdicts record it, "attacker_wins" for example.
	Name string
	// Label is a short column heading for progress lines and tables,
	// "attacker" for example.
	Label string
	// Winner is the role that wins the episode; empty for a tie.
	Winner string
	// Loser is the role that loses it; empty for a tie.
	Loser string
	// RuleBreak reports that the loser broke a rule (rather than being beaten
	// at the game).
	RuleBreak bool
}

// RuleRate is a share of judged episodes counted by the judge rules that
// decided them: in Taboo, the games that ended with the defender's guess,
// right or wrong.
type RuleRate struct {
	// Name is the rate's key in JSON reports, before "_rate": "guess".
	Name string
	// Label names the rate for people: "guesses".
	Label string
	// Rules are the judge rules whose episodes the rate counts.
	Rules []string
}

// Description is what a game says about itself, so that progress lines,
// statistics, reports and the terminal UI need no code per game.
type Description struct {
	// Name is the game's [Game.Name], "taboo" for example.
	Name string
	// Title is the game's name for people, "Adversarial Taboo" for example.
	Title string
	// Subject is what an episode's [Setup.Subject] is called: "word", "query".
	Subject string
	// Roles are the game's roles in player order.
	Roles []string
	// RoleLabels are the roles for people ("reward model" for
	// "reward_model"); missing entries show the role itself.
	RoleLabels map[string]string
	// RoleGoals say in one line what a person playing each role must
	// do, for a game played by hand; missing entries show nothing.
	RoleGoals map[string]string
	// Outcomes are every outcome the game's verdicts use, in the order
	// reports list them.
	Outcomes []Outcome
	// RuleRates are further shares of judged episodes that reports give
	// beside the outcome rates, each counted by deciding rule; nil when
	// the game has none.
	RuleRates []RuleRate
	// Rebuild makes the game back from its [Game.String], as a run records
	// it; nil when the game cannot be rebuilt from its string alone.
	Rebuild func(s string) (Game, error)
	// SecondOpinion, for a game with more than one judge, judges a stored
	// episode (its subject, the run's turn limit, its turns) again with
	// another judge than the one whose verdict v is, and returns that
	// verdict when it decides differently; replay and the episode browser
	// show it beside v. Nil for a game with one judge.
	SecondOpinion func(subject string, maxTurns int, turns []Turn, v Verdict) (Verdict, bool)
}

// Outcome returns the description of the named outcome.
func (d *Description) Outcome(name string) (Outcome, bool) {
	for _, o := range d.Outcomes {
		if o.Name == name {
			return o, true
		}
	}
	return Outcome{}, false
}

// RoleLabel is the role's name for people.
func (d *Description) RoleLabel(role string) string {
	if l, ok := d.RoleLabels[role]; ok {
		return l
	}
	return role
}

// Result is an outcome as one role sees it: 1 when the role won, -1 when
// it lost, 0 for a tie or an outcome that names neither.
func (d *Description) Result(outcome, role string) int {
	o, _ := d.Outcome(outcome)
	switch role {
	case "":
		return 0
	case o.Winner:
		return 1
	case o.Loser:
		return -1
	}
	return 0
}

// Winner returns the role that an outcome makes the winner, or "".
func (d *Description) Winner(outcome string) string {
	o, _ := d.Outcome(outcome)
	return o.Winner
}

// Lineup says who played each role, "attacker builtin, defender
// native:v3.ckpt", in the game's order of roles with the roles' labels;
// roles the game does not name follow in sorted order. A nil d (a game
// this binary does not know) lists every role in sorted order.
func (d *Description) Lineup(players map[string]string) string {
	var roles []string
	if d != nil {
		roles = slices.Clone(d.Roles)
	}
	var others []string
	for r := range players {
		if !slices.Contains(roles, r) {
			others = append(others, r)
		}
	}
	slices.Sort(others)
	parts := make([]string, 0, len(roles)+len(others))
	for _, r := range append(roles, others...) {
		label := r
		if d != nil {
			label = d.RoleLabel(r)
		}
		parts = append(parts, label+" "+players[r])
	}
	return strings.Join(parts, ", ")
}

// A Registry maps game names to their descriptions. The zero value is
// empty and ready to use; it is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	games map[string]*Description
}

// Games is the registry the game packages add themselves to when imported
// (as database/sql drivers do), so that a program that links a game can
// describe its stored runs.
var Games Registry

// Register adds a game's description. Registering a name twice is a
// programming error and panics.
func (r *Registry) Register(d *Description) {
	if d == nil || d.Name == "" {
		panic("game: Register of a description without a name")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.games == nil {
		r.games = map[string]*Description{}
	}
	if _, dup := r.games[d.Name]; dup {
		panic("game: Register called twice for game " + d.Name)
	}
	r.games[d.Name] = d
}

// Lookup returns the description of the game called name.
func (r *Registry) Lookup(name string) (*Description, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.games[name]
	return d, ok
}

// Names lists the registered games in order.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.games))
	for n := range r.games {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Describe returns the description of the game a run recorded by its
// [Game.String]: the game's name is the string's leading letters
// ("taboo(max_turns=5,…)" and "apo@1 items=…" name taboo and apo).
func (r *Registry) Describe(gameString string) (*Description, error) {
	name := NameOf(gameString)
	if d, ok := r.Lookup(name); ok {
		return d, nil
	}
	return nil, fmt.Errorf("game: unknown game %q (this spag knows %s)", name, strings.Join(r.Names(), ", "))
}

// NameOf returns a game string's leading name: its letters, digits and
// underscores up to the first other character.
func NameOf(gameString string) string {
	end := strings.IndexFunc(gameString, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')
	})
	if end < 0 {
		return gameString
	}
	return gameString[:end]
}
