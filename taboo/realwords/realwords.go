// Package realwords measures how many of the words players said in a
// stored run of Adversarial Taboo are English words: the words a defender
// guessed, and the content words of an attacker's clues. A small model
// that has learnt the game's patterns but not the language says "compll"
// or "seler"; this is the number that tells.
//
// A word is real when it is in the game's word list (the built-in list and
// the run's targets) or when a [Lexicon] (WordNet, through
// wordnet.Dictionary) knows it. The package reads the episodes store and
// writes the report; it knows nothing of flags, and nothing of WordNet but
// the one question it asks.
package realwords

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spag-go/spag/episodes"
	report "github.com/spag-go/spag/eval/summary"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/taboo"
)

// Lexicon says whether a lower-case word is an English word, inflected
// forms included; *wordnet.Dictionary is one.
type Lexicon interface {
	Has(word string) bool
}

// Roles selects whose words are counted.
type Roles int

const (
	// ModelRoles counts the roles a model played: every role whose player
	// is not one of the built-in scripted players, whose words come from a
	// lexicon and say nothing about a model.
	ModelRoles Roles = iota
	// Attacker counts the attacker's clue words, Defender the defender's
	// guesses, Both both.
	Attacker
	Defender
	Both
)

// ParseRoles reads a role selection: "" (ModelRoles), "attacker",
// "defender" or "both".
func ParseRoles(s string) (Roles, error) {
	switch s {
	case "":
		return ModelRoles, nil
	case judge.Attacker:
		return Attacker, nil
	case judge.Defender:
		return Defender, nil
	case "both":
		return Both, nil
	}
	return 0, fmt.Errorf("role %q: want attacker, defender or both", s)
}

// TopNotReal is how many of the most frequent non-words a [Count] lists.
const TopNotReal = 10

// ErrNoRuns is returned by [Check] when the store holds no run and none is
// named.
var ErrNoRuns = errors.New("realwords: the database holds no runs")

// ErrNotTaboo is returned by [Check] for a run of another game: only
// Adversarial Taboo has guesses and clues.
var ErrNotTaboo = errors.New("not Adversarial Taboo")

// Report is what [Check] measured in one run.
type Report struct {
	Run string `json:"run"`
	// Players maps each role to the player spec the run recorded.
	Players map[string]string `json:"players"`
	// Episodes is the number of finished (not errored) episodes read.
	Episodes int `json:"episodes"`
	// Guesses counts the defender's guess statements by their guessed word
	// (see judge.GuessedWord).
	Guesses Count `json:"guesses"`
	// ClueWords counts the word tokens of the attacker's utterances that
	// are not function words ("the", "it's", "would").
	ClueWords Count `json:"clue_words"`
}

// Count is how many of a role's words were real.
type Count struct {
	// Counted is false when the role was not selected; then the other
	// fields are zero.
	Counted bool `json:"counted"`
	Total   int  `json:"total"`
	Real    int  `json:"real"`
	// Share is Real/Total with its 95% Wilson interval.
	Share report.Interval `json:"share"`
	// NotReal lists the most frequent words that are not real (up to
	// [TopNotReal]), most frequent first, ties alphabetically.
	NotReal []WordCount `json:"not_real"`
}

// WordCount is a word and the number of times it was said.
type WordCount struct {
	Word  string `json:"word"`
	Count int    `json:"count"`
}

