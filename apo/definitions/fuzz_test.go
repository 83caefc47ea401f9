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
