package tokenizer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// handVocab builds a vocabulary from learned pieces given in id order.
func handVocab(t testing.TB, prefix bool, learned ...Piece) *Vocab {
	t.Helper()
	for i := range learned {
		learned[i].Type = Normal
	}
	v, err := New(append(reservedPieces(), learned...), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func texts(t testing.TB, v *Vocab, ids []int) []string {
	t.Helper()
	out := make([]string, len(ids))
	for i, id := range ids {
		p, ok := v.Piece(id)
		if !ok {
			t.Fatalf("id %d out of range", id)
		}
		out[i] = p.Text
	}
	return out
}

func TestEncodeMergeOrder(t *testing.T) {
	// "▁", "a", "b", "c" single characters; merges scored so that "bc" beats
	// "ab" although "ab" is to the left, and "▁a" beats both.
	chars := []Piece{{Text: "▁", Score: -10}, {Text: "a", Score: -11}, {Text: "b", Score: -12}, {Text: "c", Score: -13}}
	tests := []struct {
		name    string
		learned []Piece
		prefix  bool
		in      string
		want    []string
	}{
		{"higher score wins over leftmost", []Piece{{Text: "ab", Score: -2}, {Text: "bc", Score: -1}}, false, "abc", []string{"a", "bc"}},
		{"leftmost wins a tie", []Piece{{Text: "ab", Score: -1}, {Text: "bc", Score: -1}}, false, "abc", []string{"ab", "c"}},
		{"merges cascade", []Piece{{Text: "ab", Score: -1}, {Text: "abc", Score: -2}}, false, "abcab", []string{"abc", "ab"}},
		{"dummy prefix and spaces", []Piece{{Text: "▁a", Score: 0}, {Text: "bc", Score: -1}}, true, "a bc", []string{"▁a", "▁", "bc"}},
		{"no prefix", []Piece{{Text: "▁a", Score: 0}}, false, "a a", []string{"a", "▁a"}},
		{"whole text is a piece", []Piece{{Text: "▁abc", Score: -5}}, true, "abc", []string{"▁abc"}},
		{"intermediate piece missing", []Piece{{Text: "abc", Score: 0}}, false, "abca", []string{"a", "b", "c", "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := handVocab(t, tc.prefix, append(append([]Piece{}, tc.learned...), chars...)...)
			got := texts(t, v, v.Encode(tc.in))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Encode(%q) = %q, want %q", tc.in, got, tc.want)
			}
			dec, err := v.Decode(v.Encode(tc.in))
			if err != nil || dec != tc.in {
				t.Errorf("Decode(Encode(%q)) = %q, %v", tc.in, dec, err)
			}
		})
	}
}

func TestByteFallback(t *testing.T) {
	v := handVocab(t, true, Piece{Text: "▁", Score: -1}, Piece{Text: "a", Score: -2})
	tests := []struct {
		name string
		in   string
		want []int
	}{
		{"two-byte character", "aé", []int{v.index["▁"], v.index["a"], FirstByteID + 0xC3, FirstByteID + 0xA9}},
		{"four-byte character", "😀", []int{v.index["▁"], FirstByteID + 0xF0, FirstByteID + 0x9F, FirstByteID + 0x98, FirstByteID + 0x80}},
		{"invalid utf-8 byte", "a\xff", []int{v.index["▁"], v.index["a"], FirstByteID + 0xFF}},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := v.Encode(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Encode(%q) = %v, want %v", tc.in, got, tc.want)
			}
			dec, err := v.Decode(got)
			if err != nil || dec != tc.in {
				t.Errorf("Decode = %q, %v; want %q", dec, err, tc.in)
			}
		})
	}
}

func TestDecodeErrorsAndControl(t *testing.T) {
	v := handVocab(t, true, Piece{Text: "▁hi", Score: 0})
	got, err := v.Decode([]int{BOSID, v.index["▁hi"], EOSID, UnkID})
	if err != nil || got != "hi" {
		t.Errorf("Decode with control tokens = %q, %v; want \"hi\"", got, err)
	}
	for _, id := range []int{-1, v.Size()} {
		if _, err := v.Decode([]int{id}); !errors.Is(err, ErrBadID) {
			t.Errorf("Decode(%d) error = %v, want ErrBadID", id, err)
		}
	}
}

func TestNewRejects(t *testing.T) {
	base := reservedPieces()
	tests := []struct {
		name   string
		pieces []Piece
	}{
		{"too short", base[:10]},
		{"wrong reserved", append([]Piece{{Text: "<pad>", Type: Control}}, base[1:]...)},
		{"duplicate", append(append([]Piece{}, base...), Piece{Text: "x", Type: Normal}, Piece{Text: "x", Type: Normal})},
		{"empty piece", append(append([]Piece{}, base...), Piece{Text: "", Type: Normal})},
		{"byte type in learned", append(append([]Piece{}, base...), Piece{Text: "y", Type: Byte})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.pieces, true); !errors.Is(err, ErrInvalidVocab) {
				t.Errorf("New error = %v, want ErrInvalidVocab", err)
			}
		})
	}
}

var corpus = []string{
	"the cat sat on the mat",
	"the dog sat on the log",
	"a cat and a dog",
	"the cat likes the dog",
	"naïve café in Zürich",
	"東京 の 猫",
}

