package kuhn

import (
	"context"
	"fmt"
	"math"

	"github.com/spag-go/spag/game"
)

// InfoSet is what a player knows when it acts: its card and the betting
// so far. There are twelve: the first player's three cards at the start
// ("") and after check-bet ("cb"), the second player's after a check ("c")
// and after a bet ("b").
type InfoSet struct {
	Card Card
	// History is the betting so far in letters: "", "c", "b" or "cb"
	// (c a check, b a bet).
	History string
}

// InfoSets are the twelve information sets in [InfoSet.Index] order: the
// first player's (J, Q, K at the start, then after check-bet), then the
// second player's (J, Q, K after a check, then after a bet).
var InfoSets = func() [12]InfoSet {
	var all [12]InfoSet
	for i, h := range []string{"", "cb", "c", "b"} {
		for c := Jack; c <= King; c++ {
			all[3*i+int(c)] = InfoSet{Card: c, History: h}
		}
	}
	return all
}()

// Index is the information set's place in [InfoSets].
func (s InfoSet) Index() int {
	for i, h := range []string{"", "cb", "c", "b"} {
		if s.History == h {
			return 3*i + int(s.Card)
		}
	}
	return -1
}

// Player is the index of the player who acts at the information set.
func (s InfoSet) Player() int { return len(s.History) % 2 }

// Facing reports whether the player faces a bet (and so folds or calls).
func (s InfoSet) Facing() bool { return s.History != "" && s.History[len(s.History)-1] == 'b' }

// Legal returns the legal moves: the passive one, then the aggressive one.
func (s InfoSet) Legal() [2]Move {
	if s.Facing() {
		return [2]Move{Fold, Call}
	}
	return [2]Move{Check, Bet}
}

// Moves returns the betting so far as moves.
func (s InfoSet) Moves() []Move {
	ms := make([]Move, len(s.History))
	for i := range s.History {
		ms[i] = Check
		if s.History[i] == 'b' {
			ms[i] = Bet
		}
	}
	return ms
}

// String names the information set for people: "first J", "second K
// after check", "first Q after check, bet".
func (s InfoSet) String() string {
	seat := Roles[s.Player()]
	str := seat + " " + string(s.Card.Letter())
	for i, m := range s.Moves() {
		if i == 0 {
			str += " after "
		} else {
			str += ", "
		}
		str += m.String()
	}
	return str
}

// StateAt returns a hand at information set is, its player to move: a
// deal that gives the player its card (and the opponent the next card up,
// cyclically) and the moves so far.
func StateAt(is InfoSet) *State {
	other := Card((int(is.Card) + 1) % 3)
	cards := [2]Card{is.Card, other}
	if is.Player() == 1 {
		cards = [2]Card{other, is.Card}
	}
	s := &State{cards: cards}
	for _, m := range is.Moves() {
		s.Apply(m.String()) // the moves before a decision are legal: no error, no end
	}
	return s
}

// InfoSetOf reads the information set of an observation of a player about
// to move.
func InfoSetOf(o game.Observation) (InfoSet, error) {
	c, err := CardOf(o)
	if err != nil {
		return InfoSet{}, err
	}
	moves, err := MovesOf(o)
	if err != nil {
		return InfoSet{}, err
	}
	if over(moves) || len(moves)%2 != o.Player {
		return InfoSet{}, fmt.Errorf("kuhn: player %d is not to move after %d moves", o.Player, len(moves))
	}
	h := make([]byte, len(moves))
	for i, m := range moves {
		h[i] = "?cb"[m] // only checks and bets precede a decision
	}
	return InfoSet{Card: c, History: string(h)}, nil
}

// Strategy is a behaviour strategy of both seats (a profile): at each
// information set, by [InfoSet.Index], the probability of the aggressive
// move (bet or call); the passive move (check or fold) takes the rest.
type Strategy [12]float64

