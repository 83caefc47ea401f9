package wordsbuild

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/spag-go/spag/internal/wordnet"
	"github.com/spag-go/spag/internal/wordnet/wordnettest"
)

// testDB opens the installed WordNet once for the whole test binary: it
// takes about a second. Without the database the test is skipped, except
// in CI (CI=true), which installs wordnet-base and must run these tests.
var testDB = sync.OnceValues(func() (*wordnet.DB, error) { return wordnet.Open(wordnet.DefaultDir) })

func openDB(t testing.TB) *wordnet.DB {
	t.Helper()
	wordnettest.Require(t, wordnet.DefaultDir)
	db, err := testDB()
	if err != nil {
		t.Fatalf("Open(%s): %v", wordnet.DefaultDir, err)
	}
	return db
}

func TestWriteWordList(t *testing.T) {
	var b bytes.Buffer
	if err := WriteWordList(&b, []string{"dog", "apple"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	var body []string
	for _, l := range lines {
		if strings.HasPrefix(l, "#") {
			if len(body) > 0 {
				t.Errorf("comment %q after the words", l)
			}
			continue
		}
		body = append(body, l)
	}
	if strings.Join(body, ",") != "dog,apple" {
		t.Errorf("words = %v", body)
	}
	for _, want := range []string{"spag words build --wordnet /usr/share/wordnet --size 2", "WordNet 3.0 Copyright 2006 by Princeton University", "Title to copyright in this software"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("header lacks %q", want)
		}
	}
	for _, bad := range []string{"Dog", "ice cream", "up", "x-ray", ""} {
		if err := WriteWordList(&bytes.Buffer{}, []string{"dog", bad}); err == nil || !strings.Contains(err.Error(), "word 2") {
			t.Errorf("WriteWordList(%q) = %v, want an error naming word 2", bad, err)
		}
	}
}

func TestShortGloss(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a domesticated animal", "a domesticated animal"},
		{"(of weather) highly enjoyable", "highly enjoyable"},
		{"a member of the genus Canis (probably descended from the common wolf) that has been domesticated by man since prehistoric times; occurs in many breeds",
			"a member of the genus Canis that has been domesticated by man since prehistoric times"},
		{"move fast by using one's feet, with one foot off the ground at any given time", "move fast by using one's feet, with one foot off the ground at any given time"},
		{strings.Repeat("word ", 40) + "end", strings.TrimSpace(strings.Repeat("word ", 24))},
		{"a|b\tc", "a b c"},
	}
	for _, tt := range tests {
		t.Run(tt.in[:min(len(tt.in), 20)], func(t *testing.T) {
			got := shortGloss(tt.in)
			if got != tt.want {
				t.Errorf("shortGloss(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if len(got) > maxGlossLen {
				t.Errorf("%d bytes, more than %d", len(got), maxGlossLen)
			}
		})
	}
}
