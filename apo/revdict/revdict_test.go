package revdict_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo/revdict"
)

// A small dictionary: dog and wolf share most terms, pup names dog.
var (
	words = []string{"dog", "wolf", "cat", "river", "pup", "blank"}
	defs  = []string{
		"a domesticated carnivorous mammal that barks",
		"a wild carnivorous mammal that hunts in packs",
		"a small domesticated carnivorous mammal with soft fur",
		"a large natural stream of water",
		"a young dog",
		"",
	}
)

func index(t *testing.T) *revdict.Index {
	t.Helper()
	ix, err := revdict.New(words, defs)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestRank(t *testing.T) {
	ix := index(t)
	for _, tt := range []struct {
		definition, word string
		want             int
	}{
		{"a domesticated carnivorous mammal that barks", "dog", 1},
		{"an animal that barks", "dog", 1},
		{"a mammal that hunts in packs", "wolf", 1},
		{"domesticated mammal", "cat", 2}, // dog's document is shorter
		{"stream of water", "river", 1},
		{"STREAM, of water!", "river", 1}, // case and punctuation
		{"a dog", "pup", 1},               // dog is left out of dog's own document
		{"dog", "dog", len(words)},        // the word alone says nothing
		{"a dog that barks", "dog", 1},    // barks finds it, dog is ignored
		{"", "river", len(words)},         // nothing matches: last
		{"the of a", "river", len(words)}, // stop words only
		{"purple elephants", "dog", len(words)},
		{"carnivorous mammal", "blank", len(words)},
	} {
		t.Run(tt.definition+"/"+tt.word, func(t *testing.T) {
			got, err := ix.Rank(tt.definition, tt.word)
			if err != nil || got != tt.want {
				t.Errorf("Rank(%q, %q) = %d, %v; want %d", tt.definition, tt.word, got, err, tt.want)
			}
		})
	}
	if _, err := ix.Rank("x", "elephant"); err == nil || !strings.Contains(err.Error(), `"elephant" is not in the index`) {
		t.Errorf("Rank of an unknown word = %v, want an error", err)
	}
}

// TestRankTies: equal scores count against the word, so two words with
// the same definition both rank second.
func TestRankTies(t *testing.T) {
	ix, err := revdict.New([]string{"a", "b", "c"}, []string{"round fruit", "round fruit", "long fruit"})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"a", "b"} {
		if r, err := ix.Rank("round fruit", w); err != nil || r != 2 {
			t.Errorf("Rank(round fruit, %s) = %d, %v; want 2", w, r, err)
		}
	}
	// Lookup keeps the given order among equals.
	got := ix.Lookup("round fruit", 3)
	if len(got) != 3 || got[0].Word != "a" || got[1].Word != "b" || got[0].Score != got[1].Score || got[2].Word != "c" {
		t.Errorf("Lookup = %v", got)
	}
}

func TestLookup(t *testing.T) {
	ix := index(t)
	for _, tt := range []struct {
		definition string
		n          int
		want       []string
	}{
		{"carnivorous mammal", 10, []string{"dog", "wolf", "cat"}},
		{"carnivorous mammal", 2, []string{"dog", "wolf"}},
		{"carnivorous mammal", 0, []string{}},
		{"carnivorous mammal", -1, []string{}},
		{"a young dog", 1, []string{"pup"}},
		{"", 5, []string{}},
	} {
		got := ix.Lookup(tt.definition, tt.n)
		var names []string
		for i, m := range got {
			names = append(names, m.Word)
			if m.Score <= 0 || m.Score > 1+1e-12 || i > 0 && m.Score > got[i-1].Score {
				t.Errorf("Lookup(%q): scores %v not in (0, 1] and falling", tt.definition, got)
			}
		}
		if !slices.Equal(names, tt.want) && !(len(names) == 0 && len(tt.want) == 0) {
			t.Errorf("Lookup(%q, %d) = %v, want %v", tt.definition, tt.n, names, tt.want)
		}
	}
	if m := ix.Lookup("a young dog", 1); len(m) != 1 || m[0].Score < 1-1e-12 {
		t.Errorf("a definition's own text scores %v, want 1", m)
	}
}

func TestNewErrors(t *testing.T) {
	for _, tt := range []struct {
		name        string
		words, defs []string
		want        string
	}{
		{"lengths", []string{"a"}, nil, "1 words and 0 definitions"},
		{"none", nil, nil, "no words"},
		{"empty word", []string{"a", ""}, []string{"x", "y"}, "word 2 is empty"},
		{"repeated word", []string{"a", "b", "a"}, []string{"x", "y", "z"}, `"a" repeats (entries 1 and 3)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := revdict.New(tt.words, tt.defs); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestRates(t *testing.T) {
	ix := index(t)
	r, err := ix.Rates([]string{"dog", "cat", "river", "wolf"}, []string{"barks", "domesticated mammal", "", "packs"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (revdict.Rates{N: 4, Top1: 2, Top5: 3}); r != want {
		t.Errorf("Rates = %+v, want %+v", r, want)
	}
	if r.Top1Rate() != 0.5 || r.Top5Rate() != 0.75 {
		t.Errorf("rates %g, %g", r.Top1Rate(), r.Top5Rate())
	}
	if (revdict.Rates{}).Top5Rate() != 0 {
		t.Error("an empty tally's rate is not 0")
	}
	if _, err := ix.Rates([]string{"dog"}, nil); err == nil {
		t.Error("Rates accepted unequal lengths")
	}
	if _, err := ix.Rates([]string{"elephant"}, []string{"big"}); err == nil {
		t.Error("Rates accepted an unknown word")
	}
}

func TestTerms(t *testing.T) {
	for _, tt := range []struct {
		text string
		want []string
	}{
		{"A member of the genus Canis", []string{"member", "genus", "canis"}},
		{"not in favor of (an action)", []string{"not", "favor", "action"}},
		{"H2O; 100 degrees", []string{"h2o", "100", "degrees"}},
		{"café-au-lait", []string{"café", "au", "lait"}},
		{"", nil},
	} {
		if got := revdict.Terms(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("Terms(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestScoresDeterministic: documents with equal text score bit-equal
// whatever their position, so ties are real ties.
func TestScoresDeterministic(t *testing.T) {
	text := "a large natural stream of water flowing toward the sea with banks"
	ix, err := revdict.New([]string{"x", "y", "z"}, []string{text, "unrelated words here", text})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		m := ix.Lookup("water stream banks sea natural large", 2)
		if len(m) != 2 || m[0].Score != m[1].Score {
			t.Fatalf("equal documents score %v", m)
		}
	}
}
