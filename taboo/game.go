// Package taboo is Adversarial Taboo (the SPAG paper's game) as a
// [game.Game]: the attacker knows a secret target word and tries to make the
// defender say it unknowingly; the defender tries to work the word out and
// name it with one guess.
//
// The package owns the game's state and turn order, its prompts (Go
// text/template files, two styles) and its word lists. It leaves the rules
// that decide an episode to package judge and knows nothing of how players
// are served.
//
// A [Game] is immutable and safe for concurrent use; each episode gets its
// own [State], which is not.
package taboo

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
)

// Name is the game's name, as [Game.Name] reports it.
const Name = "taboo"

// Prompt styles.
const (
	// StyleChat renders a system message with the rules for the role, then
	// the conversation as alternating messages: the player's own earlier
	// utterances as "assistant", the opponent's as "user".
	StyleChat = "chat"
	// StyleTranscript renders one user message holding the rules and the
	// whole conversation so far.
	StyleTranscript = "transcript"
	// StyleCompact renders one short user message (compact.tmpl): a line
	// of rules, then the conversation as "Attacker: ..." and "Defender:
	// ..." lines, ending with the speaker's name. It suits small models
	// with short contexts, such as spag's native model.
	StyleCompact = "compact"
)

// Styles lists the valid prompt styles.
func Styles() []string { return []string{StyleChat, StyleTranscript, StyleCompact} }

// DefaultMaxTurns is the number of turns each player has before a tie, as in
// the SPAG paper.
const DefaultMaxTurns = 5

// MaxMaxTurns bounds Params.MaxTurns: far beyond any sensible game, it keeps
// utterance counts far from integer overflow.
const MaxMaxTurns = 1000

// Params configures a [Game].
type Params struct {
	// MaxTurns counts attacker+defender pairs: an episode is a tie after
	// 2*MaxTurns utterances. It must be in [1, MaxMaxTurns];
	// [DefaultParams] sets [DefaultMaxTurns].
	MaxTurns int
	// Judge decides episodes; nil means judge.NewStrict().
	Judge judge.Judge
	// Style is StyleChat, StyleTranscript or StyleCompact; empty means
	// StyleChat.
	Style string
	// Templates renders prompts; nil means [BuiltinTemplates].
	Templates *Templates
}

// DefaultParams returns the parameters of the paper's setting: 5 turns each,
// the strict judge, chat prompts with the built-in templates.
func DefaultParams() Params {
	return Params{MaxTurns: DefaultMaxTurns, Style: StyleChat}
}

// Game is Adversarial Taboo with fixed parameters. Player 0 is the attacker
// and speaks first; player 1 is the defender. A Game is immutable and safe
// for concurrent use.
type Game struct {
	maxTurns  int
	judge     judge.Judge
	judgeID   string // "name@version"
	style     string
	templates *Templates
	str       string
}

var _ game.Game = (*Game)(nil)
var _ game.Prompter = (*Game)(nil)

// New validates p and returns the game.
func New(p Params) (*Game, error) {
	if p.MaxTurns < 1 {
		return nil, fmt.Errorf("taboo: max turns must be at least 1 (got %d)", p.MaxTurns)
	}
	if p.MaxTurns > MaxMaxTurns {
		return nil, fmt.Errorf("taboo: max turns must be at most %d (got %d)", MaxMaxTurns, p.MaxTurns)
	}
	if p.Style == "" {
		p.Style = StyleChat
	}
	if !validStyle(p.Style) {
		return nil, fmt.Errorf("taboo: unknown prompt style %q (valid: %s)", p.Style, strings.Join(Styles(), ", "))
	}
	if p.Judge == nil {
		p.Judge = judge.NewStrict()
	}
	if p.Templates == nil {
		p.Templates = BuiltinTemplates()
	}
	if p.Templates.byName == nil {
		return nil, errors.New("taboo: templates not loaded (get them from BuiltinTemplates or LoadTemplates)")
	}
	g := &Game{
		maxTurns:  p.MaxTurns,
		judge:     p.Judge,
		judgeID:   JudgeID(p.Judge),
		style:     p.Style,
		templates: p.Templates,
	}
	g.str = fmt.Sprintf("%s(max_turns=%d,judge=%s,style=%s,templates=%s)", Name, g.maxTurns, g.judgeID, g.style, g.templates.Hash())
	return g, nil
}

func validStyle(s string) bool { return slices.Contains(Styles(), s) }

// JudgeID is the judge's name and version as verdicts and game strings
// record it, "strict@1" for example.
func JudgeID(j judge.Judge) string {
	return j.Name() + "@" + strconv.Itoa(j.Version())
}

// Name returns "taboo".
func (g *Game) Name() string { return Name }

// String describes the game completely, for example
// "taboo(max_turns=5,judge=strict@1,style=chat,templates=sha256:…)" with
// the full template hash; [Parse] rebuilds the game from it.
func (g *Game) String() string { return g.str }

// Roles returns ["attacker", "defender"]: player 0 is the attacker.
func (g *Game) Roles() []string { return []string{judge.Attacker, judge.Defender} }

// MaxTurns returns the number of turns each player has before a tie.
func (g *Game) MaxTurns() int { return g.maxTurns }

// MaxUtterances returns 2*MaxTurns, the length of a tied episode.
func (g *Game) MaxUtterances() int { return 2 * g.maxTurns }

// Judge returns the judge that decides the game's episodes.
func (g *Game) Judge() judge.Judge { return g.judge }

// Style returns the prompt style.
func (g *Game) Style() string { return g.style }