func TestTrain(t *testing.T) {
	ctx := context.Background()
	v, err := Train(ctx, corpus, TrainOptions{VocabSize: 320, CharacterCoverage: 1})
	if err != nil {
		t.Fatal(err)
	}
	if v.Size() > 320 || v.Size() <= NumReserved {
		t.Fatalf("size %d, want in (%d, 320]", v.Size(), NumReserved)
	}
	// The most frequent word must have become one piece.
	if got := texts(t, v, v.Encode("the")); !reflect.DeepEqual(got, []string{"▁the"}) {
		t.Errorf("Encode(the) = %q, want [▁the]", got)
	}
	// Scores strictly decrease over learned pieces (merge order, then chars).
	for id := NumReserved + 1; id < v.Size(); id++ {
		if v.pieces[id].Score >= v.pieces[id-1].Score {
			t.Fatalf("score of piece %d (%v) not below piece %d (%v)", id, v.pieces[id].Score, id-1, v.pieces[id-1].Score)
		}
	}
	// Deterministic.
	v2, err := Train(ctx, corpus, TrainOptions{VocabSize: 320, CharacterCoverage: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v.pieces, v2.pieces) {
		t.Error("two trainings on the same corpus differ")
	}
	// Round trips, including unseen characters (byte fallback) and Unicode.
	for _, s := range append(corpus, "zebra 🦓 Ω", "  two  spaces ", "x") {
		ids := v.Encode(s)
		got, err := v.Decode(ids)
		if err != nil || got != s {
			t.Errorf("round trip %q = %q, %v", s, got, err)
		}
	}
	// Training compresses the corpus: fewer tokens than bytes.
	var nTok, nByte int
	for _, s := range corpus {
		nTok += len(v.Encode(s))
		nByte += len(s)
	}
	if nTok*2 > nByte {
		t.Errorf("corpus encodes to %d tokens for %d bytes; expected at least 2 bytes a token", nTok, nByte)
	}
}

func TestTrainCoverageLeavesRareCharsToBytes(t *testing.T) {
	c := []string{strings.Repeat("ab ", 200) + "q"}
	v, err := Train(context.Background(), c, TrainOptions{VocabSize: 270, CharacterCoverage: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.ID("q"); ok {
		t.Error("rare character q became a piece despite coverage 0.99")
	}
	if got := v.Encode("q"); !reflect.DeepEqual(got[len(got)-1:], []int{FirstByteID + 'q'}) {
		t.Errorf("Encode(q) = %v, want byte fallback last", got)
	}
}

func TestTrainErrors(t *testing.T) {
	if _, err := Train(context.Background(), corpus, TrainOptions{VocabSize: 10}); err == nil {
		t.Error("Train accepted a vocabulary smaller than the reserved pieces")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, corpus, TrainOptions{VocabSize: 400}); !errors.Is(err, context.Canceled) {
		t.Errorf("Train with cancelled context: %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	v, err := Train(context.Background(), corpus, TrainOptions{VocabSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := v.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&buf, "mem")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.pieces, v.pieces) || got.addDummyPrefix != v.addDummyPrefix {
		t.Error("vocabulary changed in a JSON round trip")
	}
	if _, err := Read(strings.NewReader(`{"model":"unigram","pieces":[]}`), "bad.json"); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("Read of a unigram model: %v", err)
	}
}

func FuzzRoundTrip(f *testing.F) {
	v, err := Train(context.Background(), corpus, TrainOptions{VocabSize: 330})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range append(corpus, "", " ", "\xff\xfe", "a  b") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := v.Encode(s)
		for _, id := range ids {
			if id < 0 || id >= v.Size() || id == UnkID || id == BOSID || id == EOSID {
				t.Fatalf("Encode(%q) produced id %d", s, id)
			}
		}
		if strings.Contains(s, WhitespaceSep) {
			return // "▁" decodes to a space, as in SentencePiece
		}
		got, err := v.Decode(ids)
		if err != nil || got != s {
			t.Fatalf("round trip %q = %q, %v", s, got, err)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("valid input decoded to invalid UTF-8")
		}
	})
}

func ExampleTrain() {
	v, err := Train(context.Background(), []string{"low lower lowest", "low low"}, TrainOptions{VocabSize: 275})
	if err != nil {
		panic(err)
	}
	ids := v.Encode("lowest")
	var pieces []string
	for _, id := range ids {
		p, _ := v.Piece(id)
		pieces = append(pieces, p.Text)
	}
	text, _ := v.Decode(ids)
	fmt.Println(pieces, text)
	// Output: [▁lowest] lowest
}

// TestTrainNeverExceedsTheVocabularySize: with room for fewer characters
// than the corpus covers, the rarest go to byte fallback and the vocabulary
// has exactly the size asked for (it used to grow past it).
func TestTrainNeverExceedsTheVocabularySize(t *testing.T) {
	corpus := []string{"the quick brown fox jumps over the lazy dog", "ÀÉÎÕÜ çñß 0123456789 !?;:"}
	for _, size := range []int{NumReserved + 1, NumReserved + 5, NumReserved + 41} {
		v, err := Train(context.Background(), corpus, TrainOptions{VocabSize: size})
		if err != nil {
			t.Fatal(err)
		}
		if v.Size() != size {
			t.Errorf("VocabSize %d: vocabulary of %d", size, v.Size())
		}
		// Every text still encodes and decodes.
		for _, text := range corpus {
			if got, err := v.Decode(v.Encode(text)); err != nil || got != text {
				t.Errorf("VocabSize %d: %q round-trips as %q", size, text, got)
			}
		}
	}
}
