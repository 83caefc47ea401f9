// Package tokenizer is a SentencePiece-style BPE tokenizer: a vocabulary of
// scored pieces with the three control tokens and 256 byte-fallback tokens,
// a trainer that learns pieces from a corpus, encoding by highest-score pair
// merging with byte fallback, and decoding.
//
// The encoder follows SentencePiece's BPE model (and llama.cpp's "spm"
// tokenizer, which Ollama uses for llama-architecture models): spaces become
// U+2581 ("▁"), a dummy "▁" is prepended to the text, the text is split into
// Unicode characters, and adjacent symbols are merged repeatedly, always
// taking the pair whose concatenation is the highest-scoring vocabulary piece
// (ties to the leftmost pair). A final symbol missing from the vocabulary is
// emitted as its UTF-8 bytes (<0xXX> tokens). Whitespace is not normalised
// (no collapsing of repeated spaces), as in llama.cpp. As in Ollama's Go
// SentencePiece encoder, a normalised text that is itself a piece encodes to
// that piece directly. Ollama's Go encoder never prepends the dummy "▁" while
// llama.cpp does when the GGUF sets add_space_prefix; [Vocab.AddDummyPrefix]
// records which behaviour a vocabulary was trained with.
//
// The package knows nothing about models or training; it depends only on the
// standard library. A [Vocab] is immutable after construction and safe for
// concurrent use.
package tokenizer

