package definitions_test

import (
	"context"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/apo/revdict"
	"github.com/spag-go/spag/game"
)

// TestYardstick measures the reverse dictionary on the held-out words
// (the README quotes these numbers; go test -v -run TestYardstick prints
// them): their gold glosses must find their word, half of a gloss mostly,
// and answers that say nothing about the word must not.
func TestYardstick(t *testing.T) {
	all := builtin(t)
	ix, err := definitions.ReverseDictionary(all)
	if err != nil {
		t.Fatal(err)
	}
	held := definitions.OfSplit(all, definitions.HeldOut)
	g, err := apo.New(apo.Params{Items: apo.DefinitionItems(held)})
	if err != nil {
		t.Fatal(err)
	}
	// generated returns the built-in generator's answer to the word's query.
	generated := func(skill float64, seed uint64, word string) string {
		t.Helper()
		st, err := g.NewState(game.Setup{Seed: seed, Subject: definitions.Query(word)})
		if err != nil {
			t.Fatal(err)
		}
		r, err := apo.BuiltinGenerator{Skill: skill}.Play(context.Background(), game.Request{Observation: st.Observation(0), Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return r.Text
	}
	firstHalf := func(s string) string {
		f := strings.Fields(s)
		return strings.Join(f[:(len(f)+1)/2], " ")
	}
	for _, tt := range []struct {
		name       string
		definition func(i int, e definitions.Entry) string
		// The rates must lie in these bounds.
		minTop1, maxTop1, minTop5, maxTop5 float64
	}{
		{"gold gloss", func(_ int, e definitions.Entry) string { return e.Gloss }, 0.95, 1, 0.99, 1},
		{"first half of the gold gloss", func(_ int, e definitions.Entry) string { return firstHalf(e.Gloss) }, 0.6, 1, 0.85, 1},
		{"built-in generator, skill 0.5", func(i int, e definitions.Entry) string { return generated(0.5, uint64(i), e.Word) }, 0, 0.02, 0, 0.05},
		{"built-in generator, skill 0.9", func(i int, e definitions.Entry) string { return generated(0.9, uint64(i), e.Word) }, 0, 0.02, 0, 0.05},
		{"the word alone", func(_ int, e definitions.Entry) string { return e.Word }, 0, 0, 0, 0},
		{"empty answer", func(int, definitions.Entry) string { return "" }, 0, 0, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r revdict.Rates
			for i, e := range held {
				rank, err := ix.Rank(tt.definition(i, e), e.Word)
				if err != nil {
					t.Fatal(err)
				}
				r.Add(rank)
			}
			t.Logf("%d held-out words, %d in the index, %s: %v", len(held), ix.Len(), tt.name, r)
			if r.Top1Rate() < tt.minTop1 || r.Top1Rate() > tt.maxTop1 || r.Top5Rate() < tt.minTop5 || r.Top5Rate() > tt.maxTop5 {
				t.Errorf("%s: %v, want top-1 in [%g, %g] and top-5 in [%g, %g]", tt.name, r, tt.minTop1, tt.maxTop1, tt.minTop5, tt.maxTop5)
			}
		})
	}
}
