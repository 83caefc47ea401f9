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
)

// zeroSumEpisodes: one of each outcome. Returns (attacker, defender):
// (+1, -1), (-1, +1), (-1, +1) for the rule break, (0, 0) for the tie, so
// the mean returns are -0.25 for the attacker and +0.25 for the defender.
func zeroSumEpisodes() []rl.Episode {
	return []rl.Episode{
		{Target: "w0", History: msgs("a:a1", "d:d2", "a:a3", "d:d4", "a:a5"), Outcome: "attacker_wins", DecidedAt: 4},
		{Target: "w1", History: msgs("a:b1", "d:b2", "a:b3", "d:b4"), Outcome: "defender_wins", DecidedAt: 4},
		{Target: "w2", History: msgs("a:c1", "d:c2", "a:c3"), Outcome: "attacker_broke_rules", DecidedAt: 3},
		{Target: "w3", History: msgs("a:e1", "d:e2", "a:e3", "d:e4"), Outcome: "tie", DecidedAt: 4},
	}
}

func passOf(eps []rl.Episode) func() iter.Seq2[*rl.Episode, error] {
	return func() iter.Seq2[*rl.Episode, error] {
		return func(yield func(*rl.Episode, error) bool) {
			for i := range eps {
				if !yield(&eps[i], nil) {
					return
				}
			}
		}
	}
}

