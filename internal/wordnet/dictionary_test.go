package wordnet

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spag-go/spag/internal/wordnet/wordnettest"
)

// testDictionary opens the installed WordNet's dictionary once per test
// binary; see openDB for when a missing database skips or fails.
var testDictionary = sync.OnceValues(func() (*Dictionary, error) { return OpenDictionary(DefaultDir) })

func openDictionary(t testing.TB) *Dictionary {
	t.Helper()
	wordnettest.Require(t, DefaultDir)
	d, err := testDictionary()
	if err != nil {
		t.Fatalf("OpenDictionary(%s): %v", DefaultDir, err)
	}
	return d
}

func TestDictionaryHas(t *testing.T) {
	d := openDictionary(t)
	tests := []struct {
		word string
		want bool
	}{
		{"dog", true},
		{"Dog", true},
		{"flooded", true},   // verb rule -ed
		{"cities", true},    // noun rule -ies
		{"running", true},   // verb.exc
		{"bigger", true},    // adj.exc
		{"mice", true},      // noun.exc
		{"quickly", true},   // adverb
		{"ice cream", true}, // phrase, spaces
		{"ice_cream", true},
		{"well-known", true}, // hyphenated lemma
		{"compll", false},
		{"seler", false},
		{"xyzzyq", false},
		{"", false},
		{"   ", false},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			if got := d.Has(tt.word); got != tt.want {
				t.Errorf("Has(%q) = %v, want %v", tt.word, got, tt.want)
			}
		})
	}
}

func TestDictionaryBaseForms(t *testing.T) {
	d := openDictionary(t)
	tests := []struct {
		word string
		pos  POS
		want []string
	}{
		{"flooded", Verb, []string{"flood"}},
		{"cities", Noun, []string{"city"}},
		{"glasses", Noun, []string{"glasses", "glass"}}, // a lemma itself (spectacles), then the -ses rule
		{"boxes", Noun, []string{"box"}},
		{"running", Verb, []string{"run"}},
		{"bigger", Adj, []string{"bigger", "big"}}, // a lemma itself, then adj.exc
		{"biggest", AdjSatellite, []string{"big"}},
		{"mice", Noun, []string{"mouse"}},
		{"went", Verb, []string{"go"}},
		{"boss", Noun, []string{"boss"}},   // a lemma; no rule for -ss
		{"bosses", Noun, []string{"boss"}}, // -es is a verb rule; nouns strip -ses to -s
		{"harder", Adv, []string{"hard"}},  // adv.exc
		{"made", Verb, []string{"make"}},   // verb.exc
		{"makes", Verb, []string{"make"}},  // -s
		{"compll", Noun, nil},
		{"flooded", Noun, nil}, // no noun reading
	}
	for _, tt := range tests {
		t.Run(tt.word+"/"+tt.pos.String(), func(t *testing.T) {
			got := d.BaseForms(tt.word, tt.pos)
			if !slices.Equal(got, tt.want) {
				t.Errorf("BaseForms(%q, %s) = %q, want %q", tt.word, tt.pos, got, tt.want)
			}
		})
	}
}

func TestOpenDictionaryErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenDictionary(dir)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("OpenDictionary of an empty directory = %v, want fs.ErrNotExist", err)
	}
	for _, want := range []string{filepath.Join(dir, "index.noun"), "apt-get install wordnet-base"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("index.noun", "  licence\ndog n 1 0 1 0 02084071  \n")
	write("noun.exc", "mice mouse\nbroken\n")
	_, err = OpenDictionary(dir)
	if err == nil || !strings.Contains(err.Error(), "noun.exc line 2") {
		t.Errorf("OpenDictionary = %v, want an error naming noun.exc line 2", err)
	}
	write("noun.exc", "mice mouse\n")
	write("index.verb", "run\n")
	_, err = OpenDictionary(dir)
	if err == nil || !strings.Contains(err.Error(), "index.verb line 1") {
		t.Errorf("OpenDictionary = %v, want an error naming index.verb line 1", err)
	}
}