// Prob is the probability of move m at information set s.
func (st Strategy) Prob(s InfoSet, m Move) float64 {
	l := s.Legal()
	switch m {
	case l[1]:
		return st[s.Index()]
	case l[0]:
		return 1 - st[s.Index()]
	}
	return 0
}

// Check reports the first probability outside [0, 1], naming its
// information set.
func (st Strategy) Check() error {
	for i, p := range st {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("kuhn: probability %v of %s at %s is not in [0, 1]", p, InfoSets[i].Legal()[1], InfoSets[i])
		}
	}
	return nil
}

// MaxAlpha is the largest bluffing frequency of the first player's
// equilibria.
const MaxAlpha = 1.0 / 3

// Equilibrium is the Nash equilibrium of the first player's bluffing
// frequency alpha, in [0, 1/3] (every equilibrium is one of these): the
// first player bets the Jack with probability alpha, never the Queen, the
// King with 3·alpha; after check-bet it folds the Jack, calls with the
// Queen with alpha + 1/3, calls with the King. The second player (the
// same at every equilibrium) calls a bet with the King, with the Queen a
// third of the time, folds the Jack; after a check it bets the King,
// checks the Queen and bluffs the Jack a third of the time.
func Equilibrium(alpha float64) (Strategy, error) {
	if !(alpha >= 0 && alpha <= MaxAlpha) {
		return Strategy{}, fmt.Errorf("kuhn: alpha %v is outside [0, 1/3], the first player's equilibrium bluffing frequencies", alpha)
	}
	return Strategy{
		alpha, 0, 3 * alpha, // first, start: J Q K
		0, alpha + 1.0/3, 1, // first, after check-bet
		1.0 / 3, 0, 1, // second, after a check
		0, 1.0 / 3, 1, // second, after a bet
	}, nil
}

// SeatBlind is the strategy of a player that cannot tell the two seats
// apart where their legal moves are the same: it plays open[c] (the
// probability of a bet with card c) both at the first player's opening and
// at the second player's turn after a check, and facing[c] (of a call)
// facing a bet in either seat. Its lowest exploitability is 1/36 (the
// tests), so a model need not read its seat to come within 0.05 of an
// equilibrium, but must to come closer.
func SeatBlind(open, facing [3]float64) Strategy {
	var s Strategy
	for c := range 3 {
		s[c], s[6+c] = open[c], open[c]
		s[3+c], s[9+c] = facing[c], facing[c]
	}
	return s
}

// SeatGap is how differently st plays the two seats where [SeatBlind]
// cannot: the largest difference, over the three cards, between the
// probability of a bet at the first player's opening and at the second's
// turn after a check, or of a call facing a bet in the first seat and in
// the second. It is 0 for a seat-blind strategy and at least 1/4 at every
// equilibrium.
func SeatGap(st Strategy) float64 {
	var g float64
	for c := range 3 {
		g = max(g, math.Abs(st[c]-st[6+c]), math.Abs(st[3+c]-st[9+c]))
	}
	return g
}

// Uniform plays each legal move with probability 1/2.
func Uniform() Strategy {
	var s Strategy
	for i := range s {
		s[i] = 0.5
	}
	return s
}

// AlwaysBet bets or calls at every information set.
func AlwaysBet() Strategy {
	var s Strategy
	for i := range s {
		s[i] = 1
	}
	return s
}

