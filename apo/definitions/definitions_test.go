package definitions_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/taboo"
)

func builtin(t *testing.T) []definitions.Entry {
	t.Helper()
	all, err := definitions.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// TestBuiltin checks the shipped data against the choices its header
// documents: WordNet's most frequent words in order, the Taboo list's words
// first and in its order (the list is the first 500 of the same ranking),
// Taboo's split, one word per sense and per gloss, clean glosses.
func TestBuiltin(t *testing.T) {
	all := builtin(t)
	if len(all) < 4000 {
		t.Fatalf("%d entries, want several thousand", len(all))
	}
	words, err := taboo.BuiltinWords()
	if err != nil {
		t.Fatal(err)
	}
	rank := map[string]int{}
	for i, w := range words {
		rank[w] = i
	}
	synsets, glosses := map[string]string{}, map[string]string{}
	prev, pastList := -1, false
	for _, e := range all {
		if r, ok := rank[e.Word]; ok {
			if pastList || r <= prev {
				t.Fatalf("%q of the Taboo list is out of the list's order", e.Word)
			}
			prev = r
		} else {
			pastList = true
		}
		_, held := taboo.SplitWords([]string{e.Word})
		if want := map[bool]string{true: definitions.HeldOut, false: definitions.Train}[len(held) == 1]; e.Split != want {
			t.Errorf("%s: split %s, taboo.SplitWords says %s", e.Word, e.Split, want)
		}
		if w, dup := synsets[e.Synset]; dup {
			t.Errorf("%s and %s share the sense %s", w, e.Word, e.Synset)
		}
		if w, dup := glosses[e.Gloss]; dup {
			t.Errorf("%s and %s share the gloss %q", w, e.Word, e.Gloss)
		}
		synsets[e.Synset], glosses[e.Gloss] = e.Word, e.Word
		if strings.ContainsAny(e.Gloss, "\"") || strings.HasSuffix(e.Gloss, ";") {
			t.Errorf("%s: gloss %q keeps an example or a trailing ';'", e.Word, e.Gloss)
		}
	}
	held2 := definitions.OfSplit(all, definitions.HeldOut)
	if share := float64(len(held2)) / float64(len(all)); share < 0.08 || share > 0.12 {
		t.Errorf("held-out share %.3f, want about %d%%", share, taboo.HeldOutShare)
	}
	dog := all[slices.IndexFunc(all, func(e definitions.Entry) bool { return e.Word == "dog" })]
	want := definitions.Entry{Word: "dog", POS: definitions.Noun,
		Gloss:     "a member of the genus Canis (probably descended from the common wolf) that has been domesticated by man since prehistoric times; occurs in many breeds",
		Synset:    "02084071-n",
		Ancestors: []string{"02083346-n", "02075296-n", "01886756-n"}, Hypernym: "canine", Split: definitions.Train}
	if !equalEntry(dog, want) {
		t.Errorf("dog = %+v\nwant %+v", dog, want)
	}
}

func equalEntry(a, b definitions.Entry) bool {
	return a.Word == b.Word && a.POS == b.POS && a.Gloss == b.Gloss && a.Synset == b.Synset &&
		slices.Equal(a.Ancestors, b.Ancestors) && a.Hypernym == b.Hypernym && a.Split == b.Split
}

func TestEntries(t *testing.T) {
	all := builtin(t)
	for _, tt := range []struct {
		source string
		split  string // "" for all
		err    string
	}{
		{source: definitions.Source},
		{source: definitions.SourceTrain, split: definitions.Train},
		{source: definitions.SourceHeldOut, split: definitions.HeldOut},
		{source: "definitions:test", err: "unknown source"},
		{source: "builtin", err: "unknown source"},
	} {
		t.Run(tt.source, func(t *testing.T) {
			got, err := definitions.Entries(tt.source)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || definitions.IsSource(tt.source) {
					t.Fatalf("Entries(%q) = %v, IsSource %v; want an error %q", tt.source, err, definitions.IsSource(tt.source), tt.err)
				}
				return
			}
			if err != nil || !definitions.IsSource(tt.source) {
				t.Fatalf("Entries(%q): %v, IsSource %v", tt.source, err, definitions.IsSource(tt.source))
			}
			want := all
			if tt.split != "" {
				want = definitions.OfSplit(all, tt.split)
			}
			if !slices.EqualFunc(got, want, equalEntry) || len(got) == 0 {
				t.Errorf("Entries(%q) = %d entries, want %d", tt.source, len(got), len(want))
			}
		})
	}
}

