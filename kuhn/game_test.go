package kuhn_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/game/gametest"
	"github.com/spag-go/spag/kuhn"
)

// TestConformance runs the suite every game passes, with answers that
// reach every outcome: legal and illegal moves, two moves, no move.
func TestConformance(t *testing.T) {
	gametest.RunWith(t, kuhn.New(), gametest.Options{
		Subjects: kuhn.Deals,
		Phrases: []string{"check", "bet", "call", "fold", "I check.", "Bet!", "I will call", "FOLD",
			"check", "bet", "call", "fold", "bet, no, check", "raise"},
		Episodes: 60,
	})
}

// play applies answers to a new hand of deal and returns the state.
func play(t *testing.T, deal string, answers ...string) *kuhn.State {
	t.Helper()
	s, err := kuhn.New().NewState(game.Setup{Subject: deal})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range answers {
		if s.IsTerminal() {
			t.Fatalf("hand over before %q", a)
		}
		if err := s.Apply(a); err != nil {
			t.Fatal(err)
		}
	}
	return s.(*kuhn.State)
}

// TestHands plays every terminal history of the rules, and forfeits, and
// checks outcome, chips, rule and evidence.
func TestHands(t *testing.T) {
	cases := []struct {
		deal    string
		answers []string
		outcome string
		chips   int
		rule    string
		decided int
		ev      string // evidence text
	}{
		{"KQ", []string{"check", "check"}, kuhn.FirstWins1, 1, kuhn.RuleShowdown, 2, "check"},
		{"JQ", []string{"check", "check"}, kuhn.SecondWins1, -1, kuhn.RuleShowdown, 2, "check"},
		{"JQ", []string{"bet", "fold"}, kuhn.FirstWins1, 1, kuhn.RuleFold, 2, "fold"},
		{"KJ", []string{"check", "bet", "fold"}, kuhn.SecondWins1, -1, kuhn.RuleFold, 3, "fold"},
		{"QJ", []string{"I bet.", "I call"}, kuhn.FirstWins2, 2, kuhn.RuleShowdown, 2, "call"},
		{"QK", []string{"bet", "Call."}, kuhn.SecondWins2, -2, kuhn.RuleShowdown, 2, "Call"},
		{"KQ", []string{"check", "bet", "calling"}, kuhn.FirstWins2, 2, kuhn.RuleShowdown, 3, "calling"},
		{"JK", []string{"check", "betting", "call"}, kuhn.SecondWins2, -2, kuhn.RuleShowdown, 3, "call"},
		// Forfeits: a move that is not legal now, two moves, no move.
		{"KQ", []string{"I call"}, kuhn.FirstForfeits, -1, kuhn.RuleIllegalMove, 1, "call"},
		{"JQ", []string{"bet", "check"}, kuhn.SecondForfeits, 1, kuhn.RuleIllegalMove, 2, "check"},
		{"JQ", []string{"check", "fold"}, kuhn.SecondForfeits, 1, kuhn.RuleIllegalMove, 2, "fold"},
		{"QK", []string{"check", "bet", "bet"}, kuhn.FirstForfeits, -1, kuhn.RuleIllegalMove, 3, "bet"},
		{"KJ", []string{"bet or check"}, kuhn.FirstForfeits, -1, kuhn.RuleTwoMoves, 1, "bet or check"},
		{"KJ", []string{"check", "I raise"}, kuhn.SecondForfeits, 1, kuhn.RuleNoMove, 2, "I raise"},
		{"KJ", []string{""}, kuhn.FirstForfeits, -1, kuhn.RuleNoMove, 1, ""},
	}
	for _, c := range cases {
		t.Run(c.deal+"/"+strings.Join(c.answers, ","), func(t *testing.T) {
			s := play(t, c.deal, c.answers...)
			if !s.IsTerminal() {
				t.Fatal("hand not over")
			}
			v := s.Verdict()
			if v.Outcome != c.outcome || v.Rule != c.rule || v.DecidedAt != c.decided || v.Evidence.Text != c.ev || v.Judge != "kuhn@1" {
				t.Fatalf("verdict %+v, want outcome %s rule %s decided at %d evidence %q", v, c.outcome, c.rule, c.decided, c.ev)
			}
			if chips, ok := kuhn.Chips(v.Outcome); !ok || chips != c.chips {
				t.Fatalf("Chips(%s) = %d, %v; want %d", v.Outcome, chips, ok, c.chips)
			}
			if o, ok := kuhn.Description.Outcome(v.Outcome); !ok || o.RuleBreak != strings.HasSuffix(c.outcome, "forfeits") {
				t.Fatalf("description of %s: %+v, %v", v.Outcome, o, ok)
			}
		})
	}
}

func TestHandsContinue(t *testing.T) {
	for _, h := range [][]string{{}, {"check"}, {"bet"}, {"check", "bet"}} {
		s := play(t, "QK", h...)
		if s.IsTerminal() || s.CurrentPlayer() != len(h)%2 {
			t.Fatalf("after %q: terminal %v, player %d", h, s.IsTerminal(), s.CurrentPlayer())
		}
	}
}

