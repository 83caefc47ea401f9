package wordsbuild

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/internal/wordnet"
	"github.com/spag-go/spag/players/scripted"
)

func TestBuildLexicon(t *testing.T) {
	db := openDB(t)
	words := []string{"dog", "run", "beautiful", "water"}
	entries, err := BuildLexicon(db, words)
	if err != nil {
		t.Fatal(err)
	}
	byWord := make(map[string]scripted.Entry)
	for _, e := range entries {
		byWord[e.Word] = e
		// No list may hold the word itself: the attacker could never say it.
		for _, list := range [][]string{e.Glosses, e.Hypernyms, e.Synonyms, e.Antonyms, e.Related, e.Hyponyms, e.Parts, e.Wholes} {
			for _, item := range list {
				for _, f := range strings.FieldsFunc(strings.ToLower(item), func(r rune) bool { return r < 'a' || r > 'z' }) {
					if f == e.Word {
						t.Errorf("%s: item %q contains the word", e.Word, item)
					}
				}
				if len(item) > maxGlossLen {
					t.Errorf("%s: item %q longer than %d bytes", e.Word, item, maxGlossLen)
				}
			}
		}
	}
	tests := []struct {
		word string
		pos  scripted.POS
		list func(scripted.Entry) []string
		item string
	}{
		{"dog", scripted.Noun, func(e scripted.Entry) []string { return e.Hypernyms }, "canine"},
		{"dog", scripted.Noun, func(e scripted.Entry) []string { return e.Hyponyms }, "puppy"},
		{"dog", scripted.Noun, func(e scripted.Entry) []string { return e.Glosses },
			"a member of the genus Canis that has been domesticated by man since prehistoric times"},
		{"run", scripted.Verb, func(e scripted.Entry) []string { return e.Related }, "runner"},
		{"beautiful", scripted.Adj, func(e scripted.Entry) []string { return e.Antonyms }, "ugly"},
		{"water", scripted.Noun, func(e scripted.Entry) []string { return e.Synonyms }, "H2O"},
	}
	for _, tt := range tests {
		t.Run(tt.word+"/"+tt.item, func(t *testing.T) {
			e := byWord[tt.word]
			if e.POS != tt.pos {
				t.Errorf("POS = %c, want %c", e.POS, tt.pos)
			}
			if !slices.Contains(tt.list(e), tt.item) {
				t.Errorf("%+v lacks %q", e, tt.item)
			}
		})
	}
	if _, err := BuildLexicon(db, []string{"dog", "xqzzy"}); err == nil || !strings.Contains(err.Error(), "word 2") {
		t.Errorf("BuildLexicon with an unknown word = %v, want an error naming word 2", err)
	}
}

// build runs the generation steps of Build on the shared database.
func build(t *testing.T, db *wordnet.DB, n, listSize int) (words, lexicon, defs []byte) {
	t.Helper()
	var wb, lb, dbuf bytes.Buffer
	if err := buildOn(db, n, Outputs{Words: &wb, Lexicon: &lb, Definitions: &dbuf, ListSize: listSize}); err != nil {
		t.Fatal(err)
	}
	return wb.Bytes(), lb.Bytes(), dbuf.Bytes()
}

func TestBuildDeterministic(t *testing.T) {
	db := openDB(t)
	w1, l1, d1 := build(t, db, 800, 0)
	w2, l2, d2 := build(t, db, 800, 0)
	if !bytes.Equal(w1, w2) || !bytes.Equal(l1, l2) || !bytes.Equal(d1, d2) {
		t.Fatal("two builds from the same database differ")
	}
	lx, err := scripted.ReadLexicon(bytes.NewReader(l1), "built")
	if err != nil {
		t.Fatal(err)
	}
	if lx.Len() != 800 {
		t.Errorf("lexicon has %d words, want 800", lx.Len())
	}
	defs, err := definitions.Read(bytes.NewReader(d1), "built")
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) < 700 || len(defs) > 800 {
		t.Errorf("definitions have %d words, want most of 800", len(defs))
	}
}

// TestCommittedData checks that taboo/words.txt,
// players/scripted/lexicon.gz and apo/definitions/definitions.jsonl.gz
// are what Build makes now. If it fails after a change to this package,
// regenerate them:
//
//	spag words build --wordnet /usr/share/wordnet --size 5000 --list-size 500 \
//	    --out taboo/words.txt --lexicon players/scripted/lexicon.gz \
//	    --definitions apo/definitions/definitions.jsonl.gz
func TestCommittedData(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the full lexicon")
	}
	db := openDB(t)
	root := filepath.Join("..", "..")
	committedWords, err := os.ReadFile(filepath.Join(root, "taboo", "words.txt"))
	if err != nil {
		t.Fatal(err)
	}
	words, lexicon, defs := build(t, db, committedSize, committedListSize)
	if !bytes.Equal(words, committedWords) {
		t.Errorf("taboo/words.txt is stale: %s", regenerate())
	}
	for _, f := range []struct {
		path  []string
		built []byte
	}{
		{[]string{"players", "scripted", "lexicon.gz"}, lexicon},
		{[]string{"apo", "definitions", "definitions.jsonl.gz"}, defs},
	} {
		path := filepath.Join(f.path...)
		committed, err := os.ReadFile(filepath.Join(append([]string{root}, f.path...)...))
		if err != nil {
			t.Fatal(err)
		}
		// Compare the text, not the gzip bytes, which may change with Go's
		// compressor.
		if !bytes.Equal(gunzip(t, f.built), gunzip(t, committed)) {
			t.Errorf("%s is stale: %s", path, regenerate())
		}
		if len(committed) > 3<<20 {
			t.Errorf("%s is %d bytes, over the 3 MiB budget", path, len(committed))
		}
	}
}

// The sizes the committed files were built with: the lexicon and the
// definitions hold the 5,000 most frequent words, the Taboo word list the
// first 500 (what the shipped model learns).
const committedSize, committedListSize = 5000, 500

func regenerate() string {
	return fmt.Sprintf("regenerate it with spag words build --wordnet %s %s --out taboo/words.txt --lexicon players/scripted/lexicon.gz --definitions apo/definitions/definitions.jsonl.gz",
		wordnet.DefaultDir, buildFlags{committedSize, committedListSize}.sizes())
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		dir  string
		n    int
		want string
	}{
		{"size zero", wordnet.DefaultDir, 0, "size 0"},
		{"missing database", t.TempDir(), 10, "apt-get install wordnet-base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Build(tt.dir, tt.n, Outputs{Words: io.Discard, Lexicon: io.Discard, Definitions: io.Discard})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}
