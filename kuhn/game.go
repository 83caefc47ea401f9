// Package kuhn is the third spag game: Kuhn Poker (H. W. Kuhn, 1950) in
// text, for language-model players.
//
// Three cards, Jack < Queen < King. Each player antes 1 chip and is dealt
// one card (the episode's subject names the deal, "KQ": the first player
// holds the King, the second the Queen); the third card is unseen. The
// first player checks or bets 1; after a check the second player checks
// (showdown for the antes) or bets, and the first player then folds or
// calls; after a bet the other player folds or calls (showdown for 2). A
// player sees its card, the betting so far and its legal moves, and
// answers in words: the answer is read leniently ([ParseMove]) and judged
// strictly: an answer naming no move, two moves, or a move that is not
// legal loses the hand as a fold would (1 chip: nobody has more than the
// ante in when it acts), and the verdict points at the words.
//
// Verdicts record the chips the hand moved as the outcome
// ("first_wins_2": the first player won 2 chips), so that stored
// episodes give chip payoffs ([Chips]). The game is zero-sum and its
// equilibria are known in closed form; [Exploitability] measures a
// strategy's distance from them exactly.
//
// The package imports only package game and the standard library.
package kuhn

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/spag-go/spag/game"
)

// Name is the game's name, the start of its string and its name in
// [game.Games].
const Name = "kuhn"

// Version is the version of the rules and prompts; verdicts name it
// ("kuhn@1").
const Version = 1

// Roles, in turn order.
const (
	First  = "first"
	Second = "second"
)

// Card is one of the three cards.
type Card int

// The cards, in rank order.
const (
	Jack Card = iota
	Queen
	King
)

var cardNames = [...]string{"Jack", "Queen", "King"}

// String is the card's name: "Jack", "Queen", "King".
func (c Card) String() string {
	if c < Jack || c > King {
		return fmt.Sprintf("Card(%d)", int(c))
	}
	return cardNames[c]
}

// Letter is the card's initial, as deals are written: 'J', 'Q', 'K'.
func (c Card) Letter() byte { return "JQK"[c] }

// Deals are the six deals, as episodes' subjects name them: the first
// player's card, then the second's.
var Deals = []string{"JQ", "JK", "QJ", "QK", "KJ", "KQ"}

// ParseDeal reads a deal such as "KQ".
func ParseDeal(s string) ([2]Card, error) {
	if len(s) == 2 && s[0] != s[1] {
		a, b := strings.IndexByte("JQK", s[0]), strings.IndexByte("JQK", s[1])
		if a >= 0 && b >= 0 {
			return [2]Card{Card(a), Card(b)}, nil
		}
	}
	return [2]Card{}, fmt.Errorf("kuhn: deal %q is not two different cards of J, Q, K (the first player's, then the second's, for example KQ)", s)
}

// Game is Kuhn Poker. It has no parameters; it is immutable and safe for
// concurrent use.
type Game struct{}

var (
	_ game.Game     = Game{}
	_ game.Prompter = Game{}
)

// New returns the game.
func New() Game { return Game{} }

// Name returns [Name].
func (Game) Name() string { return Name }

// promptsDigest identifies the prompts' wording, so that a run records
// what its model players saw.
var promptsDigest = func() string {
	sum := sha256.Sum256([]byte(systemPrompt + "\x00" + userPrompt))
	return hex.EncodeToString(sum[:])[:12]
}()

// String names the rules' version and the prompts' wording by digest.
func (Game) String() string { return fmt.Sprintf("kuhn@%d prompts=%s", Version, promptsDigest) }

// Rebuild makes the game back from its string; a string of other rules or
// prompts is refused, since this build would play another game.
func Rebuild(s string) (game.Game, error) {
	if g := New(); s != g.String() {
		return nil, fmt.Errorf("kuhn: run's game %q is not this build's %q", s, g.String())
	}
	return New(), nil
}

// JudgeID is what verdicts record as their judge.
func (Game) JudgeID() string { return fmt.Sprintf("kuhn@%d", Version) }

// Roles returns the first and the second player.
func (Game) Roles() []string { return []string{First, Second} }

// NewState deals the cards setup.Subject names ("KQ"); an empty subject
// deals from setup.Seed, so that an episode is the same whoever plays it.
func (Game) NewState(setup game.Setup) (game.State, error) {
	deal := setup.Subject
	if deal == "" {
		deal = Deals[game.SplitMix64(setup.Seed^0x6b75686e)%uint64(len(Deals))]
	}
	cards, err := ParseDeal(deal)
	if err != nil {
		return nil, fmt.Errorf("kuhn episode %d: %w", setup.Index, err)
	}
	return &State{cards: cards}, nil
}

// Legal returns the moves legal after the moves so far (all legal), in a
// fixed order: the passive move (check or fold), then the aggressive one
// (bet or call). It is nil once the hand is over.
func Legal(history []Move) []Move {
	if over(history) {
		return nil
	}
	if len(history) > 0 && history[len(history)-1] == Bet {
		return []Move{Fold, Call}
	}
	return []Move{Check, Bet}
}

// over reports whether legal moves so far end the hand.
func over(h []Move) bool {
	switch len(h) {
	case 0, 1:
		return false
	case 2:
		return !(h[0] == Check && h[1] == Bet)
	}
	return true
}

// payoff is the first player's chips at the end of a finished hand of
// legal moves.
func payoff(cards [2]Card, h []Move) int {
	last := h[len(h)-1]
	if last == Fold {
		// The folder is the player who moved last.
		if (len(h)-1)%2 == 0 {
			return -1
		}
		return 1
	}
	stake := 1
	if last == Call {
		stake = 2
	}
	if cards[0] > cards[1] {
		return stake
	}
	return -stake
}

// Outcomes, named by who won and how many chips, so that an episode's
// outcome is its payoff.
const (
	FirstWins1     = "first_wins_1"
	FirstWins2     = "first_wins_2"
	SecondWins1    = "second_wins_1"
	SecondWins2    = "second_wins_2"
	FirstForfeits  = "first_forfeits"
	SecondForfeits = "second_forfeits"
)

// Rules that decide a hand, as verdicts record them.
const (
	RuleShowdown    = "kuhn.showdown"
	RuleFold        = "kuhn.fold"
	RuleIllegalMove = "kuhn.illegal_move"
	RuleNoMove      = "kuhn.no_move"
	RuleTwoMoves    = "kuhn.ambiguous_move"
)

// Chips returns the first player's chips that an outcome moved (the
// second player's are their negative); ok is false for an outcome that is
// not Kuhn Poker's.
func Chips(outcome string) (first int, ok bool) {
	switch outcome {
	case FirstWins1, SecondForfeits:
		return 1, true
	case FirstWins2:
		return 2, true
	case SecondWins1, FirstForfeits:
		return -1, true
	case SecondWins2:
		return -2, true
	}
	return 0, false
}

// outcomeOf names the outcome of a first-player payoff.
func outcomeOf(first int) string {
	switch first {
	case 1:
		return FirstWins1
	case 2:
		return FirstWins2
	case -1:
		return SecondWins1
	}
	return SecondWins2
}