func TestNewStateDeals(t *testing.T) {
	s := play(t, "QK")
	if s.Cards() != [2]kuhn.Card{kuhn.Queen, kuhn.King} {
		t.Fatalf("cards %v", s.Cards())
	}
	// An empty subject deals from the seed: the same seed, the same deal.
	counts := map[[2]kuhn.Card]int{}
	for seed := range uint64(600) {
		a, _ := kuhn.New().NewState(game.Setup{Seed: seed})
		b, _ := kuhn.New().NewState(game.Setup{Seed: seed})
		if a.(*kuhn.State).Cards() != b.(*kuhn.State).Cards() {
			t.Fatalf("seed %d dealt twice differently", seed)
		}
		counts[a.(*kuhn.State).Cards()]++
	}
	if len(counts) != 6 {
		t.Fatalf("600 seeds dealt %d different deals, want all 6", len(counts))
	}
	for _, bad := range []string{"KK", "AK", "K", "KQJ", "kq"} {
		_, err := kuhn.New().NewState(game.Setup{Subject: bad, Index: 4})
		if err == nil || !strings.Contains(err.Error(), "episode 4") || !strings.Contains(err.Error(), "for example KQ") {
			t.Errorf("deal %q: error %v, want one naming the episode and the form", bad, err)
		}
	}
}

// TestObservation checks what a player sees: its card only, the betting
// so far and its legal moves, and that a player's helpers read them back.
func TestObservation(t *testing.T) {
	s := play(t, "QK", "I check.")
	o := s.Observation(0)
	if c, err := kuhn.CardOf(o); err != nil || c != kuhn.Queen {
		t.Fatalf("CardOf first = %v, %v", c, err)
	}
	o2 := s.Observation(1)
	if c, _ := kuhn.CardOf(o2); c != kuhn.King {
		t.Fatalf("second's card %v", c)
	}
	if m, err := kuhn.MovesOf(o2); err != nil || len(m) != 1 || m[0] != kuhn.Check {
		t.Fatalf("MovesOf = %v, %v", m, err)
	}
	p, err := o2.Prompt()
	if err != nil {
		t.Fatal(err)
	}
	user := p.Messages[len(p.Messages)-1].Content
	for _, want := range []string{"You are the second player.", "Your card is the King.", "your opponent checked", "Your legal moves: check or bet."} {
		if !strings.Contains(user, want) {
			t.Errorf("prompt %q lacks %q", user, want)
		}
	}
	if strings.Contains(user, "Queen") {
		t.Errorf("second's prompt shows the first player's card: %q", user)
	}
}

func TestRebuild(t *testing.T) {
	g, err := kuhn.Description.Rebuild(kuhn.New().String())
	if err != nil || g.String() != kuhn.New().String() {
		t.Fatalf("Rebuild = %v, %v", g, err)
	}
	if _, err := kuhn.Rebuild("kuhn@0 prompts=abc"); err == nil {
		t.Fatal("Rebuild of another version succeeded")
	}
}

func TestParseMove(t *testing.T) {
	cases := []struct {
		text string
		move kuhn.Move
		span string
		err  error
	}{
		{"bet", kuhn.Bet, "bet", nil},
		{"  Check.", kuhn.Check, "Check", nil},
		{"I'll CALL that", kuhn.Call, "CALL", nil},
		{"folding, sorry", kuhn.Fold, "folding", nil},
		{"bet. I bet!", kuhn.Bet, "bet", nil},
		{"alphabet", 0, "", kuhn.ErrNoMove}, // not a word of its own
		{"checkmate", 0, "", kuhn.ErrNoMove},
		{"", 0, "", kuhn.ErrNoMove},
		{"no bet, I check", 0, "bet, I check", kuhn.ErrAmbiguousMove},
		{"ça bet", kuhn.Bet, "bet", nil},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			p, err := kuhn.ParseMove(c.text)
			if !errors.Is(err, c.err) || p.Move != c.move || c.text[p.Start:p.End] != c.span {
				t.Fatalf("ParseMove = %+v (%q), %v; want %v %q, %v", p, c.text[p.Start:p.End], err, c.move, c.span, c.err)
			}
		})
	}
}

// FuzzParseMove checks that the parser never panics, that its span lies
// inside the answer on character boundaries, and that a move it reads is
// named by the span.
func FuzzParseMove(f *testing.F) {
	for _, s := range []string{"bet", "I check.", "call or fold", "", "ÄBET", "\xff call"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := kuhn.ParseMove(text)
		if p.Start < 0 || p.Start > p.End || p.End > len(text) {
			t.Fatalf("span [%d, %d) outside %d bytes", p.Start, p.End, len(text))
		}
		if err == nil {
			if got, _ := kuhn.ParseMove(text[p.Start:p.End]); got.Move != p.Move {
				t.Fatalf("span %q reads as %v, not %v", text[p.Start:p.End], got.Move, p.Move)
			}
		}
		if utf8.ValidString(text) && !utf8.ValidString(text[p.Start:p.End]) {
			t.Fatalf("span cuts a character")
		}
	})
}
