// Package game holds the contracts every spag game and player share: a
// [Game] that makes [State]s, the [Player] backends that answer
// observations, and the [Runner] that plays episodes concurrently and
// publishes [Event]s.
//
// It must not know any game's rules (Taboo, APO), any storage (SQLite) or
// any model server (Ollama): those packages depend on this one, never the
// other way round.
//
// # Adding a game
//
// A game is one folder that reaches the rest of spag through
// registrations alone, as database/sql's drivers do; no package outside
// it names the game. Taboo (taboo/) and APO (apo/) are the examples:
//   - the game's package implements [Game] and [State], passes
//     game/gametest, and registers its [Description] with [Games] from an
//     init function (its roles and outcomes, for stats, reports and the
//     terminal UI);
//   - its built-in players register with the players package's "builtin"
//     backend (taboo/taboobuiltin);
//   - its run package (taboo/taboorun, apo/aporun) holds the configuration
//     a run stores, and resumes from, and makes the selfplay.Plan that
//     plays it;
//   - its command package (taboo/taboocmd, apo/apocmd) registers with
//     command/playrun's Games the command that plays its runs ("selfplay",
//     whose --game chooses it, or a command of its own made by
//     playrun.NewCmd), its own flags of that command and, when an arena
//     can measure it, its own flags of spag arena; its own subcommands
//     register with command/cmdutil's GameCommands;
//   - cmd/spag blank-imports the command package and the players package
//     (cmd/spag/players.go), which is all the binary knows of the game.
package game

import (
	"errors"
	"fmt"
	"time"
)

// A Game holds the rules and parameters of one game. It is immutable and
// safe for concurrent use; every episode gets its own [State] from
// NewState.
type Game interface {
	// Name is the game's short name, for example "taboo".
	Name() string
	// String describes the parameters completely enough to rebuild the
	// same game; runs record it.
	String() string
	// Roles names the players by index, for example ["attacker", "defender"].
	Roles() []string
	// NewState starts an episode.
	NewState(setup Setup) (State, error)
}

// Setup is what makes one episode of a run different from the others.
type Setup struct {
	// Index is the episode's position in its run, from 0.
	Index int
	// Seed drives every random choice of the episode (players included), so
	// an episode's outcome does not depend on scheduling order.
	Seed uint64
	// Subject is the game-specific content of the episode: the secret word
	// in Taboo, the query in APO.
	Subject string
}

// State is one episode in progress. States are not safe for concurrent use.
//
// Invariants implementers guarantee:
//   - CurrentPlayer is in [0, len(Roles)) until the state is terminal, then -1.
//   - Apply is called only on a non-terminal state and records the current
//     player's utterance; a non-nil error leaves the state unchanged.
//   - Once terminal, Verdict is final and Transcript no longer grows.
//   - Observation(p) shows only what player p may know (the secret word to
//     the attacker only) and stays valid after the episode ends.
//   - Clone returns an independent copy.
type State interface {
	CurrentPlayer() int
	Observation(player int) Observation
	Apply(text string) error
	IsTerminal() bool
	Verdict() Verdict
	Transcript() []Message
	Clone() State
}

// Message is one utterance of a transcript (Role is a game role such as
// "attacker") or one message of a chat prompt (Role is "system", "user" or
// "assistant").
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Prompt is what a language-model backend sends for one turn.
type Prompt struct {
	// Messages is the chat form: an optional system message, then
	// alternating user and assistant messages, ending with a user message.
	Messages []Message
}

// Text flattens the prompt for completion-style (generate) APIs: the
// contents joined by blank lines.
func (p Prompt) Text() string {
	n := 0
	for _, m := range p.Messages {
		n += len(m.Content) + 2
	}
	b := make([]byte, 0, n)
	for i, m := range p.Messages {
		if i > 0 {
			b = append(b, '\n', '\n')
		}
		b = append(b, m.Content...)
	}
	return string(b)
}

// Prompter renders an observation into a prompt. Games provide one;
// rendering is lazy because built-in players never need the text.
type Prompter interface {
	Prompt(o Observation) (Prompt, error)
}

// Observation is one player's view of the state before its turn.
type Observation struct {
	Player int
	Role   string
	// Turn is the 1-based number of the utterance about to be made.
	Turn int
	// MaxUtterances is the number of utterances after which the episode ends
	// in a tie.
	MaxUtterances int
	// Secret is what only this player knows (the target word for the Taboo
	// attacker); empty when the player knows no secret.
	Secret string
	// Transcript is the public history so far. Callers must not modify it.
	Transcript []Message
	// Prompter renders the observation; nil when the game has no prompts.
	Prompter Prompter
}

// ErrNoPrompter is returned by [Observation.Prompt] for games without prompts.
var ErrNoPrompter = errors.New("game: observation has no prompter")

// Prompt renders the observation with the game's templates.
func (o Observation) Prompt() (Prompt, error) {
	if o.Prompter == nil {
		return Prompt{}, ErrNoPrompter
	}
	return o.Prompter.Prompt(o)
}

// Verdict is the judged outcome of an episode, as data, so that stored
// episodes can be re-judged and compared.
type Verdict struct {
	// Outcome is a game-specific name such as "attacker_wins"; empty while
	// the episode is undecided.
	Outcome string `json:"outcome"`
	// DecidedAt is the 1-based number of the utterance that decided it.
	DecidedAt int `json:"decided_at"`
	// Rule names the rule that fired.
	Rule string `json:"rule"`
	// Evidence points at the text that triggered the rule.
	Evidence Evidence `json:"evidence"`
	// Judge is the judge's name and version, "strict@1" for example.
	Judge string `json:"judge"`
}

// Evidence is a byte span [Start, End) of utterance Turn (1-based); Turn 0
// means no text supports the verdict (a tie, for example).
type Evidence struct {
	Turn  int    `json:"turn"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// Usage is what one model call cost. Zero token counts mean the backend did
// not report them.
type Usage struct {
	PromptTokens int           `json:"prompt_tokens"`
	OutputTokens int           `json:"output_tokens"`
	Latency      time.Duration `json:"latency_ns"`
}

// TokenLogprob is the log-probability of one generated token, with the most
// likely alternatives when the backend reports them.
type TokenLogprob struct {
	Token   string         `json:"token"`
	Logprob float64        `json:"logprob"`
	Top     []TokenLogprob `json:"top,omitempty"`
}

// Turn is one recorded utterance with what it cost.
type Turn struct {
	// N is the 1-based utterance number.
	N      int    `json:"n"`
	Player int    `json:"player"`
	Role   string `json:"role"`
	Text   string `json:"text"`
	// Thinking is a reasoning model's hidden text: stored, never judged.
	Thinking string         `json:"thinking,omitempty"`
	Usage    Usage          `json:"usage"`
	Logprobs []TokenLogprob `json:"logprobs,omitempty"`
}

// Episode is a finished (or failed) episode as the runner reports it.
type Episode struct {
	Setup
	Turns   []Turn
	Verdict Verdict
	// Err is set when the episode could not be played to the end (a model
	// call failed); such an episode is not judged and may be replayed.
	Err        string
	StartedAt  time.Time
	FinishedAt time.Time
}

// Errored reports whether the episode failed rather than finished.
func (e *Episode) Errored() bool { return e.Err != "" }

// TurnError is the error of a player call, with where it happened.
type TurnError struct {
	Episode int
	Turn    int
	Role    string
	Err     error
}

func (e *TurnError) Error() string {
	return fmt.Sprintf("episode %d turn %d (%s): %v", e.Episode, e.Turn, e.Role, e.Err)
}

func (e *TurnError) Unwrap() error { return e.Err }
