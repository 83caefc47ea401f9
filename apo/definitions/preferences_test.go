package definitions_test

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo/definitions"
)

func TestPreferences(t *testing.T) {
	all := builtin(t)
	byWord := map[string]definitions.Entry{}
	for _, e := range all {
		byWord[e.Word] = e
	}
	for _, tt := range []struct {
		split      string
		hard, easy int
	}{
		{definitions.Train, 1, 1},
		{definitions.HeldOut, 2, 3},
		{definitions.HeldOut, 0, 1},
	} {
		t.Run(fmt.Sprintf("%s/hard=%d/easy=%d", tt.split, tt.hard, tt.easy), func(t *testing.T) {
			entries := definitions.OfSplit(all, tt.split)
			opt := definitions.PreferenceOptions{Hard: tt.hard, Easy: tt.easy, Seed: 7}
			prefs, err := definitions.Preferences(entries, opt)
			if err != nil {
				t.Fatal(err)
			}
			again, err := definitions.Preferences(entries, opt)
			if err != nil || !reflect.DeepEqual(prefs, again) {
				t.Fatalf("two calls with the same seed differ (%v)", err)
			}
			opt.Seed = 8
			other, err := definitions.Preferences(entries, opt)
			if err != nil || reflect.DeepEqual(prefs, other) {
				t.Errorf("seeds 7 and 8 give the same items (%v)", err)
			}
			hardOf, easyOf := map[string]int{}, map[string]int{}
			for _, p := range prefs {
				e, neg := byWord[p.Word], byWord[p.Negative]
				switch {
				case p.Query != definitions.Query(p.Word) || !slices.Equal(p.Responses, []string{e.Gloss, neg.Gloss}) || !slices.Equal(p.Prefs, []float64{1, 0}) || p.Adversarial:
					t.Fatalf("item %+v is not the gold gloss over the negative's", p)
				case neg.Split != tt.split || p.Negative == p.Word:
					t.Fatalf("%s: negative %s is itself or from split %s", p.Word, p.Negative, neg.Split)
				}
				shared := sharesAncestor(e, neg)
				if p.Hard {
					hardOf[p.Word]++
					if !shared {
						t.Errorf("%s: hard negative %s shares no ancestor", p.Word, p.Negative)
					}
				} else {
					easyOf[p.Word]++
					if shared || slices.Contains(e.Ancestors, neg.Synset) || slices.Contains(neg.Ancestors, e.Synset) {
						t.Errorf("%s: easy negative %s is a relative", p.Word, p.Negative)
					}
				}
			}
			withHard := 0
			for _, e := range entries {
				if hardOf[e.Word] > tt.hard || easyOf[e.Word] != tt.easy {
					t.Fatalf("%s: %d hard and %d easy items, want at most %d and %d", e.Word, hardOf[e.Word], easyOf[e.Word], tt.hard, tt.easy)
				}
				if hardOf[e.Word] > 0 {
					withHard++
				}
			}
			if tt.hard > 0 && withHard < len(entries)/2 {
				t.Errorf("only %d of %d words have a hard negative", withHard, len(entries))
			}
			t.Logf("%s, hard %d, easy %d: %d items, %d of %d words with a hard negative", tt.split, tt.hard, tt.easy, len(prefs), withHard, len(entries))
		})
	}
	if _, err := definitions.Preferences(all, definitions.PreferenceOptions{Hard: -1}); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("Preferences with Hard -1 = %v, want an error", err)
	}
}

func sharesAncestor(a, b definitions.Entry) bool {
	for _, x := range a.Ancestors {
		if slices.Contains(b.Ancestors, x) {
			return true
		}
	}
	return false
}

// TestPreferencesSmall checks the choice of negatives on a hand-made set:
// the nearest shared ancestor wins, and easy negatives avoid every
// relative.
func TestPreferencesSmall(t *testing.T) {
	entry := func(word, synset string, ancestors ...string) definitions.Entry {
		e := definitions.Entry{Word: word, POS: definitions.Noun, Gloss: "gloss of " + word, Synset: synset, Ancestors: ancestors, Split: definitions.Train}
		if len(ancestors) > 0 {
			e.Hypernym = "h"
		}
		return e
	}
	const (
		canine    = "00000001-n"
		carnivore = "00000002-n"
		animal    = "00000003-n"
	)
	entries := []definitions.Entry{
		entry("dog", "00000010-n", canine, carnivore, animal),
		entry("wolf", "00000011-n", canine, carnivore, animal),
		entry("cat", "00000012-n", "00000004-n", carnivore, animal),
		entry("puppy", "00000013-n", "00000010-n", canine, carnivore),
		entry("stone", "00000014-n"),
		entry("idea", "00000015-n"),
		entry("carnivore", carnivore, animal),
	}
	prefs, err := definitions.Preferences(entries, definitions.PreferenceOptions{Hard: 5, Easy: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, p := range prefs {
		kind := "easy"
		if p.Hard {
			kind = "hard"
		}
		got[p.Word+" "+kind] = append(got[p.Word+" "+kind], p.Negative)
	}
	for k := range got {
		slices.Sort(got[k])
	}
	want := map[string][]string{
		// Under canine, dog's nearest ancestor: wolf and puppy; puppy is
		// also dog's child, so no easy negative; carnivore is its
		// ancestor.
		"dog hard": {"puppy", "wolf"}, "dog easy": {"idea", "stone"},
		"wolf hard": {"dog", "puppy"}, "wolf easy": {"idea", "stone"},
		// Nobody else is under cat's own parent: the next level up.
		"cat hard": {"dog", "puppy", "wolf"}, "cat easy": {"idea", "stone"},
		"puppy hard": {"dog", "wolf"}, "puppy easy": {"idea", "stone"},
		// Under animal, carnivore's only ancestor; puppy is further down.
		"carnivore hard": {"cat", "dog", "wolf"}, "carnivore easy": {"idea", "stone"},
	}
	// stone and idea have no ancestors, so no hard negative, and draw 5 of
	// their 6 easy candidates at random: check those separately.
	for _, w := range []string{"stone", "idea"} {
		if n := len(got[w+" easy"]); n != 5 || slices.Contains(got[w+" easy"], w) {
			t.Errorf("%s easy = %v, want 5 other words", w, got[w+" easy"])
		}
		delete(got, w+" easy")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("negatives = %v\nwant %v", got, want)
	}
}

// TestDocumentedPreferenceCounts checks the counts docs/commands.md gives
// for `spag apo preferences --hard 1 --easy 1` against what the generator
// writes, so the page cannot go stale again (it said 1,256 held-out items
// after the generator stopped counting a word's negatives twice).
func TestDocumentedPreferenceCounts(t *testing.T) {
	page, err := os.ReadFile("../../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(page)), " ")
	all := builtin(t)
	for _, tt := range []struct{ split, format string }{
		{definitions.Train, "%s training items (%s of the %s words have a hard negative)"},
		{definitions.HeldOut, "%s held-out items (%s of the %s words have a hard negative)"},
	} {
		entries := definitions.OfSplit(all, tt.split)
		prefs, err := definitions.Preferences(entries, definitions.PreferenceOptions{Hard: 1, Easy: 1, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		hard := map[string]bool{}
		for _, p := range prefs {
			if p.Hard {
				hard[p.Word] = true
			}
		}
		want := fmt.Sprintf(tt.format, thousands(len(prefs)), thousands(len(hard)), thousands(len(entries)))
		if !strings.Contains(text, want) {
			t.Errorf("docs/commands.md does not say %q", want)
		}
	}
}

// thousands writes n with a comma between thousands, as the docs do.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
