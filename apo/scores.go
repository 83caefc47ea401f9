package apo

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Scores are the reward model's ratings of responses A and B, with the byte
// span [Start, End) of its reply that holds them.
type Scores struct {
	A, B       float64
	Start, End int
}

// MaxRating is the top of the rating scale; ratings run from 0.
const MaxRating = 10

// ErrUnreadableScores wraps every reason [ParseScores] rejects a reply.
var ErrUnreadableScores = errors.New("apo: unreadable scores")

// scoreLine is one rating: "A: 7", "b = 6.5", "Response A: 8/10".
var scoreLine = regexp.MustCompile(`(?i)^[ \t]*(?:response[ \t]+)?([ab])[ \t]*[:=][ \t]*([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))[ \t]*(?:/[ \t]*10)?[ \t]*\.?[ \t]*$`)

// ParseScores reads the reward model's reply: one line rating A and one
// rating B, in either order, each from 0 to 10; other lines (reasons) are
// ignored. A reply with a rating missing, given twice or off the scale is
// unreadable: the reward model must commit to one score for each.
func ParseScores(text string) (Scores, error) {
	var s Scores
	var haveA, haveB bool
	s.Start = -1
	pos := 0
	for line := range strings.SplitSeq(text, "\n") {
		start := pos
		pos += len(line) + 1
		m := scoreLine.FindStringSubmatch(strings.TrimSuffix(line, "\r"))
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return Scores{}, fmt.Errorf("%w: %q is not a number", ErrUnreadableScores, m[2])
		}
		if v < 0 || v > MaxRating {
			return Scores{}, fmt.Errorf("%w: rating %s is outside 0 to %d", ErrUnreadableScores, m[2], MaxRating)
		}
		switch strings.ToUpper(m[1]) {
		case "A":
			if haveA {
				return Scores{}, fmt.Errorf("%w: response A is rated twice", ErrUnreadableScores)
			}
			s.A, haveA = v, true
		default:
			if haveB {
				return Scores{}, fmt.Errorf("%w: response B is rated twice", ErrUnreadableScores)
			}
			s.B, haveB = v, true
		}
		if s.Start < 0 {
			s.Start = start + len(line) - len(strings.TrimLeft(line, " \t"))
		}
		s.End = start + len(strings.TrimRight(line, " \t\r"))
	}
	switch {
	case !haveA && !haveB:
		return Scores{}, fmt.Errorf(`%w: no rating lines (want "A: <score>" and "B: <score>")`, ErrUnreadableScores)
	case !haveA:
		return Scores{}, fmt.Errorf("%w: response A is not rated", ErrUnreadableScores)
	case !haveB:
		return Scores{}, fmt.Errorf("%w: response B is not rated", ErrUnreadableScores)
	}
	return s, nil
}
