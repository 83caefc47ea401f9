package reward

import (
	"errors"
	"fmt"
	"github.com/spag-go/spag/rl"
	"iter"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/spag-go/spag/game"
)

func TestDecayedRewards(t *testing.T) {
	// Hand-derived: with d = 0.8, c_k = 1.25^k, so K=2 gives 1.25 : 1.5625
	// = 4 : 5 and K=3 gives 80 : 100 : 125 = 16 : 20 : 25 (over 61). The
	// intermediate numbers are exact in binary, so the results are the
	// correctly rounded fractions, bit for bit.
	tests := []struct {
		name string
		d    float64
		k    int
		want []float64
	}{
		{"d=0.8 K=1", 0.8, 1, []float64{1}},
		{"d=0.8 K=2", 0.8, 2, []float64{4.0 / 9, 5.0 / 9}},
		{"d=0.8 K=3", 0.8, 3, []float64{16.0 / 61, 20.0 / 61, 25.0 / 61}},
		{"d=0.5 K=3", 0.5, 3, []float64{1.0 / 7, 2.0 / 7, 4.0 / 7}},
		{"d=1 K=4 is uniform", 1, 4, []float64{0.25, 0.25, 0.25, 0.25}},
		{"K=0", 0.8, 0, []float64{}},
		// Printed by CPython 3 running the reference script's arithmetic:
		// the same floating-point numbers, not just close ones.
		{"d=0.7 K=6 as CPython", 0.7, 6, []float64{0.057143925716636575, 0.0816341795951951, 0.11662025656456444, 0.16660036652080634, 0.23800052360115193, 0.3400007480016456}},
		{"d=0.33 K=6 as CPython", 0.33, 6, []float64{0.002625462031117013, 0.007955945548839433, 0.02410892590557404, 0.07305735122901225, 0.22138591281518863, 0.6708664024702685}},
		// (1/d)^k overflows: the ratio form still gives d^(K-k) shares.
		{"tiny d", 1e-200, 3, []float64{0, 1e-200, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := decayedRewards(tc.k, tc.d)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d rewards, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("reward %d = %v, want %v (all: %v)", i+1, got[i], tc.want[i], got)
				}
			}
		})
	}
}

// TestDecayedRewardsProperties checks, for many d and K, that rewards sum
// to 1, grow with k when d < 1, and follow the ratio 1/d.
func TestDecayedRewardsProperties(t *testing.T) {
	for _, d := range []float64{0.1, 0.3, 0.5, 0.8, 0.95, 1} {
		for k := 1; k <= 10; k++ {
			r := decayedRewards(k, d)
			sum := 0.0
			for i, x := range r {
				sum += x
				if i > 0 && math.Abs(x/r[i-1]-1/d) > 1e-9 {
					t.Fatalf("d=%v K=%d: r[%d]/r[%d] = %v, want 1/d", d, k, i+1, i, x/r[i-1])
				}
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Fatalf("d=%v K=%d: rewards sum to %v", d, k, sum)
			}
		}
	}
}

// msgs builds a history from "a:text" / "d:text" strings.
func msgs(lines ...string) []game.Message {
	var h []game.Message
	for _, l := range lines {
		role, text, _ := strings.Cut(l, ":")
		if role == "a" {
			role = "attacker"
		} else {
			role = "defender"
		}
		h = append(h, game.Message{Role: role, Content: text})
	}
	return h
}

// queryPrompt is a rl.PromptFunc that names the episode and the utterance.
func queryPrompt(ep *rl.Episode, n int) (game.Prompt, error) {
	return game.Prompt{Messages: []game.Message{
		{Role: "system", Content: "rules"},
		{Role: "user", Content: fmt.Sprintf("%s#%d", ep.Target, n)},
	}}, nil
}