import (
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// PieceType is the SentencePiece piece type; the numbering is SentencePiece's
// (and GGUF's tokenizer.ggml.token_type).
type PieceType int

// Piece types, numbered as in SentencePiece's ModelProto.
const (
	Normal      PieceType = 1
	Unknown     PieceType = 2
	Control     PieceType = 3
	UserDefined PieceType = 4
	Unused      PieceType = 5
	Byte        PieceType = 6
)

// Fixed ids of the control tokens and the first byte token.
const (
	UnkID       = 0
	BOSID       = 1
	EOSID       = 2
	FirstByteID = 3
	// NumReserved is the number of pieces before the learned ones:
	// <unk>, <s>, </s> and the 256 byte tokens.
	NumReserved = FirstByteID + 256
)

// WhitespaceSep is the character SentencePiece substitutes for a space.
const WhitespaceSep = "\u2581"

// Piece is one vocabulary entry.
type Piece struct {
	Text  string    `json:"piece"`
	Score float32   `json:"score"`
	Type  PieceType `json:"type"`
}

// Vocab is a SentencePiece BPE vocabulary. Build one with [New], [Train] or
// [Read]; it is immutable and safe for concurrent use.
type Vocab struct {
	pieces         []Piece
	index          map[string]int // text -> id, for Normal and UserDefined pieces
	addDummyPrefix bool
}

// ErrInvalidVocab reports a vocabulary that breaks the fixed layout.
var ErrInvalidVocab = errors.New("invalid vocabulary")

// New checks pieces and builds a vocabulary. The first pieces must be <unk>,
// <s>, </s> and <0x00>..<0xFF> with their types; the rest are learned pieces
// (Normal or UserDefined) with distinct texts.
func New(pieces []Piece, addDummyPrefix bool) (*Vocab, error) {
	if len(pieces) < NumReserved {
		return nil, fmt.Errorf("%w: %d pieces, need at least the %d reserved ones", ErrInvalidVocab, len(pieces), NumReserved)
	}
	want := reservedPieces()
	for i, w := range want {
		if pieces[i].Text != w.Text || pieces[i].Type != w.Type {
			return nil, fmt.Errorf("%w: piece %d is %q (type %d), want %q (type %d)", ErrInvalidVocab, i, pieces[i].Text, pieces[i].Type, w.Text, w.Type)
		}
	}
	v := &Vocab{pieces: append([]Piece(nil), pieces...), index: make(map[string]int, len(pieces)), addDummyPrefix: addDummyPrefix}
	for id := NumReserved; id < len(pieces); id++ {
		p := pieces[id]
		if p.Text == "" {
			return nil, fmt.Errorf("%w: piece %d is empty", ErrInvalidVocab, id)
		}
		if p.Type != Normal && p.Type != UserDefined {
			return nil, fmt.Errorf("%w: piece %d (%q) has type %d, want %d (normal) or %d (user defined)", ErrInvalidVocab, id, p.Text, p.Type, Normal, UserDefined)
		}
		if prev, dup := v.index[p.Text]; dup {
			return nil, fmt.Errorf("%w: piece %d (%q) duplicates piece %d", ErrInvalidVocab, id, p.Text, prev)
		}
		v.index[p.Text] = id
	}
	return v, nil
}

// reservedPieces returns the fixed first pieces of every vocabulary.
func reservedPieces() []Piece {
	ps := []Piece{
		{Text: "<unk>", Type: Unknown},
		{Text: "<s>", Type: Control},
		{Text: "</s>", Type: Control},
	}
	for b := 0; b < 256; b++ {
		ps = append(ps, Piece{Text: fmt.Sprintf("<0x%02X>", b), Type: Byte})
	}
	return ps
}

// Size is the number of pieces.
func (v *Vocab) Size() int { return len(v.pieces) }

// AddDummyPrefix reports whether Encode prepends "▁" to non-empty text.
func (v *Vocab) AddDummyPrefix() bool { return v.addDummyPrefix }

// Pieces returns a copy of the vocabulary's pieces, indexed by id.
func (v *Vocab) Pieces() []Piece { return append([]Piece(nil), v.pieces...) }

// Piece returns the piece with the given id; ok is false when id is out of range.
func (v *Vocab) Piece(id int) (p Piece, ok bool) {
	if id < 0 || id >= len(v.pieces) {
		return Piece{}, false
	}
	return v.pieces[id], true
}

// ID returns the id of a learned piece's text; ok is false when it is not
// in the vocabulary.
func (v *Vocab) ID(text string) (id int, ok bool) {
	id, ok = v.index[text]
	return id, ok
}

// symbol is one node of the doubly linked list the encoder merges.
type symbol struct {
	text       string
	prev, next int // -1 at the ends
}

// bigram is a candidate merge of symbols left and right (adjacent at the
// time it was queued; size guards against stale entries).
type bigram struct {
	left, right int
	score       float32
	size        int // len(text of left)+len(text of right) when queued
}

type bigramQueue []bigram

func (q bigramQueue) Len() int { return len(q) }
func (q bigramQueue) Less(i, j int) bool {
	if q[i].score != q[j].score {
		return q[i].score > q[j].score
	}
	return q[i].left < q[j].left
}
func (q bigramQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *bigramQueue) Push(x any)   { *q = append(*q, x.(bigram)) }
func (q *bigramQueue) Pop() any {
	old := *q
	b := old[len(old)-1]
	*q = old[:len(old)-1]
	return b
}

// normalize applies SentencePiece's whitespace handling: spaces become "▁"
// and, when enabled, a dummy "▁" is prepended.
func (v *Vocab) normalize(text string) string {
	if text == "" {
		return ""
	}
	text = strings.ReplaceAll(text, " ", WhitespaceSep)
	if v.addDummyPrefix {
		text = WhitespaceSep + text
	}
	return text
}

// Encode tokenizes text without adding <s> or </s>. Invalid UTF-8 bytes are
// encoded through byte fallback, so every input has an encoding.
func (v *Vocab) Encode(text string) []int {
	text = v.normalize(text)
	if text == "" {
		return nil
	}
	if id, ok := v.index[text]; ok {
		return []int{id}
	}
	syms := make([]symbol, 0, len(text))
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRuneInString(text[i:])
		syms = append(syms, symbol{text: text[i : i+n], prev: len(syms) - 1, next: len(syms) + 1})
		i += n
	}
	syms[len(syms)-1].next = -1

	q := &bigramQueue{}
	tryAdd := func(left, right int) {
		if left < 0 || right < 0 {
			return
		}
		merged := syms[left].text + syms[right].text
		if id, ok := v.index[merged]; ok {
			heap.Push(q, bigram{left: left, right: right, score: v.pieces[id].Score, size: len(merged)})
		}
	}
	for i := 1; i < len(syms); i++ {
		tryAdd(i-1, i)
	}
	for q.Len() > 0 {
		b := heap.Pop(q).(bigram)
		l, r := &syms[b.left], &syms[b.right]
		// Skip entries made stale by an earlier merge of either side.
		if l.text == "" || r.text == "" || l.next != b.right || len(l.text)+len(r.text) != b.size {
			continue
		}
		l.text += r.text
		r.text = ""
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		tryAdd(l.prev, b.left)
		tryAdd(b.left, l.next)
	}

	ids := make([]int, 0, len(syms))
	for i := 0; i >= 0; i = syms[i].next {
		s := syms[i].text
		if id, ok := v.index[s]; ok {
			ids = append(ids, id)
			continue
		}
		for j := 0; j < len(s); j++ {
			ids = append(ids, FirstByteID+int(s[j]))
		}
	}
	return ids
}