func TestWriteRead(t *testing.T) {
	entries := []definitions.Entry{
		{Word: "dog", POS: definitions.Noun, Gloss: "a domestic canine", Synset: "02084071-n", Ancestors: []string{"02083346-n"}, Hypernym: "canine", Split: definitions.Train},
		{Word: "have", POS: definitions.Verb, Gloss: "possess", Synset: "02203380-v", Split: definitions.HeldOut},
	}
	var a, b bytes.Buffer
	if err := definitions.Write(&a, []string{"test data", ""}, entries); err != nil {
		t.Fatal(err)
	}
	if err := definitions.Write(&b, []string{"test data", ""}, entries); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two writes of the same entries differ")
	}
	got, err := definitions.Read(bytes.NewReader(a.Bytes()), "t")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, entries, equalEntry) {
		t.Errorf("read back %+v, want %+v", got, entries)
	}
	if text := gunzipString(t, a.Bytes()); !strings.Contains(text, `"ancestors":[]`) || !strings.HasPrefix(text, "#spag-definitions 1\n# test data\n#\n") {
		t.Errorf("file text:\n%s", text)
	}

	bad := func(mod func(*definitions.Entry)) []definitions.Entry {
		e := entries[0]
		mod(&e)
		return []definitions.Entry{e}
	}
	for _, tt := range []struct {
		name    string
		entries []definitions.Entry
		want    string
	}{
		{"upper-case word", bad(func(e *definitions.Entry) { e.Word = "Dog" }), "lower-case"},
		{"part of speech", bad(func(e *definitions.Entry) { e.POS = "adverb" }), "part of speech"},
		{"empty gloss", bad(func(e *definitions.Entry) { e.Gloss = " " }), "gloss"},
		{"gloss with a line break", bad(func(e *definitions.Entry) { e.Gloss = "a\nb" }), "gloss"},
		{"synset", bad(func(e *definitions.Entry) { e.Synset = "dog.n.01" }), "synset"},
		{"ancestor", bad(func(e *definitions.Entry) { e.Ancestors = []string{"x"} }), "ancestor"},
		{"too many ancestors", bad(func(e *definitions.Entry) {
			e.Ancestors = []string{"00000001-n", "00000002-n", "00000003-n", "00000004-n"}
		}), "at most"},
		{"hypernym without ancestors", bad(func(e *definitions.Entry) { e.Ancestors = nil }), "hypernym"},
		{"split", bad(func(e *definitions.Entry) { e.Split = "test" }), "split"},
		{"repeated word", []definitions.Entry{entries[0], entries[0]}, "repeats"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := definitions.Write(&bytes.Buffer{}, nil, tt.entries)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Write = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
	if err := definitions.Write(&bytes.Buffer{}, []string{"a\nb"}, entries); err == nil {
		t.Error("Write accepted a comment with a line break")
	}
}

func TestReadErrors(t *testing.T) {
	const dog = `{"word":"dog","pos":"noun","gloss":"a canine","synset":"02084071-n","ancestors":[],"hypernym":"","split":"train"}`
	for _, tt := range []struct {
		name, text, want string
	}{
		{"no header", dog + "\n", "line 1: header"},
		{"other version", "#spag-definitions 2\n" + dog + "\n", "line 1: header"},
		{"no entries", "#spag-definitions 1\n# only a comment\n", "no entries"},
		{"bad JSON", "#spag-definitions 1\n{\"word\":\n", "line 2"},
		{"unknown field", "#spag-definitions 1\n" + strings.Replace(dog, `"split"`, `"extra":1,"split"`, 1) + "\n", `line 2: json: unknown field "extra"`},
		{"two values", "#spag-definitions 1\n" + dog + " {}\n", "line 2: more than one"},
		{"bad entry", "#spag-definitions 1\n# c\n" + strings.Replace(dog, "train", "dev", 1) + "\n", `line 3: "dog": split "dev"`},
		{"repeated word", "#spag-definitions 1\n" + dog + "\n\n" + dog + "\n", "line 4: word \"dog\" already on line 2"},
		{"long line", "#spag-definitions 1\n" + strings.Repeat("x", 1<<17) + "\n", "line 2: longer than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := definitions.Read(bytes.NewReader(gzipString(t, tt.text)), "f")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "read definitions f") {
				t.Errorf("Read = %v, want an error naming f and %q", err, tt.want)
			}
		})
	}
	if _, err := definitions.Read(strings.NewReader(dog), "plain"); err == nil || !strings.Contains(err.Error(), "not a gzip file") {
		t.Errorf("Read of plain text = %v, want a gzip error", err)
	}
}

func gzipString(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gunzipString(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestQuery(t *testing.T) {
	if got, want := definitions.Query("dog"), `What does the word "dog" mean?`; got != want {
		t.Errorf("Query = %q, want %q", got, want)
	}
}