func TestSPAGRewards(t *testing.T) {
	prov := rl.Provenance{Judge: "strict@1", Run: "run-7"}
	episodes := []rl.Episode{
		// Attacker wins at 4: its utterances 1 and 3 count, 5 is past the
		// decision.
		{Target: "apple", Outcome: "attacker_wins", DecidedAt: 4, Provenance: prov,
			History: msgs("a: hint one ", "d:reply", "a:\thint two\n", "d:apples!", "a:late")},
		// Defender wins at 6: utterances 2, 4 and 6.
		{Target: "pear", Outcome: "defender_wins", DecidedAt: 6, Provenance: prov,
			History: msgs("a:x", "d:d1", "a:y", "d:d2", "a:z", "d:I know the word! It is pear!")},
		{Target: "tie", Outcome: "tie", DecidedAt: 2, History: msgs("a:x", "d:y")},
		{Target: "rule", Outcome: "attacker_broke_rules", DecidedAt: 1, History: msgs("a:rule")},
		// Attacker wins at 2 by a wrong guess: one utterance, reward 1.
		{Target: "fig", Outcome: "attacker_wins", DecidedAt: 2, Provenance: prov,
			History: msgs("a:hint", "d:I know the word! It is date!")},
		// Attacker wins at 6: three utterances.
		{Target: "kiwi", Outcome: "attacker_wins", DecidedAt: 6, Provenance: prov,
			History: msgs("a:k1", "d:x", "a:k2", "d:y", "a:k3", "d:kiwi")},
	}
	samples, stats, err := SPAGRewards(episodes, RewardOptions{Decay: 0.8, Prompt: queryPrompt})
	if err != nil {
		t.Fatal(err)
	}
	// A = 3, D = 1, N = 4: attacker weight 4/6, defender weight 4/2.
	wa, wd := 4.0/6, 2.0
	want := []rl.Sample{
		{Query: "rules\n\napple#1", Target: "hint one", Reward: 4.0 / 9, Weight: wa, Role: "attacker"},
		{Query: "rules\n\napple#3", Target: "hint two", Reward: 5.0 / 9, Weight: wa, Role: "attacker"},
		{Query: "rules\n\npear#2", Target: "d1", Reward: 16.0 / 61, Weight: wd, Role: "defender"},
		{Query: "rules\n\npear#4", Target: "d2", Reward: 20.0 / 61, Weight: wd, Role: "defender"},
		{Query: "rules\n\npear#6", Target: "I know the word! It is pear!", Reward: 25.0 / 61, Weight: wd, Role: "defender"},
		{Query: "rules\n\nfig#1", Target: "hint", Reward: 1, Weight: wa, Role: "attacker"},
		{Query: "rules\n\nkiwi#1", Target: "k1", Reward: 16.0 / 61, Weight: wa, Role: "attacker"},
		{Query: "rules\n\nkiwi#3", Target: "k2", Reward: 20.0 / 61, Weight: wa, Role: "attacker"},
		{Query: "rules\n\nkiwi#5", Target: "k3", Reward: 25.0 / 61, Weight: wa, Role: "attacker"},
	}
	if len(samples) != len(want) {
		t.Fatalf("got %d samples, want %d: %+v", len(samples), len(want), samples)
	}
	for i, w := range want {
		got := samples[i]
		if got.Query != w.Query || got.Target != w.Target || got.Reward != w.Reward || got.Weight != w.Weight || got.Role != w.Role || got.Type != "" {
			t.Errorf("sample %d = %+v\nwant %+v", i, got, w)
		}
		if got.Provenance != prov {
			t.Errorf("sample %d provenance %+v, want %+v", i, got.Provenance, prov)
		}
		if len(got.Messages) != 2 || got.Messages[1].Content != strings.TrimPrefix(w.Query, "rules\n\n") {
			t.Errorf("sample %d messages %q", i, got.Messages)
		}
	}
	wantStats := RewardStats{Episodes: 6, AttackerWins: 3, DefenderWins: 1, Dropped: 2, AttackerWeight: wa, DefenderWeight: wd, Samples: 9, AttackerSamples: 6, DefenderSamples: 3}
	if stats != wantStats {
		t.Fatalf("stats %+v, want %+v", stats, wantStats)
	}
}