// got lists samples as "target=advantage".
func zeroSum(t *testing.T, eps []rl.Episode, opt ZeroSumOptions) ([]string, ZeroSumStats) {
	t.Helper()
	opt.Prompt = queryPrompt
	var out []string
	st, err := StreamZeroSumRewards(passOf(eps), opt, func(s *rl.Sample) error {
		if s.Weight != 1 {
			t.Errorf("sample %s has weight %v, want 1", s.Target, s.Weight)
		}
		if want := map[bool]string{true: "attacker", false: "defender"}[strings.IndexAny(s.Target, "135") == 1]; s.Role != want {
			t.Errorf("sample %s has role %s, want %s", s.Target, s.Role, want)
		}
		out = append(out, fmt.Sprintf("%s=%.4g", s.Target, s.Reward))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

// TestZeroSumRewards checks advantages derived by hand (see
// zeroSumEpisodes) for both credit options, with and without a previous
// baseline, and with an opponent in one role.
func TestZeroSumRewards(t *testing.T) {
	tests := []struct {
		name     string
		learner  map[int]string // episode -> rl.Episode.Learner
		opt      ZeroSumOptions
		want     []string
		baseline map[string]float64
	}{
		{"every turn, first round: baseline is the mean", nil, ZeroSumOptions{Credit: CreditAll, BaselineDecay: 0.5},
			[]string{"a1=1.25", "d2=-1.25", "a3=1.25", "d4=-1.25",
				"b1=-0.75", "b2=0.75", "b3=-0.75", "b4=0.75",
				"c1=-0.75", "c2=0.75", "c3=-0.75",
				"e1=0.25", "e2=-0.25", "e3=0.25", "e4=-0.25"},
			map[string]float64{"attacker": -0.25, "defender": 0.25}},
		{"credit \"\" is every turn", nil, ZeroSumOptions{BaselineDecay: 0.5},
			[]string{"a1=1.25", "d2=-1.25", "a3=1.25", "d4=-1.25",
				"b1=-0.75", "b2=0.75", "b3=-0.75", "b4=0.75",
				"c1=-0.75", "c2=0.75", "c3=-0.75",
				"e1=0.25", "e2=-0.25", "e3=0.25", "e4=-0.25"},
			map[string]float64{"attacker": -0.25, "defender": 0.25}},
		{"decisive turn only", nil, ZeroSumOptions{Credit: CreditDecisive, BaselineDecay: 0.5},
			[]string{"a3=1.25", "d4=-1.25", "b3=-0.75", "b4=0.75", "c2=0.75", "c3=-0.75", "e3=0.25", "e4=-0.25"},
			map[string]float64{"attacker": -0.25, "defender": 0.25}},
		// b = 0.5·prev + 0.5·mean: attacker 0.5·0.5 + 0.5·(-0.25) = 0.125,
		// defender 0.5·(-0.5) + 0.5·0.25 = -0.125.
		{"running mean with the previous round's", nil, ZeroSumOptions{Credit: CreditDecisive, BaselineDecay: 0.5, Baseline: map[string]float64{"attacker": 0.5, "defender": -0.5}},
			[]string{"a3=0.875", "d4=-0.875", "b3=-1.125", "b4=1.125", "c2=1.125", "c3=-1.125", "e3=-0.125", "e4=0.125"},
			map[string]float64{"attacker": 0.125, "defender": -0.125}},
		{"alpha 0 is this round's mean", nil, ZeroSumOptions{Credit: CreditDecisive, Baseline: map[string]float64{"attacker": 0.5, "defender": -0.5}},
			[]string{"a3=1.25", "d4=-1.25", "b3=-0.75", "b4=0.75", "c2=0.75", "c3=-0.75", "e3=0.25", "e4=-0.25"},
			map[string]float64{"attacker": -0.25, "defender": 0.25}},
		// Episodes 0 and 1 against opponents: the learner played the
		// attacker in 0 and the defender in 1. Attacker trajectories: 0,
		// 2, 3 (mean (1 - 1 + 0)/3 = 0); defender: 1, 2, 3 (mean 2/3).
		{"opponents' turns are no samples", map[int]string{0: "attacker", 1: "defender"}, ZeroSumOptions{Credit: CreditDecisive},
			[]string{"a3=1", "b4=0.3333", "c2=0.3333", "c3=-1", "e3=0", "e4=-0.6667"},
			map[string]float64{"attacker": 0, "defender": 2.0 / 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eps := zeroSumEpisodes()
			for i, l := range tc.learner {
				eps[i].Learner = l
			}
			got, st := zeroSum(t, eps, tc.opt)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("samples\n got %v\nwant %v", got, tc.want)
			}
			for role, b := range tc.baseline {
				if math.Abs(st.Baseline[role]-b) > 1e-12 {
					t.Errorf("baseline %s = %v, want %v", role, st.Baseline[role], b)
				}
			}
			if st.Episodes != 4 || st.AttackerWins != 1 || st.DefenderWins != 1 || st.RuleBreaks != 1 || st.Ties != 1 || st.Samples != len(tc.want) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestZeroSumRewardsPerTurn checks the per-turn baseline by hand (see
// zeroSumEpisodes): each role's k-th turn subtracts the mean return of the
// samples at that turn, so every turn's advantages sum to zero.
func TestZeroSumRewardsPerTurn(t *testing.T) {
	tests := []struct {
		name  string
		opt   ZeroSumOptions
		want  []string
		turns map[string][]float64
	}{
		// Attacker: every decisive turn is its second (mean -0.25, as per
		// role); defender: second turns d4 -1, b4 +1, e4 0 (mean 0), first
		// turn c2 +1 (mean 1).
		{"decisive turn only", ZeroSumOptions{Credit: CreditDecisive, Per: BaselinePerTurn},
			[]string{"a3=1.25", "d4=-1", "b3=-0.75", "b4=1", "c2=0", "c3=-0.75", "e3=0.25", "e4=0"},
			map[string][]float64{"attacker": {0, -0.25}, "defender": {1, 0}}},
		// The previous round's running mean does not enter a per-turn
		// baseline.
		{"previous baseline left out", ZeroSumOptions{Credit: CreditDecisive, Per: BaselinePerTurn, BaselineDecay: 0.5,
			Baseline: map[string]float64{"attacker": 0.5, "defender": -0.5}},
			[]string{"a3=1.25", "d4=-1", "b3=-0.75", "b4=1", "c2=0", "c3=-0.75", "e3=0.25", "e4=0"},
			map[string][]float64{"attacker": {0, -0.25}, "defender": {1, 0}}},
		// Attacker: first and second turns both -0.25; defender: first
		// turns d2 -1, b2 +1, c2 +1, e2 0 (mean 0.25), second d4, b4, e4
		// (mean 0).
		{"every turn", ZeroSumOptions{Credit: CreditAll, Per: BaselinePerTurn},
			[]string{"a1=1.25", "d2=-1.25", "a3=1.25", "d4=-1",
				"b1=-0.75", "b2=0.75", "b3=-0.75", "b4=1",
				"c1=-0.75", "c2=0.75", "c3=-0.75",
				"e1=0.25", "e2=-0.25", "e3=0.25", "e4=0"},
			map[string][]float64{"attacker": {-0.25, -0.25}, "defender": {0.25, 0}}},
		{"per role is the default", ZeroSumOptions{Credit: CreditDecisive, Per: BaselinePerRole},
			[]string{"a3=1.25", "d4=-1.25", "b3=-0.75", "b4=0.75", "c2=0.75", "c3=-0.75", "e3=0.25", "e4=-0.25"},
			nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, st := zeroSum(t, zeroSumEpisodes(), tc.opt)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("samples\n got %v\nwant %v", got, tc.want)
			}
			if !reflect.DeepEqual(st.TurnBaseline, tc.turns) {
				t.Errorf("turn baseline %v, want %v", st.TurnBaseline, tc.turns)
			}
			// The per-role running mean is still kept for the next round.
			if math.Abs(st.MeanReturn["attacker"]+0.25) > 1e-12 || math.Abs(st.MeanReturn["defender"]-0.25) > 1e-12 {
				t.Errorf("mean returns %v", st.MeanReturn)
			}
		})
	}
}

// TestZeroSumRewardsNoTrajectoriesKeepBaseline: a role the learner never
// played keeps its previous running mean (and has none without one).
func TestZeroSumRewardsNoTrajectoriesKeepBaseline(t *testing.T) {
	eps := zeroSumEpisodes()
	for i := range eps {
		eps[i].Learner = "attacker"
	}
	_, st := zeroSum(t, eps, ZeroSumOptions{BaselineDecay: 0.9, Baseline: map[string]float64{"defender": 0.3}})
	if st.Baseline["defender"] != 0.3 || st.Trajectories["defender"] != 0 || st.DefenderSamples != 0 {
		t.Errorf("defender: baseline %v, %d trajectories, %d samples; want 0.3, 0, 0", st.Baseline["defender"], st.Trajectories["defender"], st.DefenderSamples)
	}
	_, st = zeroSum(t, eps, ZeroSumOptions{BaselineDecay: 0.9})
	if _, ok := st.Baseline["defender"]; ok {
		t.Errorf("a role with no trajectory and no previous baseline got one: %v", st.Baseline)
	}
}

func TestZeroSumRewardsErrors(t *testing.T) {
	good := zeroSumEpisodes()[:1]
	tests := []struct {
		name string
		eps  []rl.Episode
		opt  ZeroSumOptions
		want string
	}{
		{"credit", good, ZeroSumOptions{Prompt: queryPrompt, Credit: "first"}, `credit "first"`},
		{"decay 1", good, ZeroSumOptions{Prompt: queryPrompt, BaselineDecay: 1}, "baseline decay 1"},
		{"decay negative", good, ZeroSumOptions{Prompt: queryPrompt, BaselineDecay: -0.1}, "baseline decay -0.1"},
		{"baseline per", good, ZeroSumOptions{Prompt: queryPrompt, Per: "game"}, `baseline per "game"`},
		{"no prompt", good, ZeroSumOptions{}, "no prompt function"},
		{"unjudged", []rl.Episode{{History: msgs("a:x"), DecidedAt: 1}}, ZeroSumOptions{Prompt: queryPrompt}, "episode 0 has no outcome"},
		{"unknown outcome", []rl.Episode{{History: msgs("a:x"), Outcome: "draw", DecidedAt: 1}}, ZeroSumOptions{Prompt: queryPrompt}, `unknown outcome "draw"`},
		{"decided past the history", []rl.Episode{{History: msgs("a:x"), Outcome: "tie", DecidedAt: 2}}, ZeroSumOptions{Prompt: queryPrompt}, "decided at utterance 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := StreamZeroSumRewards(passOf(tc.eps), tc.opt, func(*rl.Sample) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	changing := zeroSumEpisodes()
	calls := 0
	pass := func() iter.Seq2[*rl.Episode, error] {
		calls++
		if calls == 2 {
			changing[0].Outcome = "defender_wins"
		}
		return passOf(changing)()
	}
	if _, err := StreamZeroSumRewards(pass, ZeroSumOptions{Prompt: queryPrompt}, func(*rl.Sample) error { return nil }); !errors.Is(err, ErrChangedInput) {
		t.Errorf("changed input: %v", err)
	}
}

func TestParseBaseline(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]float64
		wantErr string
	}{
		{"", map[string]float64{}, ""},
		{"attacker=0.25,defender=-0.5", map[string]float64{"attacker": 0.25, "defender": -0.5}, ""},
		{" defender = 1e-3 ", map[string]float64{"defender": 0.001}, ""},
		{"attacker=x", nil, `attacker="x" is not a number`},
		{"attacker=NaN", nil, "is not a number"},
		{"judge=1", nil, "want attacker=NUMBER"},
		{"attacker=1,attacker=2", nil, "attacker given twice"},
	}
	for _, tc := range tests {
		got, err := ParseBaseline(tc.in)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("ParseBaseline(%q) error %v, want %q", tc.in, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || !reflect.DeepEqual(got, tc.want)):
			t.Errorf("ParseBaseline(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	b := map[string]float64{"attacker": 0.1, "defender": -2.0 / 3}
	if back, err := ParseBaseline(FormatBaseline(b)); err != nil || !reflect.DeepEqual(back, b) {
		t.Errorf("round trip of %v: %v, %v", b, back, err)
	}
}

// TestSPAGRewardsLearner: with an opponent in one role, the SPAG rule
// takes no samples of the opponent's turns (won or, with a loser reward,
// lost) and leaves its wins out of the role weights.
func TestSPAGRewardsLearner(t *testing.T) {
	eps := zeroSumEpisodes()[:2]
	eps[0].Learner = "defender" // the opponent attacker won
	eps[1].Learner = "defender" // the learner defender won
	samples, st, err := SPAGRewards(eps, RewardOptions{Decay: 0.8, Prompt: queryPrompt, LoserReward: -1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range samples {
		got = append(got, fmt.Sprintf("%s=%.4g", s.Target, s.Reward))
	}
	// rl.Episode 0: no attacker samples; the learner defender's losing move
	// d4 gets the loser reward. rl.Episode 1: the defender's b2, b4 (4:5).
	want := []string{"d4=-1", "b2=0.4444", "b4=0.5556"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("samples %v, want %v", got, want)
	}
	if st.AttackerWins != 0 || st.DefenderWins != 1 || st.OpponentWins != 1 {
		t.Errorf("stats %+v: want 0 attacker wins, 1 defender win, 1 opponent win", st)
	}
}