// Templates returns the prompt templates.
func (g *Game) Templates() *Templates { return g.templates }

// roleOf is the role that makes utterance n (1-based): the attacker makes
// the odd ones.
func roleOf(n int) string {
	if n%2 == 1 {
		return judge.Attacker
	}
	return judge.Defender
}

// Prompt renders an observation of one of the game's states with the
// game's style and templates; it implements [game.Prompter]. The target
// word appears only when o.Role is the attacker (it comes from o.Secret,
// which only the attacker's observation holds).
func (g *Game) Prompt(o game.Observation) (game.Prompt, error) {
	n := o.Turn
	if n < 1 {
		n = len(o.Transcript) + 1
	}
	p, err := g.templates.render(g.style, o.Role, o.Secret, g.maxTurns, n, o.Transcript)
	if err != nil {
		return game.Prompt{}, fmt.Errorf("taboo prompt for %s turn %d: %w", o.Role, n, err)
	}
	return p, nil
}

// PromptFor returns the prompt the player of utterance n (1-based) saw,
// given the episode's target word and its history (at least n-1
// utterances; later ones are ignored). It rebuilds training queries from
// stored episodes. The history must alternate roles, attacker first.
func (g *Game) PromptFor(target string, history []game.Message, n int) (game.Prompt, error) {
	if strings.TrimSpace(target) == "" {
		return game.Prompt{}, errors.New("taboo prompt: empty target word")
	}
	if n < 1 || n > g.MaxUtterances() {
		return game.Prompt{}, fmt.Errorf("taboo prompt: utterance %d out of range [1, %d] (max_turns=%d)", n, g.MaxUtterances(), g.maxTurns)
	}
	if n > len(history)+1 {
		return game.Prompt{}, fmt.Errorf("taboo prompt: utterance %d needs %d earlier utterances, history has %d", n, n-1, len(history))
	}
	history = history[: n-1 : n-1]
	for i, m := range history {
		if want := roleOf(i + 1); m.Role != want {
			return game.Prompt{}, fmt.Errorf("taboo prompt: history[%d] has role %q, want %q (the attacker speaks first, then turns alternate)", i, m.Role, want)
		}
	}
	p, err := g.templates.render(g.style, roleOf(n), target, g.maxTurns, n, history)
	if err != nil {
		return game.Prompt{}, fmt.Errorf("taboo prompt for utterance %d: %w", n, err)
	}
	return p, nil
}

// Parse rebuilds a game from its [Game.String] form. Keys may be left out
// ("taboo" alone is the default game) and then take their [DefaultParams]
// value. The judge is looked up with judge.ByName and must have the recorded
// version. The templates are identified by their hash: the built-in set is
// always known; a custom set cannot be rebuilt from its hash, so load it
// with [LoadTemplates] and pass it in known.
func Parse(s string, known ...*Templates) (*Game, error) {
	fail := func(format string, args ...any) (*Game, error) {
		return nil, fmt.Errorf("parse game %q: %s", s, fmt.Sprintf(format, args...))
	}
	body := strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(body, Name)
	if !ok {
		return fail("want %s(key=value,...)", Name)
	}
	p := DefaultParams()
	if rest == "" {
		return New(p)
	}
	if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") {
		return fail("want %s(key=value,...)", Name)
	}
	rest = rest[1 : len(rest)-1]
	seen := make(map[string]bool)
	for field := range strings.SplitSeq(rest, ",") {
		field = strings.TrimSpace(field)
		if field == "" && rest == "" {
			break
		}
		key, value, ok := strings.Cut(field, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || key == "" {
			return fail("field %q is not key=value", field)
		}
		if seen[key] {
			return fail("key %s repeats", key)
		}
		seen[key] = true
		switch key {
		case "max_turns":
			v, err := strconv.Atoi(value)
			if err != nil {
				return fail("max_turns=%q is not an integer", value)
			}
			p.MaxTurns = v
		case "judge":
			j, err := parseJudge(value)
			if err != nil {
				return fail("%v", err)
			}
			p.Judge = j
		case "style":
			p.Style = value
		case "templates":
			t, err := findTemplates(value, known)
			if err != nil {
				return fail("%v", err)
			}
			p.Templates = t
		default:
			return fail("unknown key %q (valid: max_turns, judge, style, templates)", key)
		}
	}
	g, err := New(p)
	if err != nil {
		return fail("%v", err)
	}
	return g, nil
}

// parseJudge looks up "name" or "name@version".
func parseJudge(value string) (judge.Judge, error) {
	name, version, hasVersion := strings.Cut(value, "@")
	j, err := judge.ByName(name)
	if err != nil {
		return nil, err
	}
	if !hasVersion {
		return j, nil
	}
	v, err := strconv.Atoi(version)
	if err != nil {
		return nil, fmt.Errorf("judge=%q: version %q is not an integer", value, version)
	}
	if v != j.Version() {
		return nil, fmt.Errorf("judge %s is at version %d in this build, the game was recorded with version %d (re-judge the episodes, or use a spag build with %s)", name, j.Version(), v, value)
	}
	return j, nil
}

// findTemplates returns the set whose hash is h among the built-in set and
// known.
func findTemplates(h string, known []*Templates) (*Templates, error) {
	builtin := BuiltinTemplates()
	if h == builtin.Hash() {
		return builtin, nil
	}
	for _, t := range known {
		if t != nil && t.Hash() == h {
			return t, nil
		}
	}
	return nil, fmt.Errorf("templates %s are not the built-in ones (%s) nor any passed to Parse; load the custom templates with LoadTemplates and pass them to Parse", h, builtin.Hash())
}