// ErrBadID reports a token id outside the vocabulary.
var ErrBadID = errors.New("token id out of range")

// Decode turns ids back into text: learned pieces with "▁" as spaces, byte
// tokens as raw bytes, control tokens dropped. The dummy-prefix space is
// removed from the start. Byte tokens that do not form valid UTF-8 are kept
// as they are, so Decode(Encode(s)) == s for every s without "▁".
func (v *Vocab) Decode(ids []int) (string, error) {
	var b strings.Builder
	for i, id := range ids {
		if id < 0 || id >= len(v.pieces) {
			return "", fmt.Errorf("decode token %d: %w: %d (vocabulary has %d pieces)", i, ErrBadID, id, len(v.pieces))
		}
		p := v.pieces[id]
		switch p.Type {
		case Byte:
			b.WriteByte(byte(id - FirstByteID))
		case Normal, UserDefined:
			b.WriteString(strings.ReplaceAll(p.Text, WhitespaceSep, " "))
		}
	}
	s := b.String()
	if v.addDummyPrefix {
		s = strings.TrimPrefix(s, " ")
	}
	return s, nil
}

// file is the JSON form of a vocabulary.
type file struct {
	Model          string  `json:"model"`
	AddDummyPrefix bool    `json:"add_dummy_prefix"`
	Pieces         []Piece `json:"pieces"`
}

// MarshalJSON encodes the vocabulary as {"model":"bpe", ...}.
func (v *Vocab) MarshalJSON() ([]byte, error) {
	return json.Marshal(file{Model: "bpe", AddDummyPrefix: v.addDummyPrefix, Pieces: v.pieces})
}

// UnmarshalJSON decodes and checks a vocabulary written by MarshalJSON.
func (v *Vocab) UnmarshalJSON(data []byte) error {
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("decode vocabulary: %w", err)
	}
	if f.Model != "bpe" {
		return fmt.Errorf("%w: model %q, want \"bpe\"", ErrInvalidVocab, f.Model)
	}
	nv, err := New(f.Pieces, f.AddDummyPrefix)
	if err != nil {
		return err
	}
	*v = *nv
	return nil
}

// Write writes the vocabulary as JSON.
func (v *Vocab) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write vocabulary: %w", err)
	}
	return nil
}

// Read reads a vocabulary written by [Vocab.Write]; name is used in errors.
func Read(r io.Reader, name string) (*Vocab, error) {
	var v Vocab
	if err := json.NewDecoder(r).Decode(&v); err != nil {
		return nil, fmt.Errorf("read vocabulary %s: %w", name, err)
	}
	return &v, nil
}

// ScoringSequence lays out [BOS] prompt response [EOS] for scoring the
// response (with its end) after the prompt, within context tokens: when too
// long, prompt tokens are dropped from the front, then the response is cut
// at the end. start is the index in tokens of the first response token.
// Training and in-process scoring share it, so that a score means the same
// in both.
func (v *Vocab) ScoringSequence(prompt, response string, context int) (tokens []int, start int) {
	q, y := v.Encode(prompt), append(v.Encode(response), EOSID)
	if len(y) > context {
		y = y[:context]
	}
	if keep := context - len(y); len(q) > keep {
		q = q[len(q)-keep:]
	}
	tokens = append(append([]int{BOSID}, q...), y...)
	return tokens, 1 + len(q)
}
