package tabooloop_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/spag-go/spag/taboo/tabooloop"
)

func TestParseMixture(t *testing.T) {
	tests := []struct {
		in      string
		want    tabooloop.Mixture
		wantErr string
	}{
		{"self=0.5,past=0.3,ref=0.2", tabooloop.Mixture{{"self", 0.5}, {"past", 0.3}, {"ref", 0.2}}, ""},
		{" self = 1 , builtin=0.1", tabooloop.Mixture{{"self", 1}, {"builtin", 0.1}}, ""},
		{"ref=2,self=0", tabooloop.Mixture{{"ref", 2}, {"self", 0}}, ""},
		{"self=0.5,league=0.5", nil, `unknown opponent "league"`},
		{"self", nil, "want NAME=WEIGHT"},
		{"self=-0.1", nil, "self=-0.1: the weight must be a number, not negative"},
		{"self=x", nil, "self=x: the weight must be a number"},
		{"self=NaN", nil, "must be a number"},
		{"self=Inf", nil, "must be a number"},
		{"self=0,ref=0", nil, "the weights sum to 0"},
		{"self=1,self=2", nil, "self given twice"},
		{"", nil, "want NAME=WEIGHT"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := tabooloop.ParseMixture(tc.in)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want %q", err, tc.wantErr)
				}
			case err != nil || !reflect.DeepEqual(got, tc.want):
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			default:
				if back, err := tabooloop.ParseMixture(got.String()); err != nil || !reflect.DeepEqual(back, got) {
					t.Errorf("String %q reads back as %v, %v", got.String(), back, err)
				}
			}
		})
	}
}

// TestPlanRound: which runs a round plays and with which players; the
// split is deterministic given the seed and follows the weights.
func TestPlanRound(t *testing.T) {
	const policy, im = "native:/l/round-2/policy.ckpt", "native"
	past := []string{"native:/l/round-1/policy.ckpt"}
	mix := tabooloop.Mixture{{"self", 0.5}, {"past", 0.3}, {"ref", 0.2}}

	runs := tabooloop.PlanRound(mix, 1000, 7, policy, im, past)
	var keys []string
	games := map[string]int{}
	total := 0
	for _, r := range runs {
		keys = append(keys, r.Key)
		games[r.Opponent] += r.Games
		total += r.Games
		want := map[string][2]string{
			"":         {policy, policy},
			"attacker": {policy, r.OpponentSpec},
			"defender": {r.OpponentSpec, policy},
		}[r.Learner]
		if r.Attacker != want[0] || r.Defender != want[1] {
			t.Errorf("run %s: %s against %s, want %s against %s", r.Key, r.Attacker, r.Defender, want[0], want[1])
		}
	}
	wantKeys := []string{"self", "past:" + past[0] + "/attacker", "past:" + past[0] + "/defender", "ref/attacker", "ref/defender"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("runs %v, want %v", keys, wantKeys)
	}
	if total != 1000 {
		t.Errorf("%d games planned, want 1000", total)
	}
	// 1000 draws: each share within 5 standard deviations of its weight.
	for _, s := range mix {
		if d := float64(games[s.Name]) - 1000*s.Weight; d*d > 25*1000*s.Weight*(1-s.Weight) {
			t.Errorf("%s: %d games, want about %v", s.Name, games[s.Name], 1000*s.Weight)
		}
	}
	if again := tabooloop.PlanRound(mix, 1000, 7, policy, im, past); !reflect.DeepEqual(again, runs) {
		t.Error("the same seed planned other runs")
	}
	if other := tabooloop.PlanRound(mix, 1000, 8, policy, im, past); reflect.DeepEqual(other, runs) {
		t.Error("another seed planned the same runs")
	}
	// The learner takes both roles about equally against each opponent.
	for i := 1; i < len(runs); i += 2 {
		if a, d := runs[i].Games, runs[i+1].Games; a != d && a != d+1 {
			t.Errorf("%s: %d games attacking, %d defending", runs[i].Key, a, d)
		}
	}

	// Round 1: the policy is the initial model, so every opponent is the
	// policy itself: one self-play run. Round 2: no past policy yet, so
	// past plays the initial model (with ref's games, in past's run).
	if r := tabooloop.PlanRound(mix, 10, 1, im, im, nil); len(r) != 1 || r[0].Key != "self" || r[0].Games != 10 || r[0].Learner != "" {
		t.Errorf("round 1: %+v, want one self-play run of 10 games", r)
	}
	for _, r := range tabooloop.PlanRound(mix, 200, 1, policy, im, nil) {
		if r.Learner != "" && r.OpponentSpec != im {
			t.Errorf("round 2: run %s plays %s, want the initial model", r.Key, r.OpponentSpec)
		}
	}
	// No mixture: self-play only. Built-in players: their spec.
	if r := tabooloop.PlanRound(nil, 5, 1, policy, im, past); len(r) != 1 || r[0].Games != 5 {
		t.Errorf("no mixture: %+v", r)
	}
	b := tabooloop.PlanRound(tabooloop.Mixture{{"builtin", 1}}, 3, 1, policy, im, past)
	if len(b) != 2 || b[0].Attacker != policy || b[0].Defender != "builtin" || b[0].Games != 2 || b[1].Attacker != "builtin" || b[1].Games != 1 {
		t.Errorf("builtin only: %+v, want 2 games attacking and 1 defending against builtin", b)
	}
}

// TestInTraining: built-in evaluation opponents stop being held out once
// the population draws builtin players.
func TestInTraining(t *testing.T) {
	c := tabooloop.Config{Opponents: []string{"builtin", "builtin:skill=0.9", "native:/x.ckpt"}}
	if got := c.InTraining(); got != nil {
		t.Errorf("no population: %v, want none", got)
	}
	c.Population = tabooloop.Mixture{{"self", 1}, {"builtin", 0}}
	if got := c.InTraining(); got != nil {
		t.Errorf("builtin at weight 0: %v, want none", got)
	}
	c.Population = tabooloop.Mixture{{"self", 1}, {"builtin", 0.1}}
	if got, want := c.InTraining(), []string{"builtin", "builtin:skill=0.9"}; !reflect.DeepEqual(got, want) {
		t.Errorf("builtin in the population: %v, want %v", got, want)
	}
}
