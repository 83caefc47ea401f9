package kuhndata_test

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/exploit"
	_ "github.com/spag-go/spag/kuhn/kuhnbuiltin"
	"github.com/spag-go/spag/kuhn/kuhndata"
	"github.com/spag-go/spag/kuhn/kuhnrun"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/selfplay"
)

func TestImitation(t *testing.T) {
	st, _ := kuhn.Equilibrium(0.25)
	samples, err := kuhndata.Imitation(st, 12)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 12*12 {
		t.Fatalf("%d samples, want 144", len(samples))
	}
	for i, is := range kuhn.InfoSets {
		agg := 0
		for _, s := range samples[12*i : 12*i+12] {
			if s.Type != rl.TypeSFT || !strings.Contains(s.Query, "Your card is the "+is.Card.String()+".") {
				t.Fatalf("%s: sample %+v", is, s)
			}
			if s.Target == is.Legal()[1].String() {
				agg++
			}
		}
		if want := int(math.Round(12 * st[i])); agg != want {
			t.Errorf("%s: %d aggressive targets of 12, want %d", is, agg, want)
		}
	}
	if _, err := kuhndata.Imitation(st, 0); err == nil {
		t.Fatal("0 copies accepted")
	}
}

// TestZeroSum plays a run, then checks its samples: one per answer, each
// prompt the one the player saw, and each seat's advantages summing to 0.
func TestZeroSum(t *testing.T) {
	ctx := context.Background()
	store, run := playRun(t, kuhnrun.Config{First: "kuhn:uniform", Second: "kuhn:always-bet", Games: 120, Seed: 3})
	turns := 0
	for rec, err := range store.Iter(ctx, episodes.Filter{RunID: run.ID, Turns: true}) {
		if err != nil {
			t.Fatal(err)
		}
		turns += len(rec.Turns)
	}
	for _, baseline := range kuhndata.Baselines {
		t.Run(baseline, func(t *testing.T) {
			samples, st, err := kuhndata.ZeroSum(ctx, store, run, baseline)
			if err != nil {
				t.Fatal(err)
			}
			if st.Hands != 120 || len(samples) != turns || st.Samples != turns || st.Baseline != baseline {
				t.Fatalf("stats %+v with %d samples, want 120 hands and %d samples", st, len(samples), turns)
			}
			// Each reward is the answer's chips in the hand (±1 or ±2) less
			// the baseline; the advantages at one baseline's group sum to 0.
			groups := map[string]float64{}
			for _, s := range samples {
				key := s.Role
				if baseline == "infoset" {
					key = infoSetOf(t, s.Query)
				}
				base := st.MeanChips[s.Role]
				if baseline == "infoset" {
					base = st.InfoSetMean[key]
				}
				if a := math.Abs(s.Reward + base); math.Abs(a-1) > 1e-9 && math.Abs(a-2) > 1e-9 {
					t.Fatalf("sample of %s: reward %v is not ±1 or ±2 chips less the baseline %v", key, s.Reward, base)
				}
				groups[key] += s.Reward
				if s.Run != run.ID || !strings.Contains(s.Query, "Your move with the ") {
					t.Fatalf("sample %+v", s)
				}
			}
			if baseline == "infoset" {
				for k, v := range groups {
					if math.Abs(v) > 1e-9 {
						t.Errorf("advantages at %s sum to %v, want 0", k, v)
					}
				}
				if len(groups) != 12 {
					t.Errorf("%d information sets answered, want 12", len(groups))
				}
			}
		})
	}
	if _, _, err := kuhndata.ZeroSum(ctx, store, run, "card"); err == nil || !strings.Contains(err.Error(), "infoset, seat") {
		t.Fatalf("baseline card: error %v", err)
	}
	_, st, _ := kuhndata.ZeroSum(ctx, store, run, "seat")
	if st.MeanChips[kuhn.First] != -st.MeanChips[kuhn.Second] {
		t.Fatalf("mean chips %v are not zero-sum", st.MeanChips)
	}
}

