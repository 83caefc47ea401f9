package kuhn

import (
	"errors"
	"fmt"
)

// Move is one betting action. The zero value is no move.
type Move int

// The four moves of Kuhn Poker. A player not facing a bet checks or bets;
// a player facing one folds or calls.
const (
	Check Move = iota + 1
	Bet
	Call
	Fold
)

var moveNames = [...]string{Check: "check", Bet: "bet", Call: "call", Fold: "fold"}

// String is the move as players write it: "check", "bet", "call", "fold".
func (m Move) String() string {
	if m < Check || m > Fold {
		return fmt.Sprintf("Move(%d)", int(m))
	}
	return moveNames[m]
}

// Aggressive reports whether the move puts a chip in: a bet or a call.
func (m Move) Aggressive() bool { return m == Bet || m == Call }

// moveWords are the forms of each move the parser accepts, so that "I
// check", "Checking." and "BET" all read as the move they name.
var moveWords = map[string]Move{
	"check": Check, "checks": Check, "checked": Check, "checking": Check,
	"bet": Bet, "bets": Bet, "betting": Bet,
	"call": Call, "calls": Call, "called": Call, "calling": Call,
	"fold": Fold, "folds": Fold, "folded": Fold, "folding": Fold,
}

// Errors of [ParseMove].
var (
	ErrNoMove        = errors.New("kuhn: the answer names no move (check, bet, call or fold)")
	ErrAmbiguousMove = errors.New("kuhn: the answer names more than one move")
)

// Parsed is a move read from an answer, with the byte span [Start, End) of
// the word that named it first.
type Parsed struct {
	Move       Move
	Start, End int
}

// ParseMove reads the move an answer names, leniently: any word (ASCII
// letters between non-letters, in any case) that is a form of exactly one
// move, wherever it stands, so that "I bet." and "Call" are read. It is
// strict about ambiguity: an answer that names two different moves ("not
// bet, check") is [ErrAmbiguousMove], whose span runs from the first move
// word to the end of the last; an answer naming none is [ErrNoMove]. The
// span is always inside text.
func ParseMove(text string) (Parsed, error) {
	var first Parsed
	for i := 0; i < len(text); {
		if !isLetter(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isLetter(text[j]) {
			j++
		}
		if m, ok := moveWords[lower(text[i:j])]; ok {
			switch {
			case first.Move == 0:
				first = Parsed{Move: m, Start: i, End: j}
			case m != first.Move:
				return Parsed{Start: first.Start, End: j}, ErrAmbiguousMove
			}
		}
		i = j
	}
	if first.Move == 0 {
		return Parsed{}, ErrNoMove
	}
	return first, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// lower is ASCII lower case without allocating for words already lower:
// most answers are.
func lower(w string) string {
	for i := 0; i < len(w); i++ {
		if w[i] >= 'A' && w[i] <= 'Z' {
			b := []byte(w)
			for k := range b {
				if b[k] >= 'A' && b[k] <= 'Z' {
					b[k] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return w
}
