package wordnet

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spag-go/spag/internal/wordnet/wordnettest"
)

// testDB opens the installed WordNet once for the whole test binary: it
// takes about a second. Without the database the test is skipped, except
// in CI (CI=true), which installs wordnet-base and must run these tests.
var testDB = sync.OnceValues(func() (*DB, error) { return Open(DefaultDir) })

func openDB(t testing.TB) *DB {
	t.Helper()
	wordnettest.Require(t, DefaultDir)
	db, err := testDB()
	if err != nil {
		t.Fatalf("Open(%s): %v", DefaultDir, err)
	}
	return db
}

func TestOpenMissingFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir)
	if err == nil {
		t.Fatal("Open of an empty directory succeeded")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
	for _, want := range []string{filepath.Join(dir, "data.noun"), "apt-get install wordnet-base"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestOpenBadLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("data.noun", "  licence header line\n00001740 03 n 01 entity 0 000 | a thing\n00001930 03 n 01 broken\n")
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), "data.noun line 3") {
		t.Fatalf("Open = %v, want an error naming data.noun line 3", err)
	}
}

func TestParseSynset(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		pos     POS
		want    func(t *testing.T, s *Synset)
		wantErr string
	}{
		{
			name: "noun with pointers",
			line: "02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 002 @ 02083346 n 0000 %p 02158846 n 0000 | a member of the genus Canis; \"the dog barked\"  ",
			pos:  Noun,
			want: func(t *testing.T, s *Synset) {
				if s.ID != (SynsetID{Noun, 2084071}) || s.LexFile != 5 || s.Type != Noun {
					t.Errorf("header = %v %d %v", s.ID, s.LexFile, s.Type)
				}
				if len(s.Words) != 3 || s.Words[2].Lemma != "Canis_familiaris" {
					t.Errorf("words = %+v", s.Words)
				}
				if len(s.Pointers) != 2 || s.Pointers[0].Kind != Hypernym || s.Pointers[1].Kind != PartMeronym {
					t.Errorf("pointers = %+v", s.Pointers)
				}
				if got := s.Definition(); got != "a member of the genus Canis" {
					t.Errorf("Definition = %q", got)
				}
			},
		},
		{
			name: "satellite with marker and lexical pointer",
			line: "00020103 00 s 02 outback(a) 0 remote 0 002 & 00019874 a 0000 + 05085165 n 0202 | inaccessible and sparsely populated;  ",
			pos:  Adj,
			want: func(t *testing.T, s *Synset) {
				if s.Type != AdjSatellite || s.ID.POS != Adj {
					t.Errorf("type %v, id %v", s.Type, s.ID)
				}
				if s.Words[0] != (Word{Lemma: "outback", Marker: "a"}) {
					t.Errorf("word 1 = %+v", s.Words[0])
				}
				p := s.Pointers[1]
				if p.Kind != DerivationallyRelated || p.Source != 2 || p.TargetWord != 2 || p.Target != (SynsetID{Noun, 5085165}) {
					t.Errorf("pointer 2 = %+v", p)
				}
			},
		},
		{
			name: "verb with frames and hex word count",
			line: "01926311 38 v 0a run 0 a 1 b 2 c 3 d 4 e 5 f 6 g 7 h 8 i 9 000 01 + 02 00 | move fast",
			pos:  Verb,
			want: func(t *testing.T, s *Synset) {
				if len(s.Words) != 10 || s.Words[9].Lemma != "i" || s.Words[9].LexID != 9 {
					t.Errorf("words = %+v", s.Words)
				}
			},
		},
		{name: "no gloss", line: "00001740 03 n 01 entity 0 000", pos: Noun, wantErr: "gloss"},
		{name: "short word list", line: "00001740 03 n 02 entity 0 | x", pos: Noun, wantErr: "word 2"},
		{name: "bad offset", line: "0000x740 03 n 01 entity 0 000 | x", pos: Noun, wantErr: "synset offset"},
		{name: "wrong file", line: "00001740 03 v 01 entity 0 000 | x", pos: Noun, wantErr: "does not belong"},
		{name: "bad pointer", line: "00001740 03 n 01 entity 0 001 @ 00001 q 0000 | x", pos: Noun, wantErr: "pointer 1"},
		{name: "bad source/target", line: "00001740 03 n 01 entity 0 001 @ 00001 n 00z0 | x", pos: Noun, wantErr: "four hex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseSynset(tt.line, tt.pos)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want(t, s)
		})
	}
}