// TestSPAGRewardsSelection checks Role and Last: they keep a subset of the
// full rule's samples, with the same rewards and weights.
func TestSPAGRewardsSelection(t *testing.T) {
	episodes := []rl.Episode{
		{Target: "apple", Outcome: "attacker_wins", DecidedAt: 4, History: msgs("a:h1", "d:r", "a:h2", "d:apples!", "a:late")},
		{Target: "pear", Outcome: "defender_wins", DecidedAt: 4, History: msgs("a:x", "d:q1", "a:y", "d:I know the word! It is pear!")},
		{Target: "tie", Outcome: "tie", DecidedAt: 2, History: msgs("a:x", "d:y")},
	}
	all, _, err := SPAGRewards(episodes, RewardOptions{Decay: 0.8, Prompt: queryPrompt})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		role string
		last bool
		want []int // indices into all
	}{
		{"everything", "", false, []int{0, 1, 2, 3}},
		{"attacker", "attacker", false, []int{0, 1}},
		{"defender", "defender", false, []int{2, 3}},
		{"last utterances", "", true, []int{1, 3}},
		{"the defender's right guesses", "defender", true, []int{3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, stats, err := SPAGRewards(episodes, RewardOptions{Decay: 0.8, Prompt: queryPrompt, Role: tc.role, Last: tc.last})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) || stats.Samples != len(tc.want) {
				t.Fatalf("got %d samples (stats %d), want %d: %+v", len(got), stats.Samples, len(tc.want), got)
			}
			for i, j := range tc.want {
				if !reflect.DeepEqual(got[i], all[j]) {
					t.Errorf("sample %d = %+v, want the full rule's sample %d %+v", i, got[i], j, all[j])
				}
			}
		})
	}
	if _, _, err := SPAGRewards(episodes, RewardOptions{Decay: 0.8, Prompt: queryPrompt, Role: "judge"}); err == nil || !strings.Contains(err.Error(), `"judge"`) {
		t.Errorf("role judge: %v, want an error naming it", err)
	}
}

// TestSPAGRewardsFromTurn checks FromTurn: it keeps the full rule's
// samples made at their speaker's turn FromTurn or later, after Last has
// picked the deciding utterance, and a loser sample only when that move
// was as late.
func TestSPAGRewardsFromTurn(t *testing.T) {
	episodes := []rl.Episode{
		// The defender guesses wrong at its third turn (utterance 6).
		{Target: "fig", Outcome: "attacker_wins", DecidedAt: 6, History: msgs("a:k1", "d:x", "a:k2", "d:y", "a:k3", "d:I know the word! It is date!")},
		// The defender guesses right at its third turn.
		{Target: "pear", Outcome: "defender_wins", DecidedAt: 6, History: msgs("a:x", "d:d1", "a:y", "d:d2", "a:z", "d:I know the word! It is pear!")},
		// The defender guesses right at its first turn.
		{Target: "plum", Outcome: "defender_wins", DecidedAt: 2, History: msgs("a:x", "d:I know the word! It is plum!")},
	}
	all, base, err := SPAGRewards(episodes, RewardOptions{Decay: 0.8, Prompt: queryPrompt})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 7 {
		t.Fatalf("the full rule gives %d samples, want 7: %+v", len(all), all)
	}
	for i := range all {
		all[i].Messages = nil
	}
	wrongGuess := rl.Sample{Query: "rules\n\nfig#6", Target: "I know the word! It is date!", Reward: -0.5, Weight: base.AttackerWeight, Role: "defender"}
	tests := []struct {
		name  string
		role  string
		last  bool
		from  int
		loser float64
		want  []rl.Sample
	}{
		{"0 keeps every turn", "", false, 0, 0, all},
		{"1 keeps every turn", "", false, 1, 0, all},
		{"from the third turn", "", false, 3, 0, []rl.Sample{all[2], all[5]}},
		{"the defender from its second turn", "defender", false, 2, 0, []rl.Sample{all[4], all[5]}},
		{"right guesses from the second turn", "defender", true, 2, 0, []rl.Sample{all[5]}},
		{"right guesses from the first turn", "defender", true, 1, 0, []rl.Sample{all[5], all[6]}},
		{"the loser's move as late", "defender", true, 3, -0.5, []rl.Sample{wrongGuess, all[5]}},
		{"the loser's move earlier", "defender", true, 4, -0.5, nil},
		{"no turn that late", "", false, 4, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, stats, err := SPAGRewards(episodes, RewardOptions{Decay: 0.8, Prompt: queryPrompt, Role: tc.role, Last: tc.last, FromTurn: tc.from, LoserReward: tc.loser})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) || stats.Samples != len(tc.want) {
				t.Fatalf("got %d samples (stats %d), want %d: %+v", len(got), stats.Samples, len(tc.want), got)
			}
			wantLoser := 0
			for i := range got {
				got[i].Messages = nil
				if !reflect.DeepEqual(got[i], tc.want[i]) {
					t.Errorf("sample %d = %+v, want %+v", i, got[i], tc.want[i])
				}
				if got[i].Reward < 0 {
					wantLoser++
				}
			}
			if stats.LoserSamples != wantLoser {
				t.Errorf("stats count %d loser samples, want %d", stats.LoserSamples, wantLoser)
			}
		})
	}
	if _, _, err := SPAGRewards(episodes, RewardOptions{Decay: 0.8, Prompt: queryPrompt, FromTurn: -1}); err == nil || !strings.Contains(err.Error(), "from turn -1") {
		t.Errorf("from turn -1: %v, want an error naming it", err)
	}
}

