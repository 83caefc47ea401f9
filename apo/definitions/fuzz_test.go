package definitions

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParse: the parser never panics, and what it accepts writes back to
// text it reads again to the same entries.
func FuzzParse(f *testing.F) {
	f.Add(formatHeader + "\n# c\n" + `{"word":"dog","pos":"noun","gloss":"a canine","synset":"02084071-n","ancestors":["02083346-n"],"hypernym":"canine","split":"train"}` + "\n")
	f.Add(formatHeader + "\n" + `{"word":"have","pos":"verb","gloss":"possess","synset":"02203380-v","ancestors":[],"hypernym":"","split":"heldout"}`)
	f.Add(formatHeader + "\n{\"word\":\"x\"}\n")
	f.Add("#spag-definitions 2\n")
	f.Fuzz(func(t *testing.T, text string) {
		entries, err := parse(strings.NewReader(text), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "read definitions fuzz") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		var b bytes.Buffer
		if err := Write(&b, nil, entries); err != nil {
			t.Fatalf("Write of parsed entries: %v", err)
		}
		again, err := Read(&b, "rewritten")
		if err != nil || len(again) != len(entries) {
			t.Fatalf("read back %d entries, %v; want %d", len(again), err, len(entries))
		}
		for i := range again {
			a, e := again[i], entries[i]
			if a.Word != e.Word || a.Gloss != e.Gloss || a.Synset != e.Synset || a.Split != e.Split || a.Hypernym != e.Hypernym || strings.Join(a.Ancestors, ",") != strings.Join(e.Ancestors, ",") {
				t.Fatalf("entry %d: %+v became %+v", i, e, a)
			}
		}
	})
}

// FuzzWordOf: WordOf never panics, reads back the word of every Query it
// accepts, and accepts only text that is a Query.
func FuzzWordOf(f *testing.F) {
	f.Add(Query("dog"))
	f.Add(`What does the word "" mean?`)
	f.Add(`What does the word "a" mean?" mean?`)
	f.Add("What is a dog?")
	f.Fuzz(func(t *testing.T, text string) {
		word, ok := WordOf(text)
		if ok && Query(word) != text {
			t.Fatalf("WordOf(%q) = %q, whose query is %q", text, word, Query(word))
		}
		if !ok && word != "" {
			t.Fatalf("WordOf(%q) refused it but returned %q", text, word)
		}
	})
}

func TestWordOf(t *testing.T) {
	for _, tt := range []struct {
		query, word string
		ok          bool
	}{
		{Query("dog"), "dog", true},
		{Query("ice cream"), "ice cream", true},
		{`What does the word "" mean?`, "", false},
		{`What does the word "a" mean?" mean?`, "", false},
		{"What is a dog?", "", false},
		{`What does the word "dog" mean`, "", false},
	} {
		if word, ok := WordOf(tt.query); word != tt.word || ok != tt.ok {
			t.Errorf("WordOf(%q) = %q, %v; want %q, %v", tt.query, word, ok, tt.word, tt.ok)
		}
	}
}