func TestParseIndex(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    *IndexEntry
		wantErr string
	}{
		{
			name: "dog",
			line: "dog n 2 3 @ ~ #m 2 1 02084071 10114209  ",
			want: &IndexEntry{Lemma: "dog", POS: Noun, Pointers: []string{"@", "~", "#m"}, TagSenseCount: 1,
				Synsets: []SynsetID{{Noun, 2084071}, {Noun, 10114209}}},
		},
		{name: "missing offsets", line: "dog n 2 0 2 1 02084071", wantErr: "sense 2"},
		{name: "wrong part of speech", line: "dog v 1 0 1 1 02084071", wantErr: "does not belong"},
		{name: "bad count", line: "dog n x 0 1 1 02084071", wantErr: "synset count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseIndex(tt.line, Noun)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Lemma != tt.want.Lemma || got.TagSenseCount != tt.want.TagSenseCount ||
				strings.Join(got.Pointers, " ") != strings.Join(tt.want.Pointers, " ") ||
				len(got.Synsets) != len(tt.want.Synsets) || got.Synsets[1] != tt.want.Synsets[1] {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRealDatabase(t *testing.T) {
	db := openDB(t)
	if db.Len() != 117659 {
		t.Errorf("Len = %d synsets, WordNet 3.0 has 117659", db.Len())
	}
	dog := db.Senses("dog", Noun)
	if len(dog) != 7 {
		t.Fatalf("dog has %d noun senses, want 7", len(dog))
	}
	s := dog[0].Synset
	if s.ID.String() != "02084071-n" || !strings.Contains(s.Definition(), "genus Canis") {
		t.Errorf("dog sense 1 = %v %q", s.ID, s.Definition())
	}
	var hypers []string
	for _, p := range s.Pointers {
		if p.Kind == Hypernym {
			h, ok := db.Synset(p.Target)
			if !ok {
				t.Fatalf("hypernym %v missing", p.Target)
			}
			hypers = append(hypers, h.Words[0].Lemma)
		}
	}
	if strings.Join(hypers, ",") != "canine,domestic_animal" {
		t.Errorf("dog hypernyms = %v", hypers)
	}
	if got := db.SenseKey(s, dog[0].Word); got != "dog%1:05:00::" {
		t.Errorf("SenseKey = %q", got)
	}
	// cntlist.rev: "dog%1:05:00:: 1 42".
	if dog[0].Count != 42 || dog[1].Count != 0 {
		t.Errorf("dog counts = %d, %d; cntlist.rev says 42, 0", dog[0].Count, dog[1].Count)
	}
	// A satellite's key names its head adjective.
	for _, sn := range db.Senses("abandoned", Adj) {
		if sn.Synset.Type == AdjSatellite && strings.Contains(sn.Synset.Definition(), "inhabitants") {
			if got := db.SenseKey(sn.Synset, sn.Word); got != "abandoned%5:00:00:uninhabited:00" {
				t.Errorf("satellite SenseKey = %q", got)
			}
		}
	}
	if e, ok := db.Lookup("Domestic Dog", Noun); !ok || e.Synsets[0] != s.ID {
		t.Errorf("Lookup(Domestic Dog) = %+v, %v", e, ok)
	}
	// WordCount leaves out capitalised senses: March the month.
	total, capitalised := 0, 0
	for _, p := range []POS{Noun, Verb, Adj} {
		for _, sn := range db.Senses("march", p) {
			total += sn.Count
			if sn.Synset.Words[sn.Word].Lemma == "March" {
				capitalised += sn.Count
			}
		}
	}
	if capitalised == 0 || db.WordCount("march") != total-capitalised {
		t.Errorf("WordCount(march) = %d, want %d - %d", db.WordCount("march"), total, capitalised)
	}
}

// TestSenseKeysMatchCounts checks the sense keys computed from the data
// files against cntlist.rev: each known key's sense number must be the
// position of its synset in the lemma's index entry.
func TestSenseKeysMatchCounts(t *testing.T) {
	db := openDB(t)
	type sense struct {
		lemma string
		pos   POS
		num   int
	}
	keys := make(map[string]sense)
	for _, p := range filePOSes {
		for lemma, e := range db.index[p] {
			for i, id := range e.Synsets {
				s := db.synsets[id]
				if w := s.wordIndex(lemma); w >= 0 {
					keys[db.SenseKey(s, w)] = sense{lemma, p, i + 1}
				}
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(DefaultDir, "cntlist.rev"))
	if err != nil {
		t.Fatal(err)
	}
	lines, matched, agree := 0, 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		lines++
		if s, ok := keys[f[0]]; ok {
			matched++
			if f[1] == itoa(s.num) {
				agree++
			}
		}
	}
	// cntlist.rev keeps some keys of older WordNet versions (about 5%).
	if matched < lines*9/10 || db.unmatched != lines-matched {
		t.Errorf("%d of %d keys matched (Open counted %d unmatched)", matched, lines, db.unmatched)
	}
	// A few sense numbers in cntlist.rev predate WordNet 3.0's ordering.
	if agree < matched*97/100 {
		t.Errorf("sense numbers agree for %d of %d matched keys", agree, matched)
	}
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

func TestFrequentWords(t *testing.T) {
	db := openDB(t)
	words := db.FrequentWords(5000)
	if len(words) != 5000 {
		t.Fatalf("got %d words, want 5000", len(words))
	}
	seen := make(map[string]bool)
	for i, w := range words {
		if !PlainWord(w) {
			t.Errorf("word %d %q is not a plain lower-case word", i, w)
		}
		if seen[w] {
			t.Errorf("word %q twice", w)
		}
		seen[w] = true
		if i > 0 {
			prev, cur := db.WordCount(words[i-1]), db.WordCount(w)
			if prev < cur || prev == cur && words[i-1] > w {
				t.Errorf("words %d,%d out of order: %s(%d) before %s(%d)", i-1, i, words[i-1], prev, w, cur)
			}
		}
	}
	for _, w := range []string{"person", "dog", "water", "beautiful", "run"} {
		if !seen[w] {
			t.Errorf("%q missing from the 5000 most frequent words", w)
		}
	}
	if got := db.FrequentWords(10); strings.Join(got, " ") != strings.Join(words[:10], " ") {
		t.Errorf("FrequentWords(10) = %v, not a prefix of FrequentWords(5000)", got)
	}
}

func FuzzParseSynset(f *testing.F) {
	f.Add("02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 001 @ 02083346 n 0000 | a dog", byte('n'))
	f.Add("00020103 00 s 02 outback(a) 0 remote 0 001 & 00019874 a 0000 | remote", byte('a'))
	f.Add("01926311 38 v 01 run 0 000 01 + 02 00 | move fast", byte('v'))
	f.Fuzz(func(t *testing.T, line string, pos byte) {
		s, err := parseSynset(line, POS(pos))
		if err == nil && (s == nil || s.ID.POS != POS(pos)) {
			t.Fatalf("parseSynset(%q) = %+v without error", line, s)
		}
		_, _ = parseIndex(line, POS(pos))
	})
}