// infoSetOf names the information set whose prompt query is.
func infoSetOf(t *testing.T, query string) string {
	t.Helper()
	for _, is := range kuhn.InfoSets {
		o, _ := exploit.Observation(is)
		p, _ := o.Prompt()
		if p.Text() == query {
			return is.String()
		}
	}
	t.Fatalf("query of no information set: %q", query)
	return ""
}

// forfeiter plays uniformly but answers no move at all one turn in four
// (by the turn's seed), as a model with mass outside the legal moves does.
type forfeiter struct{}

func (forfeiter) Help() string              { return "test: uniform play that forfeits a turn in four" }
func (forfeiter) Keys(players.Env) []string { return nil }
func (forfeiter) Open(context.Context, players.Spec, players.Env) (game.Player, error) {
	u := kuhn.Player{Strategy: kuhn.Uniform()}
	return game.PlayerFunc(func(ctx context.Context, req game.Request) (game.Reply, error) {
		if game.SplitMix64(req.Seed)%4 == 0 {
			return game.Reply{Text: "I raise"}, nil
		}
		return u.Play(ctx, req)
	}), nil
}

func init() { players.Register("forfeittest", forfeiter{}) }

// TestZeroSumForfeit: --forfeit lowers the advantage of exactly the
// answers that lost the hand by rule, by the penalty, and leaves the
// baseline (the mean chips the hands moved) and every other answer as
// they were.
func TestZeroSumForfeit(t *testing.T) {
	ctx := context.Background()
	store, run := playRun(t, kuhnrun.Config{First: "forfeittest", Second: "forfeittest", Games: 120, Seed: 5})
	plain, st0, err := kuhndata.ZeroSumWith(ctx, store, run, kuhndata.ZeroSumOptions{Baseline: "infoset"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		penalty float64
	}{{0}, {0.5}, {2}}
	for _, c := range cases {
		samples, st, err := kuhndata.ZeroSumWith(ctx, store, run, kuhndata.ZeroSumOptions{Baseline: "infoset", Forfeit: c.penalty})
		if err != nil {
			t.Fatal(err)
		}
		if len(samples) != len(plain) || st.Forfeits != st0.Forfeits || st.InfoSetMean["first J"] != st0.InfoSetMean["first J"] {
			t.Fatalf("penalty %v: %d samples, stats %+v; without it %d, %+v", c.penalty, len(samples), st, len(plain), st0)
		}
		lowered := 0
		for i, s := range samples {
			_, err := kuhn.ParseMove(s.Target)
			want := plain[i].Reward
			if err != nil {
				want -= c.penalty
				lowered++
			}
			if math.Abs(s.Reward-want) > 1e-12 {
				t.Fatalf("penalty %v: answer %q has advantage %v, want %v", c.penalty, s.Target, s.Reward, want)
			}
		}
		if lowered != st.Forfeits || lowered < 10 {
			t.Errorf("penalty %v: %d answers are no move, stats count %d forfeits (want the same, and at least 10)", c.penalty, lowered, st.Forfeits)
		}
	}
	if _, _, err := kuhndata.ZeroSumWith(ctx, store, run, kuhndata.ZeroSumOptions{Baseline: "infoset", Forfeit: -1}); err == nil || !strings.Contains(err.Error(), "forfeit penalty -1") {
		t.Errorf("a negative penalty: error %v", err)
	}
}

// playRun plays and stores a run of cfg; the store closes with the test.
func playRun(t *testing.T, cfg kuhnrun.Config) (*episodes.Store, *episodes.Run) {
	t.Helper()
	ctx := context.Background()
	session := &selfplay.Session{Path: filepath.Join(t.TempDir(), "k.db")}
	t.Cleanup(func() { session.Close() })
	if err := cfg.Prepare(); err != nil {
		t.Fatal(err)
	}
	plan, err := cfg.Plan(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	run, pending, err := session.Begin(ctx, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := session.Play(ctx, run, plan, pending, selfplay.Options{}); err != nil {
		t.Fatal(err)
	}
	store, err := session.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return store, run
}
