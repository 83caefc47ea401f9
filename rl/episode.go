// Package rl turns judged episodes into training data and trains policies
// on it: the training samples and the dataset formats live here, the
// model, objectives and trainer in sub-packages. The rules that give a
// game's episodes their rewards are the game's (taboo/reward for
// Adversarial Taboo): rl names no game.
//
// It depends on package game for messages and prompts; it never imports a
// game's package (the caller supplies the prompts each player saw, see
// [PromptFunc]) and knows nothing of the terminal UI.
package rl

import "github.com/spag-go/spag/game"

// TypeSFT marks supervised samples mixed into self-play data (SPAG mixes in
// general instruction data); they carry weight 1 and no game reward.
const TypeSFT = "sft"

// Provenance says where training data came from. Every export records it,
// so that any dataset can be traced to the judge (name@version) that
// decided its episodes and to the run that played them.
type Provenance struct {
	// Judge is the judge's name and version, for example "strict@1".
	Judge string `json:"judge,omitempty"`
	// Run identifies the run that played the episodes.
	Run string `json:"run,omitempty"`
}

// Episode is one judged Adversarial Taboo episode, as the reward rule needs
// it.
type Episode struct {
	// Target is the secret word.
	Target string
	// History is the conversation; Role is "attacker" or "defender".
	History []game.Message
	// Outcome is the judge's outcome name ("attacker_wins", ...).
	Outcome string
	// DecidedAt is the 1-based number of the utterance that decided it.
	DecidedAt int
	// Learner, when set ("attacker" or "defender"), is the only role the
	// learning policy played: the other was an opponent from the
	// population, whose turns are no training samples. Empty: self-play,
	// both roles learn.
	Learner string
	Provenance
}

// PromptFunc returns the prompt the player of utterance n (1-based) of ep
// saw before writing it. For Adversarial Taboo, wrap the game's PromptFor:
//
//	func(ep *rl.Episode, n int) (game.Prompt, error) {
//		return g.PromptFor(ep.Target, ep.History, n)
//	}
type PromptFunc func(ep *Episode, n int) (game.Prompt, error)

// Sample is one training sample: a query, the target text the policy
// should (or, with a negative advantage, should not) produce, and its
// reward and weight.
type Sample struct {
	// Query is the prompt as flat text (game.Prompt.Text), which SPAG's
	// trainer expects.
	Query string
	// Messages is the query in chat form; nil when only the text is known
	// (samples read from a SPAG training file or an SFT file).
	Messages []game.Message
	// Target is the utterance, surrounding white space removed.
	Target string
	// Reward is the SPAG reward; 1 for supervised samples (the value SPAG's
	// trainer assumes when a sample has none).
	Reward float64
	// Weight is the role weight; 1 for supervised samples.
	Weight float64
	// Role is "attacker" or "defender"; empty for supervised samples.
	Role string
	// Type is empty for self-play samples and [TypeSFT] for supervised ones.
	Type string
	Provenance
}