// Check counts the real words of the run runID in store (the newest run
// when runID is ""), for the roles roles selects. An unknown run is an
// error wrapping episodes.ErrNotFound, a run of another game one wrapping
// [ErrNotTaboo], and a store without runs [ErrNoRuns].
func Check(ctx context.Context, store *episodes.Store, lex Lexicon, runID string, roles Roles) (*Report, error) {
	run, err := findRun(ctx, store, runID)
	if err != nil {
		return nil, err
	}
	if name := game.NameOf(run.Game); name != taboo.Name {
		return nil, fmt.Errorf("realwords: run %s plays %s, %w", run.ID, name, ErrNotTaboo)
	}
	builtin, err := taboo.BuiltinWords()
	if err != nil {
		return nil, err
	}
	c := newCounter(lex, builtin, run.Subjects)
	guesses, clues := selected(run.Players, roles)
	rep := &Report{Run: run.ID, Players: run.Players}
	var g, cw tally
	finished := false
	f := episodes.Filter{RunID: run.ID, Turns: true, Errored: &finished}
	for r, err := range store.Iter(ctx, f) {
		if err != nil {
			return nil, err
		}
		rep.Episodes++
		for _, t := range r.Turns {
			switch {
			case guesses && t.Role == judge.Defender:
				if w, ok := judge.GuessedWord(t.Text); ok {
					g.add(w, c.real(w))
				}
			case clues && t.Role == judge.Attacker:
				contentWords(t.Text, func(w string) { cw.add(w, c.real(w)) })
			}
		}
	}
	rep.Guesses, rep.ClueWords = g.count(guesses), cw.count(clues)
	return rep, nil
}

// findRun reads the run with its subjects: its targets are words of the
// game.
func findRun(ctx context.Context, store *episodes.Store, runID string) (*episodes.Run, error) {
	if runID != "" {
		run, err := store.Run(ctx, runID)
		if err != nil {
			return nil, fmt.Errorf("realwords: run %s: %w", runID, err)
		}
		return run, nil
	}
	run, err := store.LatestRun(ctx)
	if errors.Is(err, episodes.ErrNotFound) {
		return nil, ErrNoRuns
	}
	if err != nil {
		return nil, fmt.Errorf("realwords: newest run: %w", err)
	}
	return run, nil
}

// selected reports whether the defender's guesses and the attacker's clue
// words are counted.
func selected(players map[string]string, roles Roles) (guesses, clues bool) {
	switch roles {
	case Attacker:
		return false, true
	case Defender:
		return true, false
	case Both:
		return true, true
	}
	return !IsBuiltin(players[judge.Defender]), !IsBuiltin(players[judge.Attacker])
}

// IsBuiltin reports whether a player spec, as a run records it, names one
// of the built-in scripted players ("builtin", "builtin:describer").
func IsBuiltin(spec string) bool {
	text, _, _ := strings.Cut(spec, " (") // a model's digest follows its spec
	s, err := players.Parse(text)
	return err == nil && s.Backend == "builtin"
}

// counter decides whether a word is real.
type counter struct {
	lex   Lexicon
	known map[string]bool // the game's words
}

func newCounter(lex Lexicon, lists ...[]string) *counter {
	c := &counter{lex: lex, known: make(map[string]bool)}
	for _, l := range lists {
		for _, w := range l {
			c.known[strings.ToLower(w)] = true
		}
	}
	return c
}

// real reports whether w (lower case) is a word of the game's list or of
// the lexicon, as a whole or, when it is joined by hyphens and the whole
// is unknown ("fruit-like"), part by part.
func (c *counter) real(w string) bool {
	if c.known[w] || c.lex.Has(w) {
		return true
	}
	if !strings.Contains(w, "-") {
		return false
	}
	for part := range strings.SplitSeq(w, "-") {
		if part == "" || !(c.known[part] || c.lex.Has(part)) {
			return false
		}
	}
	return true
}

// tally counts the words of one kind.
type tally struct {
	total, real int
	notReal     map[string]int
}

func (t *tally) add(w string, real bool) {
	t.total++
	if real {
		t.real++
		return
	}
	if t.notReal == nil {
		t.notReal = make(map[string]int)
	}
	t.notReal[w]++
}

func (t *tally) count(counted bool) Count {
	if !counted {
		return Count{}
	}
	c := Count{Counted: true, Total: t.total, Real: t.real, Share: report.Wilson(t.real, t.total), NotReal: []WordCount{}}
	for _, w := range slices.Sorted(maps.Keys(t.notReal)) {
		c.NotReal = append(c.NotReal, WordCount{w, t.notReal[w]})
	}
	slices.SortStableFunc(c.NotReal, func(a, b WordCount) int { return cmp.Compare(b.Count, a.Count) })
	if len(c.NotReal) > TopNotReal {
		c.NotReal = c.NotReal[:TopNotReal]
	}
	return c
}
