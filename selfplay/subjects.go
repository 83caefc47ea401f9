package selfplay

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/spag-go/spag/game"
)

// Subjects lists a run's episode subjects by index without holding them all:
// a planned run of a hundred million episodes needs only its word list.
type Subjects interface {
	// Len is the number of episodes.
	Len() int
	// At is the subject of episode i, 0 <= i < Len().
	At(i int) string
}

// List is Subjects held in a slice, for runs whose subjects were stored
// one by one (runs recorded by earlier builds, tests).
type List []string

// Len implements [Subjects].
func (l List) Len() int { return len(l) }

// At implements [Subjects].
func (l List) At(i int) string { return l[i] }

// Shuffled is the subjects of a run drawn from a list: a seeded shuffle of
// the list, each item played Repeats times in a row (APO plays a query's
// samples side by side), the whole repeated as often as needed to fill
// Games episodes. Runs with the same list, seed and sizes play the same
// subjects in the same order.
type Shuffled struct {
	order   []string
	games   int
	repeats int
	digest  string
}

// Shuffle returns the subjects of games episodes drawn from items.
// repeats < 1 counts as 1.
func Shuffle(items []string, games, repeats int, seed uint64) (*Shuffled, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("selfplay: no subjects to draw %d episodes from", games)
	}
	if games < 0 {
		return nil, fmt.Errorf("selfplay: %d episodes planned", games)
	}
	repeats = max(repeats, 1)
	order := make([]string, len(items))
	copy(order, items)
	x := game.SplitMix64(seed)
	for i := len(order) - 1; i > 0; i-- {
		x = game.SplitMix64(x)
		j := int(x % uint64(i+1))
		order[i], order[j] = order[j], order[i]
	}
	h := sha256.New()
	var n [8]byte
	for _, s := range items {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, v := range []uint64{seed, uint64(games), uint64(repeats)} {
		binary.LittleEndian.PutUint64(n[:], v)
		h.Write(n[:])
	}
	return &Shuffled{order: order, games: games, repeats: repeats, digest: fmt.Sprintf("sha256:%x", h.Sum(nil))}, nil
}

// Len implements [Subjects].
func (s *Shuffled) Len() int { return s.games }

// At implements [Subjects].
func (s *Shuffled) At(i int) string { return s.order[(i/s.repeats)%len(s.order)] }

// Digest names the list, the seed and the sizes: a resumed run recomputes
// its subjects and compares digests, so that an edited word file cannot
// change the words of a run half played.
func (s *Shuffled) Digest() string { return s.digest }
