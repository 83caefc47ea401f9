package kuhndata_test

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/exploit"
	_ "github.com/spag-go/spag/kuhn/kuhnbuiltin"
	"github.com/spag-go/spag/kuhn/kuhndata"
	"github.com/spag-go/spag/kuhn/kuhnrun"
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
	session := &selfplay.Session{Path: filepath.Join(t.TempDir(), "k.db")}
	defer session.Close()
	cfg := kuhnrun.Config{First: "kuhn:uniform", Second: "kuhn:always-bet", Games: 120, Seed: 3}
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
	store, _ := session.Store(ctx)
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