// TestSPAGRewardsWonBy checks WonBy: alone or with the winner's role it
// keeps the rule's samples of those episodes; with the loser's role it
// gives the loser's utterances up to the decision as supervised samples.
func TestSPAGRewardsWonBy(t *testing.T) {
	episodes := []rl.Episode{
		{Target: "apple", Outcome: "attacker_wins", DecidedAt: 4, History: msgs("a:h1", "d:r", "a:h2", "d:apples!", "a:late")},
		{Target: "pear", Outcome: "defender_wins", DecidedAt: 4, History: msgs("a:x", "d:q1", "a:y", "d:I know the word! It is pear!", "a:after")},
		{Target: "tie", Outcome: "tie", DecidedAt: 2, History: msgs("a:x", "d:y")},
	}
	all, _, err := SPAGRewards(episodes, RewardOptions{Decay: 0.8, Prompt: queryPrompt})
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		all[i].Messages = nil // compared without, below
	}
	clue := func(q, target string) rl.Sample {
		return rl.Sample{Query: q, Target: target, Reward: 1, Weight: 1, Role: "attacker", Type: rl.TypeSFT}
	}
	tests := []struct {
		name        string
		role, wonBy string
		last        bool
		want        []rl.Sample
	}{
		{"games the attacker won", "", "attacker", false, all[:2]},
		{"the winner's role", "defender", "defender", false, all[2:]},
		{"clues that led the defender to the word", "attacker", "defender", false,
			[]rl.Sample{clue("rules\n\npear#1", "x"), clue("rules\n\npear#3", "y")}},
		{"the last of them", "attacker", "defender", true, []rl.Sample{clue("rules\n\npear#3", "y")}},
		{"the defender's moves in games it lost", "defender", "attacker", false,
			[]rl.Sample{
				{Query: "rules\n\napple#2", Target: "r", Reward: 1, Weight: 1, Role: "defender", Type: rl.TypeSFT},
				{Query: "rules\n\napple#4", Target: "apples!", Reward: 1, Weight: 1, Role: "defender", Type: rl.TypeSFT},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, stats, err := SPAGRewards(episodes, RewardOptions{Decay: 0.8, Prompt: queryPrompt, Role: tc.role, WonBy: tc.wonBy, Last: tc.last})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) || stats.Samples != len(tc.want) {
				t.Fatalf("got %d samples (stats %d), want %d: %+v", len(got), stats.Samples, len(tc.want), got)
			}
			for i := range got {
				got[i].Messages = nil
				if !reflect.DeepEqual(got[i], tc.want[i]) {
					t.Errorf("sample %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
			if tc.role == "attacker" && stats.AttackerSamples != len(tc.want) {
				t.Errorf("stats count %d attacker samples, want %d", stats.AttackerSamples, len(tc.want))
			}
		})
	}
	if _, _, err := SPAGRewards(episodes, RewardOptions{Decay: 0.8, Prompt: queryPrompt, WonBy: "nobody"}); err == nil || !strings.Contains(err.Error(), `"nobody"`) {
		t.Errorf("won by nobody: %v, want an error naming it", err)
	}
}

// TestSPAGRewardsLoserReward checks LoserReward: each won episode adds the
// loser's last utterance up to the decision, with the reward given and the
// episode's weight, after the winner's samples; Role filters it like the
// others, and a positive reward or a clash with WonBy's imitation is an
// error.
func TestSPAGRewardsLoserReward(t *testing.T) {
	episodes := []rl.Episode{
		{Target: "apple", Outcome: "attacker_wins", DecidedAt: 4, History: msgs("a:h1", "d:r", "a:h2", "d:apples!", "a:late")},
		{Target: "pear", Outcome: "defender_wins", DecidedAt: 4, History: msgs("a:x", "d:q1", "a:y", "d:I know the word! It is pear!", "a:after")},
		{Target: "tie", Outcome: "tie", DecidedAt: 2, History: msgs("a:x", "d:y")},
	}
	all, base, err := SPAGRewards(episodes, RewardOptions{Decay: 0.8, Prompt: queryPrompt})
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		all[i].Messages = nil
	}
	wrongGuess := rl.Sample{Query: "rules\n\napple#4", Target: "apples!", Reward: -0.5, Weight: base.AttackerWeight, Role: "defender"}
	givingClue := rl.Sample{Query: "rules\n\npear#3", Target: "y", Reward: -0.5, Weight: base.DefenderWeight, Role: "attacker"}
	tests := []struct {
		name  string
		role  string
		last  bool
		want  []rl.Sample
		loser int
	}{
		{"both roles", "", false, []rl.Sample{all[0], all[1], wrongGuess, all[2], all[3], givingClue}, 2},
		{"the defender", "defender", false, []rl.Sample{wrongGuess, all[2], all[3]}, 1},
		{"decisive moves", "", true, []rl.Sample{all[1], wrongGuess, all[3], givingClue}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, stats, err := SPAGRewards(episodes, RewardOptions{Decay: 0.8, Prompt: queryPrompt, Role: tc.role, Last: tc.last, LoserReward: -0.5})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) || stats.Samples != len(tc.want) || stats.LoserSamples != tc.loser {
				t.Fatalf("got %d samples (stats %d, %d of losers), want %d (%d): %+v", len(got), stats.Samples, stats.LoserSamples, len(tc.want), tc.loser, got)
			}
			for i := range got {
				got[i].Messages = nil
				if !reflect.DeepEqual(got[i], tc.want[i]) {
					t.Errorf("sample %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	for _, tc := range []struct {
		name string
		opt  RewardOptions
		want string
	}{
		{"positive", RewardOptions{LoserReward: 0.5}, "loser reward must be 0 or negative (got 0.5)"},
		{"NaN", RewardOptions{LoserReward: math.NaN()}, "loser reward must be 0 or negative"},
		{"imitating the loser", RewardOptions{LoserReward: -1, Role: "attacker", WonBy: "defender"}, "choose one"},
	} {
		tc.opt.Decay, tc.opt.Prompt = 0.8, queryPrompt
		if _, _, err := SPAGRewards(episodes, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestSPAGRewardsRoleWeights(t *testing.T) {
	win := func(outcome string) rl.Episode {
		return rl.Episode{Target: "w", Outcome: outcome, DecidedAt: 2, History: msgs("a:x", "d:y")}
	}
	a, d := win("attacker_wins"), win("defender_wins")
	tests := []struct {
		name   string
		eps    []rl.Episode
		wa, wd float64
	}{
		{"A=3 D=1", []rl.Episode{a, a, a, d}, 4.0 / 6, 2},
		{"A=1 D=1", []rl.Episode{a, d}, 1, 1},
		{"A=2 D=0", []rl.Episode{a, a}, 0.5, 0},
		{"A=0 D=4", []rl.Episode{d, d, d, d}, 0, 0.5},
		{"none won", []rl.Episode{win("tie")}, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			samples, stats, err := SPAGRewards(tc.eps, RewardOptions{Decay: DefaultDecay, Prompt: queryPrompt})
			if err != nil {
				t.Fatal(err)
			}
			if stats.AttackerWeight != tc.wa || stats.DefenderWeight != tc.wd {
				t.Fatalf("weights %v/%v, want %v/%v", stats.AttackerWeight, stats.DefenderWeight, tc.wa, tc.wd)
			}
			total := 0.0
			for _, s := range samples {
				want := tc.wd
				if s.Role == "attacker" {
					want = tc.wa
				}
				if s.Weight != want {
					t.Fatalf("%s sample weight %v, want %v", s.Role, s.Weight, want)
				}
				total += s.Weight * s.Reward
			}
			// Each won episode's rewards sum to 1, so the weighted total
			// is N/2 per side that won at least once.
			sides := 0
			if stats.AttackerWins > 0 {
				sides++
			}
			if stats.DefenderWins > 0 {
				sides++
			}
			if n := float64(stats.AttackerWins + stats.DefenderWins); math.Abs(total-n/2*float64(sides)) > 1e-12 {
				t.Fatalf("weighted reward total %v, want %v", total, n/2*float64(sides))
			}
		})
	}
}

func TestSPAGRewardsErrors(t *testing.T) {
	good := rl.Episode{Target: "w", Outcome: "attacker_wins", DecidedAt: 2, History: msgs("a:x", "d:y")}
	with := func(f func(*rl.Episode)) []rl.Episode {
		e := good
		f(&e)
		return []rl.Episode{good, e}
	}
	errPrompt := errors.New("no template")
	tests := []struct {
		name string
		eps  []rl.Episode
		opt  RewardOptions
		want string
	}{
		{"decay 0", nil, RewardOptions{Prompt: queryPrompt}, "decay must be in (0, 1] (got 0"},
		{"decay negative", nil, RewardOptions{Decay: -0.5, Prompt: queryPrompt}, "decay must be in (0, 1] (got -0.5"},
		{"decay above 1", nil, RewardOptions{Decay: 1.5, Prompt: queryPrompt}, "decay must be in (0, 1] (got 1.5"},
		{"decay NaN", nil, RewardOptions{Decay: math.NaN(), Prompt: queryPrompt}, "decay must be in (0, 1] (got NaN"},
		{"no prompt", nil, RewardOptions{Decay: 0.8}, "no prompt function"},
		{"SPAG outcome string", with(func(e *rl.Episode) { e.Outcome = "attacker wins" }), RewardOptions{Decay: 0.8, Prompt: queryPrompt}, `episode 1: unknown outcome "attacker wins"`},
		{"no outcome", with(func(e *rl.Episode) { e.Outcome = "" }), RewardOptions{Decay: 0.8, Prompt: queryPrompt}, "episode 1 has no outcome"},
		{"decided at 0", with(func(e *rl.Episode) { e.DecidedAt = 0 }), RewardOptions{Decay: 0.8, Prompt: queryPrompt}, "episode 1: decided at utterance 0, but its history has 2"},
		{"decided past the end", with(func(e *rl.Episode) { e.DecidedAt = 3 }), RewardOptions{Decay: 0.8, Prompt: queryPrompt}, "decided at utterance 3"},
		{"prompt fails", []rl.Episode{good}, RewardOptions{Decay: 0.8, Prompt: func(*rl.Episode, int) (game.Prompt, error) { return game.Prompt{}, errPrompt }}, "episode 0 utterance 1: prompt: no template"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := SPAGRewards(tc.eps, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	_, _, err := SPAGRewards([]rl.Episode{good}, RewardOptions{Decay: 0.8, Prompt: func(*rl.Episode, int) (game.Prompt, error) { return game.Prompt{}, errPrompt }})
	if !errors.Is(err, errPrompt) {
		t.Fatalf("error %v does not wrap the prompt error", err)
	}
	if _, _, err := SPAGRewards([]rl.Episode{good}, RewardOptions{Decay: 1, Prompt: queryPrompt}); err != nil {
		t.Fatalf("decay 1 rejected: %v", err)
	}
}

func TestTrimPySpace(t *testing.T) {
	tests := map[string]string{
		"  hi  ":             "hi",
		"\t\n hi \r\n":       "hi",
		"\x1chi\x1f":         "hi",
		"\u00a0hi\u3000":     "hi",
		"in side stays":      "in side stays",
		"\u200bhi":           "\u200bhi", // zero-width space is not white space
		"":                   "",
		" \x1c\x1d\x1e\x1f ": "",
	}
	for in, want := range tests {
		if got := trimPySpace(in); got != want {
			t.Errorf("trimPySpace(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStreamSPAGRewardsStreams checks that samples leave as the second
// pass reaches them (memory does not grow with the input), that they are
// SPAGRewards's samples, and that input changed between the passes is
// refused.
func TestStreamSPAGRewardsStreams(t *testing.T) {
	var eps []rl.Episode
	for i := range 300 {
		ep := rl.Episode{Target: "w", History: []game.Message{{Role: "attacker", Content: "a"}, {Role: "defender", Content: "d"}},
			Provenance: rl.Provenance{Judge: "strict@1", Run: "r"}}
		switch i % 3 {
		case 0:
			ep.Outcome, ep.DecidedAt = "attacker_wins", 2
		case 1:
			ep.Outcome, ep.DecidedAt = "defender_wins", 2
		default:
			ep.Outcome, ep.DecidedAt = "tie", 2
		}
		eps = append(eps, ep)
	}
	opt := RewardOptions{Decay: DefaultDecay, Prompt: queryPrompt}
	want, wantStats, err := SPAGRewards(eps, opt)
	if err != nil {
		t.Fatal(err)
	}
	passes, yielded := 0, 0
	pass := func() iter.Seq2[*rl.Episode, error] {
		passes++
		yielded = 0
		return func(yield func(*rl.Episode, error) bool) {
			for i := range eps {
				yielded++
				if !yield(&eps[i], nil) {
					return
				}
			}
		}
	}
	var got []rl.Sample
	maxYielded := 0
	stats, err := StreamSPAGRewards(pass, opt, func(s *rl.Sample) error {
		if len(got) == 0 {
			maxYielded = yielded
		}
		got = append(got, *s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if passes != 2 || maxYielded != 1 {
		t.Errorf("%d passes, first sample after %d episodes of the second; want 2 passes, after 1", passes, maxYielded)
	}
	if !reflect.DeepEqual(got, want) || stats != wantStats {
		t.Errorf("streamed samples or stats differ from SPAGRewards's: %+v vs %+v", stats, wantStats)
	}

	// A second pass that sees one more episode (a run still being
	// written) is refused, not weighted with stale counts.
	grow := 0
	_, err = StreamSPAGRewards(func() iter.Seq2[*rl.Episode, error] {
		grow++
		n := len(eps) - 2 + grow
		return func(yield func(*rl.Episode, error) bool) {
			for i := range n {
				if !yield(&eps[i], nil) {
					return
				}
			}
		}
	}, opt, func(*rl.Sample) error { return nil })
	if !errors.Is(err, ErrChangedInput) {
		t.Errorf("changed input: %v, want ErrChangedInput", err)
	}
}