// NeverBluff bets only with the King and calls with the Queen or the King:
// an honest, exploitable style.
func NeverBluff() Strategy {
	var s Strategy
	for _, is := range InfoSets {
		switch {
		case is.Facing():
			s[is.Index()] = b2f(is.Card >= Queen)
		default:
			s[is.Index()] = b2f(is.Card == King)
		}
	}
	return s
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Value is the first player's expected chips per hand when both seats play
// their parts of st (the second player's are the negative).
func Value(st Strategy) float64 { return value(st, -1, 0) }

// value is the first player's expected chips per hand over the six deals,
// with player br (0 or 1; -1 for none) playing the pure strategy pure (bit
// k set: the aggressive move at br's k-th information set, see pureBit)
// instead of its part of st.
func value(st Strategy, br int, pure uint) float64 {
	total := 0.0
	for _, d := range Deals {
		cards, _ := ParseDeal(d)
		total += walk(st, br, pure, cards, nil)
	}
	return total / float64(len(Deals))
}

// walk is the first player's expected chips below history h.
func walk(st Strategy, br int, pure uint, cards [2]Card, h []Move) float64 {
	if over(h) {
		return float64(payoff(cards, h))
	}
	p := len(h) % 2
	is := InfoSet{Card: cards[p], History: letters(h)}
	agg := st[is.Index()]
	if p == br {
		agg = b2f(pure&(1<<pureBit(is)) != 0)
	}
	l := is.Legal()
	v := 0.0
	if agg < 1 {
		v += (1 - agg) * walk(st, br, pure, cards, append(h[:len(h):len(h)], l[0]))
	}
	if agg > 0 {
		v += agg * walk(st, br, pure, cards, append(h[:len(h):len(h)], l[1]))
	}
	return v
}

// pureBit numbers a player's six information sets from 0.
func pureBit(is InfoSet) int { return is.Index() % 6 }

func letters(h []Move) string {
	b := make([]byte, len(h))
	for i, m := range h {
		b[i] = "?cbcf"[m]
	}
	return string(b)
}

// BestResponse is the value player (0 first, 1 second) gets with a best
// response to the other seat's part of st, in chips per hand for that
// player, and that response (a pure strategy of the player's six
// information sets, with st's probabilities elsewhere). A player has 2^6
// pure strategies, so it tries them all: exact, and plain to check.
func BestResponse(st Strategy, player int) (float64, Strategy) {
	best, bestPure := math.Inf(-1), uint(0)
	sign := 1.0
	if player == 1 {
		sign = -1
	}
	for pure := range uint(1 << 6) {
		if v := sign * value(st, player, pure); v > best+1e-15 {
			best, bestPure = v, pure
		}
	}
	br := st
	for _, is := range InfoSets {
		if is.Player() == player {
			br[is.Index()] = b2f(bestPure&(1<<pureBit(is)) != 0)
		}
	}
	return best, br
}

// NashConv is the sum of what each player gains with a best response
// against the other's part of st: BR₁ + BR₂ (Kuhn Poker is zero-sum, so
// the game's value cancels).
func NashConv(st Strategy) float64 {
	b1, _ := BestResponse(st, 0)
	b2, _ := BestResponse(st, 1)
	return b1 + b2
}

// Exploitability is NashConv / 2, as OpenSpiel reports it: 0 exactly at
// an equilibrium, 11/24 for uniform play, 1/3 for always betting.
func Exploitability(st Strategy) float64 { return NashConv(st) / 2 }

// Strategist is implemented by players whose behaviour strategy is known
// exactly (the built-in players): Behaviour is the probability of the
// aggressive move at each information set where the player acts.
type Strategist interface {
	Behaviour() Strategy
}

// Player plays a behaviour strategy: at its information set it bets or
// calls with the strategy's probability, drawn from the request's seed, so
// that a run is reproducible. It answers with the move's word.
type Player struct {
	Strategy Strategy
}

var (
	_ game.Player = Player{}
	_ Strategist  = Player{}
)

// Behaviour returns the player's strategy.
func (p Player) Behaviour() Strategy { return p.Strategy }

// Play answers one turn.
func (p Player) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	if err := ctx.Err(); err != nil {
		return game.Reply{}, err
	}
	is, err := InfoSetOf(req.Observation)
	if err != nil {
		return game.Reply{}, err
	}
	u := float64(game.SplitMix64(req.Seed^0x6b756e)>>11) / (1 << 53)
	l := is.Legal()
	m := l[0]
	if u < p.Strategy[is.Index()] {
		m = l[1]
	}
	return game.Reply{Text: m.String()}, nil
}
