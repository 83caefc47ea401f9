package summary

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/taboo"
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
			if math.Abs(iv.Lo-tt.low) > 1e-5 || math.Abs(iv.Hi-tt.high) > 1e-5 {
				t.Errorf("Wilson(%d,%d) = [%f, %f], want [%f, %f]", tt.k, tt.n, iv.Lo, iv.Hi, tt.low, tt.high)
			}
			if want := float64(tt.k) / float64(tt.n); iv.Rate != want {
				t.Errorf("rate = %f, want %f", iv.Rate, want)
			}
		})
	}
	if iv := Wilson(0, 0); iv.Lo != 0 || iv.Hi != 1 {
		t.Errorf("Wilson(0,0) = %+v, want [0,1]", iv)
	}
}

func TestSummarizeAPO(t *testing.T) {
	s := Summarize(apo.Description, Counts{
		Outcomes: map[string]int{apo.GeneratorWins: 1, apo.RewardModelWins: 6, apo.Tie: 1, apo.RewardModelBrokeRules: 2},
		Rules:    map[string]int{"apo.gold_preferred": 6},
	})
	if _, ok := s.WinRate("attacker"); ok || s.RuleRates != nil {
		t.Errorf("Taboo rates in an APO summary: %+v", s)
	}
	gen, _ := s.WinRate(apo.Generator)
	rm, _ := s.WinRate(apo.RewardModel)
	if gen.Rate != 0.1 || rm.Rate != 0.6 || s.TieRate.Rate != 0.1 || s.RuleBreakRate.Rate != 0.2 {
		t.Errorf("rates = %+v", s)
	}
	var b bytes.Buffer
	WriteText(&b, s)
	for _, want := range []string{"generator wins     10.0%", "reward model wins  60.0%", "rule breaks        20.0%", "apo.gold_preferred"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "attacker") {
		t.Errorf("APO text names Taboo roles:\n%s", b.String())
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize(taboo.Description, Counts{
		Outcomes:      map[string]int{tie: 2, attackerWins: 3, defenderWins: 4, attackerBroke: 1},
		Errored:       2,
		MeanDecidedAt: 5.5,
		Elapsed:       4 * time.Second,
	})
	if s.Episodes != 12 || s.Judged != 10 || s.Errored != 2 {
		t.Errorf("counts = %d/%d/%d", s.Episodes, s.Judged, s.Errored)
	}
	att, _ := s.WinRate("attacker")
	def, _ := s.WinRate("defender")
	// The attacker's rule break is not counted as the defender's win.
	if att.Rate != 0.3 || def.Rate != 0.4 || s.TieRate.Rate != 0.2 || s.RuleBreakRate.Rate != 0.1 {
		t.Errorf("rates = %+v", s)
	}
	if s.MeanDecidedAt != 5.5 || s.EpisodesPerS != 3 {
		t.Errorf("mean decided %v, eps/s %v", s.MeanDecidedAt, s.EpisodesPerS)
	}
	var b bytes.Buffer
	if err := WriteText(&b, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"episodes       12 (judged 10, errored 2)\n  attacker_wins            3\n  defender_wins            4\n  tie                      2\n  attacker_broke_rules     1\n",
		"attacker wins   30.0%", "throughput     3.0 episodes/s",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	if s.RuleRates != nil || strings.Contains(b.String(), "guesses") {
		t.Errorf("guess rate reported without rule counts: %v", s.RuleRates)
	}
}

func TestSummarizeRules(t *testing.T) {
	s := Summarize(taboo.Description, Counts{
		Outcomes: map[string]int{attackerWins: 3, defenderWins: 4, tie: 2, attackerBroke: 1},
		Rules:    map[string]int{judge.RuleDefenderCorrectGuess: 4, judge.RuleDefenderWrongGuess: 1, "defender.said_target": 2, "max_turns": 2, "attacker.said_target": 1},
	})
	if len(s.RuleRates) != 1 || s.RuleRates[0].Rate != 0.5 {
		t.Fatalf("rule rates %+v, want a guess rate of 5 of 10", s.RuleRates)
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

// TestSummaryJSON checks the keys of the summary's JSON, which
// spag stats --json prints: Taboo's are the ones it always had, and each
// game's role names its win rate's key.
func TestSummaryJSON(t *testing.T) {
	tests := []struct {
		name string
		d    *game.Description
		c    Counts
		keys []string
	}{
		{"taboo", taboo.Description, Counts{Outcomes: map[string]int{attackerWins: 1}, Rules: map[string]int{judge.RuleDefenderCorrectGuess: 1}},
			[]string{"episodes", "judged", "errored", "outcomes", "attacker_win_rate", "defender_win_rate", "tie_rate",
				"rule_break_rate", "rules", "guess_rate", "mean_decided_at", "elapsed_seconds", "episodes_per_second"}},
		{"apo", apo.Description, Counts{Outcomes: map[string]int{apo.Tie: 1}},
			[]string{"episodes", "judged", "errored", "outcomes", "generator_win_rate", "reward_model_win_rate", "tie_rate",
				"rule_break_rate", "mean_decided_at", "elapsed_seconds", "episodes_per_second"}},
		{"unknown game", nil, Counts{Outcomes: map[string]int{"white_wins": 2}},
			[]string{"episodes", "judged", "errored", "outcomes", "mean_decided_at", "elapsed_seconds", "episodes_per_second"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(Summarize(tt.d, tt.c))
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(data))
			var keys []string
			depth := 0
			for {
				tok, err := dec.Token()
				if err != nil {
					break
				}
				switch tok {
				case json.Delim('{'), json.Delim('['):
					depth++
				case json.Delim('}'), json.Delim(']'):
					depth--
				default:
					if k, ok := tok.(string); ok && depth == 1 && dec.More() {
						keys = append(keys, k)
						// Skip the value.
						var v json.RawMessage
						if err := dec.Decode(&v); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			if !slices.Equal(keys, tt.keys) {
				t.Errorf("keys %v\nwant %v\n%s", keys, tt.keys, data)
			}
			// Every rate has eval.Rate's shape, as arena's and iterate's do
			// (issue 26 item 11).
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(data, &obj); err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if !strings.HasSuffix(k, "_rate") {
					continue
				}
				var rate map[string]any
				if err := json.Unmarshal(obj[k], &rate); err != nil {
					t.Fatalf("%s: %v", k, err)
				}
				if got := slices.Sorted(maps.Keys(rate)); !slices.Equal(got, []string{"games", "hi", "lo", "rate", "wins"}) {
					t.Errorf("%s has keys %v, want eval.Rate's {wins, games, rate, lo, hi}", k, got)
				}
			}
		})
	}
}

const (
	attackerWins  = string(judge.AttackerWins)
	defenderWins  = string(judge.DefenderWins)
	attackerBroke = string(judge.AttackerBrokeRules)
	tie           = string(judge.Tie)
)

func TestWriteTurns(t *testing.T) {
	tests := []struct {
		name string
		rows []episodes.TurnCount
		want string
	}{
		{
			name: "rules sorted, shares of the utterances",
			rows: []episodes.TurnCount{
				{Role: "attacker", Turn: 1, Utterances: 1000, Decided: map[string]int{"attacker.said_target": 9}},
				{Role: "defender", Turn: 4, Utterances: 794, Decided: map[string]int{
					"defender.wrong_guess": 531, "defender.correct_guess": 209}},
				{Role: "defender", Turn: 5, Utterances: 2, Decided: map[string]int{}},
			},
			want: "per role and turn: games that reached it, and that it ended, by rule\n" +
				"  attacker  1   1000  attacker.said_target 9 (0.9%)\n" +
				"  defender  4    794  defender.correct_guess 209 (26.3%), defender.wrong_guess 531 (66.9%)\n" +
				"  defender  5      2\n",
		},
		{name: "no rows", want: "per role and turn: games that reached it, and that it ended, by rule\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteTurns(&b, tt.rows); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}
