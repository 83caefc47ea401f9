package wordsbuild

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/internal/wordnet"
)

func TestBuildDefinitions(t *testing.T) {
	db := openDB(t)
	words := []string{"dog", "idea", "thought", "good", "beneficial", "have", "say", "run"}
	entries, err := BuildDefinitions(db, words)
	if err != nil {
		t.Fatal(err)
	}
	byWord := map[string]definitions.Entry{}
	var got []string
	for _, e := range entries {
		byWord[e.Word] = e
		got = append(got, e.Word)
	}
	// thought's most frequent sense is idea's: left out.
	if want := []string{"dog", "idea", "good", "beneficial", "have", "say", "run"}; !slices.Equal(got, want) {
		t.Fatalf("words = %v, want %v", got, want)
	}
	for _, tt := range []struct {
		word, pos, synset, hypernym string
		ancestors                   []string
		split                       string
		gloss                       string
	}{
		{"dog", definitions.Noun, "02084071-n", "canine", []string{"02083346-n", "02075296-n", "01886756-n"}, definitions.Train,
			"a member of the genus Canis (probably descended from the common wolf) that has been domesticated by man since prehistoric times; occurs in many breeds"},
		// A head adjective is its own head; a satellite names its head.
		{"good", definitions.Adjective, "01123148-a", "good", []string{"01123148-a"}, definitions.Train,
			"having desirable or positive qualities especially those suitable for a thing specified"},
		{"beneficial", definitions.Adjective, "00064787-a", "advantageous", []string{"00064479-a"}, definitions.Train,
			"promoting or enhancing well-being"},
		// A verb at the top of its hierarchy has no ancestors.
		{"have", definitions.Verb, "02203380-v", "", nil, definitions.HeldOut,
			"have or possess, either in a concrete or an abstract sense"},
		{"say", definitions.Verb, "01009258-v", "express", []string{"00940402-v"}, definitions.Train, "express in words"},
	} {
		t.Run(tt.word, func(t *testing.T) {
			e := byWord[tt.word]
			if e.POS != tt.pos || e.Synset != tt.synset || e.Hypernym != tt.hypernym || !slices.Equal(e.Ancestors, tt.ancestors) || e.Split != tt.split || e.Gloss != tt.gloss {
				t.Errorf("%+v\nwant %+v", e, tt)
			}
		})
	}
	if _, err := BuildDefinitions(db, []string{"dog", "xqzzy"}); err == nil || !strings.Contains(err.Error(), "word 2") {
		t.Errorf("BuildDefinitions with an unknown word = %v, want an error naming word 2", err)
	}
}

// TestBuildOutputs: Build writes only the files it is given.
func TestBuildOutputs(t *testing.T) {
	openDB(t)
	var defs bytes.Buffer
	if err := Build(wordnet.DefaultDir, 50, Outputs{Definitions: &defs}); err != nil {
		t.Fatal(err)
	}
	entries, err := definitions.Read(&defs, "built")
	if err != nil {
		t.Fatal(err)
	}
	if entries[0].Word != "person" || len(entries) < 40 {
		t.Errorf("%d entries starting with %q", len(entries), entries[0].Word)
	}
}
