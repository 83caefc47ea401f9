package scripted

import (
	"bytes"
	"compress/gzip"
	"reflect"
	"strings"
	"testing"
)

func TestLoadLexicon(t *testing.T) {
	lx := loadLexicon(t)
	if lx.Len() < 1000 {
		t.Fatalf("embedded lexicon has %d words, want thousands", lx.Len())
	}
	if w := lx.Words(); len(w) != lx.Len() {
		t.Errorf("Words has %d words, Len says %d", len(w), lx.Len())
	}
	e, ok := lx.Lookup("dog")
	if !ok || e.POS != Noun || len(e.Glosses) == 0 || len(e.Hypernyms) == 0 {
		t.Errorf("Lookup(dog) = %+v, %v", e, ok)
	}
	if _, ok := lx.Lookup("xqzzy"); ok {
		t.Error("Lookup(xqzzy) found a word")
	}
	// Nearly every word has clues; the few whose every WordNet fact names
	// the word itself ("republican") get spelling hints (TestNoClueWords).
	var bare []string
	for i := range lx.entries {
		if len(lx.clues[i]) == 0 {
			bare = append(bare, lx.entries[i].Word)
		}
	}
	if len(bare) > lx.Len()/500 {
		t.Errorf("%d words have no clues: %v", len(bare), bare)
	}
}

var sampleEntries = []Entry{
	{Word: "dog", POS: Noun, Glosses: []string{"a domesticated canine"}, Hypernyms: []string{"canine", "domestic animal"},
		Synonyms: []string{"Canis familiaris"}, Hyponyms: []string{"puppy"}, Wholes: []string{"pack"}},
	{Word: "run", POS: Verb, Glosses: []string{"move fast on foot"}, Related: []string{"runner"}},
	{Word: "ugly", POS: Adj, Antonyms: []string{"beautiful"}, Parts: []string{"x"}},
}

func writeSample(t *testing.T, comments []string, entries []Entry) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteLexicon(&b, comments, entries); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLexiconRoundTrip(t *testing.T) {
	data := writeSample(t, []string{"a comment", ""}, sampleEntries)
	if again := writeSample(t, []string{"a comment", ""}, sampleEntries); !bytes.Equal(data, again) {
		t.Error("WriteLexicon is not deterministic")
	}
	got, err := ReadEntries(bytes.NewReader(data), "sample")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sampleEntries) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, sampleEntries)
	}
	lx, err := ReadLexicon(bytes.NewReader(data), "sample")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(lx.Words(), ",") != "dog,run,ugly" {
		t.Errorf("Words = %v", lx.Words())
	}
}

func gz(t *testing.T, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(text))
	zw.Close()
	return b.Bytes()
}

func TestReadLexiconErrors(t *testing.T) {
	const header = formatHeader + "\n"
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not gzip", []byte("dog\tn"), "gzip"},
		{"empty", gz(t, ""), "empty file"},
		{"no entries", gz(t, header+"# only comments\n"), "no entries"},
		{"old format", gz(t, "#spag-lexicon 0\n"), "line 1"},
		{"columns", gz(t, header+"dog\tn\tx\n"), "line 2: 3 tab-separated columns"},
		{"part of speech", gz(t, header+"dog\tq\t\t\t\t\t\t\t\t\n"), "line 2: \"dog\": part of speech"},
		{"upper case word", gz(t, header+"Dog\tn\t\t\t\t\t\t\t\t\n"), "line 2: word \"Dog\""},
		{"empty item", gz(t, header+"dog\tn\ta||b\t\t\t\t\t\t\t\n"), "line 2"},
		{"duplicate", gz(t, header+"dog\tn\t\t\t\t\t\t\t\t\ndog\tn\t\t\t\t\t\t\t\t\n"), "line 3: word \"dog\" already on line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadLexicon(bytes.NewReader(tt.data), "test.gz")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "test.gz") {
				t.Errorf("error = %v, want one naming test.gz and %q", err, tt.want)
			}
		})
	}
}

func TestWriteLexiconErrors(t *testing.T) {
	tests := []struct {
		name     string
		comments []string
		entry    Entry
		want     string
	}{
		{"comment with newline", []string{"a\nb"}, sampleEntries[0], "comment 1"},
		{"bad word", nil, Entry{Word: "ice cream", POS: Noun}, "entry 1"},
		{"bad POS", nil, Entry{Word: "ice", POS: 'r'}, "part of speech"},
		{"separator in item", nil, Entry{Word: "ice", POS: Noun, Glosses: []string{"a|b"}}, "'|'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := WriteLexicon(&b, tt.comments, []Entry{tt.entry})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestNewLexiconDuplicate(t *testing.T) {
	_, err := NewLexicon([]Entry{sampleEntries[0], sampleEntries[0]})
	if err == nil || !strings.Contains(err.Error(), "entry 2") {
		t.Errorf("error = %v, want one naming entry 2", err)
	}
}

func TestArticle(t *testing.T) {
	for w, want := range map[string]string{"apple": "an ", "dog": "a ", "hour": "an ", "unit": "a ", "umbrella": "an ", "house": "a "} {
		if got := article(w); got != want {
			t.Errorf("article(%q) = %q, want %q", w, got, want)
		}
	}
}

func TestTokens(t *testing.T) {
	var got []string
	forEachToken("It's a DOG-like, x"+strings.Repeat("y", 40)+" café!", func(tok []byte) { got = append(got, string(tok)) })
	if want := "it,s,a,dog,like,caf"; strings.Join(got, ",") != want {
		t.Errorf("tokens = %v, want %s", got, want)
	}
	tests := []struct {
		s, w string
		want bool
	}{
		{"I love my Dog.", "dog", true},
		{"Dogs are great", "dog", false},
		{"hot-dog", "dog", true},
		{"", "dog", false},
	}
	for _, tt := range tests {
		if got := containsWord(tt.s, tt.w); got != tt.want {
			t.Errorf("containsWord(%q, %q) = %v", tt.s, tt.w, got)
		}
	}
}

func FuzzReadEntries(f *testing.F) {
	f.Add([]byte(formatHeader + "\ndog\tn\ta dog\tcanine\t\t\t\t\t\t\n"))
	f.Add([]byte("#spag-lexicon 1\n# c\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(text)
		zw.Close()
		entries, err := ReadEntries(&b, "fuzz")
		if err != nil {
			return
		}
		// Whatever parses must write and parse back to the same entries.
		var out bytes.Buffer
		if err := WriteLexicon(&out, nil, entries); err != nil {
			t.Fatalf("parsed entries do not write: %v", err)
		}
		again, err := ReadEntries(&out, "again")
		if err != nil || !reflect.DeepEqual(again, entries) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
