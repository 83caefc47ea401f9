package report

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func TestWilson(t *testing.T) {
	// Reference values from an independent Python evaluation of the closed form
	// (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964.
	tests := []struct {
		name      string
		k, n      int
		low, high float64
	}{
		{"half of ten", 5, 10, 0.236593, 0.763407},
		{"none of ten", 0, 10, 0, 0.277533},
		{"all of ten", 10, 10, 0.722467, 1},
		{"81 of 263", 81, 263, 0.255289, 0.366210},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iv := Wilson(tt.k, tt.n)
			if math.Abs(iv.Low-tt.low) > 1e-5 || math.Abs(iv.High-tt.high) > 1e-5 {
				t.Errorf("Wilson(%d,%d) = [%f, %f], want [%f, %f]", tt.k, tt.n, iv.Low, iv.High, tt.low, tt.high)
			}
			if want := float64(tt.k) / float64(tt.n); iv.Rate != want {
				t.Errorf("rate = %f, want %f", iv.Rate, want)
			}
		})
	}
	if iv := Wilson(0, 0); iv.Low != 0 || iv.High != 1 {
		t.Errorf("Wilson(0,0) = %+v, want [0,1]", iv)
	}
}

func TestSummarizeAPO(t *testing.T) {
	s := Summarize(Counts{
		Outcomes: map[string]int{GeneratorWins: 1, RewardModelWins: 6, Tie: 1, RewardModelBrokeRules: 2},
		Rules:    map[string]int{"apo.gold_preferred": 6},
		APO:      true,
	})
	if s.AttackerWin != nil || s.DefenderWin != nil || s.GuessRate != nil {
		t.Errorf("Taboo rates in an APO summary: %+v", s)
	}
	if s.GeneratorWin.Rate != 0.1 || s.RewardModelWin.Rate != 0.6 || s.TieRate.Rate != 0.1 || s.RuleBreakRate.Rate != 0.2 {
		t.Errorf("rates = %+v", s)
	}
	var b bytes.Buffer
	WriteText(&b, s)
	for _, want := range []string{"generator wins  10.0%", "gold preferred  60.0%", "rule breaks     20.0%", "apo.gold_preferred"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "attacker") {
		t.Errorf("APO text names Taboo roles:\n%s", b.String())
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize(Counts{
		Outcomes:      map[string]int{AttackerWins: 3, DefenderWins: 4, Tie: 2, AttackerBrokeRules: 1},
		Errored:       2,
		MeanDecidedAt: 5.5,
		Elapsed:       4 * time.Second,
	})
	if s.Episodes != 12 || s.Judged != 10 || s.Errored != 2 {
		t.Errorf("counts = %d/%d/%d", s.Episodes, s.Judged, s.Errored)
	}
	if s.AttackerWin.Rate != 0.3 || s.DefenderWin.Rate != 0.4 || s.TieRate.Rate != 0.2 || s.RuleBreakRate.Rate != 0.1 {
		t.Errorf("rates = %+v", s)
	}
	if s.MeanDecidedAt != 5.5 || s.EpisodesPerS != 3 {
		t.Errorf("mean decided %v, eps/s %v", s.MeanDecidedAt, s.EpisodesPerS)
	}
	var b bytes.Buffer
	if err := WriteText(&b, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"episodes       12 (judged 10, errored 2)", "attacker wins   30.0%", "throughput     3.0 episodes/s"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	if s.GuessRate != nil || strings.Contains(b.String(), "guesses") {
		t.Errorf("guess rate reported without rule counts: %v", s.GuessRate)
	}
}

func TestSummarizeRules(t *testing.T) {
	s := Summarize(Counts{
		Outcomes: map[string]int{AttackerWins: 3, DefenderWins: 4, Tie: 2, AttackerBrokeRules: 1},
		Rules:    map[string]int{RuleCorrectGuess: 4, RuleWrongGuess: 1, "defender.said_target": 2, "max_turns": 2, "attacker.said_target": 1},
	})
	if s.GuessRate == nil || s.GuessRate.Rate != 0.5 {
		t.Fatalf("guess rate %+v, want 5 of 10", s.GuessRate)
	}
	var b bytes.Buffer
	if err := WriteText(&b, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"guesses         50.0%", "decided by\n  attacker.said_target     1\n  defender.correct_guess   4\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}
