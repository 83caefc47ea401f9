package hf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/spag-go/spag/rl/tokenizer"
)

// ErrTokenizerModel reports a tokenizer.model that is not a SentencePiece
// model spag can represent.
var ErrTokenizerModel = errors.New("unsupported tokenizer.model")

// Field numbers of sentencepiece_model.proto (proto2) that spag writes or
// reads. Every other field keeps SentencePiece's default, which for the
// special ids (unk 0, bos 1, eos 2, pad -1) is spag's fixed layout.
const (
	fieldPieces         = 1 // ModelProto.pieces
	fieldTrainerSpec    = 2 // ModelProto.trainer_spec
	fieldNormalizerSpec = 3 // ModelProto.normalizer_spec

	fieldPieceText  = 1 // SentencePiece.piece
	fieldPieceScore = 2 // SentencePiece.score
	fieldPieceType  = 3 // SentencePiece.type

	fieldModelType    = 3  // TrainerSpec.model_type
	fieldVocabSize    = 4  // TrainerSpec.vocab_size
	fieldByteFallback = 35 // TrainerSpec.byte_fallback

	fieldNormName        = 1 // NormalizerSpec.name
	fieldNormCharsmap    = 2 // NormalizerSpec.precompiled_charsmap
	fieldNormDummyPrefix = 3 // NormalizerSpec.add_dummy_prefix
	fieldNormExtraSpaces = 4 // NormalizerSpec.remove_extra_whitespaces
	fieldNormEscapeSpace = 5 // NormalizerSpec.escape_whitespaces

	modelTypeBPE = 2 // TrainerSpec.ModelType.BPE
)

// Protobuf wire types.
const (
	wireVarint = 0
	wire64     = 1
	wireBytes  = 2
	wire32     = 5
)

// pbuf appends protobuf fields.
type pbuf []byte

func (b pbuf) tag(field, wire int) pbuf {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}
func (b pbuf) varint(field int, v uint64) pbuf {
	return binary.AppendUvarint(b.tag(field, wireVarint), v)
}
func (b pbuf) bytes(field int, v []byte) pbuf {
	b = binary.AppendUvarint(b.tag(field, wireBytes), uint64(len(v)))
	return append(b, v...)
}
func (b pbuf) float(field int, v float32) pbuf {
	return binary.LittleEndian.AppendUint32(b.tag(field, wire32), math.Float32bits(v))
}
func (b pbuf) bool(field int, v bool) pbuf {
	if v {
		return b.varint(field, 1)
	}
	return b.varint(field, 0)
}

// EncodeTokenizerModel writes v as a SentencePiece ModelProto (the
// tokenizer.model file) that the sentencepiece library loads and that
// encodes as spag does: a BPE model with byte fallback, every piece with
// its score and type, and an identity normaliser that only escapes spaces
// as "▁" and adds the dummy prefix when v does (no NFKC, no collapsing of
// repeated spaces, as spag's encoder).
func EncodeTokenizerModel(v *tokenizer.Vocab) []byte {
	var m pbuf
	for _, p := range v.Pieces() {
		var e pbuf
		e = e.bytes(fieldPieceText, []byte(p.Text))
		e = e.float(fieldPieceScore, p.Score)
		e = e.varint(fieldPieceType, uint64(p.Type))
		m = m.bytes(fieldPieces, e)
	}
	var ts pbuf
	ts = ts.varint(fieldModelType, modelTypeBPE)
	ts = ts.varint(fieldVocabSize, uint64(v.Size()))
	ts = ts.bool(fieldByteFallback, true)
	m = m.bytes(fieldTrainerSpec, ts)
	var ns pbuf
	ns = ns.bytes(fieldNormName, []byte("identity"))
	ns = ns.bool(fieldNormDummyPrefix, v.AddDummyPrefix())
	ns = ns.bool(fieldNormExtraSpaces, false)
	ns = ns.bool(fieldNormEscapeSpace, true)
	m = m.bytes(fieldNormalizerSpec, ns)
	return m
}

// pfield is one decoded protobuf field: a varint, fixed32 or the bytes of
// a length-delimited field.
type pfield struct {
	num  int
	wire int
	u    uint64
	b    []byte
}

// fields splits a protobuf message into its fields.
func fields(data []byte) ([]pfield, error) {
	var out []pfield
	for len(data) > 0 {
		key, n := binary.Uvarint(data)
		if n <= 0 {
			return nil, errors.New("truncated field key")
		}
		data = data[n:]
		f := pfield{num: int(key >> 3), wire: int(key & 7)}
		switch f.wire {
		case wireVarint:
			f.u, n = binary.Uvarint(data)
			if n <= 0 {
				return nil, fmt.Errorf("field %d: truncated varint", f.num)
			}
			data = data[n:]
		case wire64:
			if len(data) < 8 {
				return nil, fmt.Errorf("field %d: truncated", f.num)
			}
			f.u, data = binary.LittleEndian.Uint64(data), data[8:]
		case wire32:
			if len(data) < 4 {
				return nil, fmt.Errorf("field %d: truncated", f.num)
			}
			f.u, data = uint64(binary.LittleEndian.Uint32(data)), data[4:]
		case wireBytes:
			l, n := binary.Uvarint(data)
			if n <= 0 || l > uint64(len(data)-n) {
				return nil, fmt.Errorf("field %d: length runs past the message", f.num)
			}
			f.b, data = data[n:n+int(l)], data[n+int(l):]
		default:
			return nil, fmt.Errorf("field %d: wire type %d (groups are not used by sentencepiece)", f.num, f.wire)
		}
		out = append(out, f)
	}
	return out, nil
}

// DecodeTokenizerModel reads a SentencePiece ModelProto as a spag
// vocabulary. It refuses what spag's encoder would tokenize differently:
// a model that is not BPE (Unigram, word, char), one without byte
// fallback, a normaliser with a character map (NFKC and friends) or that
// collapses spaces, and vocabularies without spag's reserved layout
// (<unk>, <s>, </s>, the 256 byte pieces, then learned pieces).
func DecodeTokenizerModel(data []byte) (*tokenizer.Vocab, error) {
	top, err := fields(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTokenizerModel, err)
	}
	var pieces []tokenizer.Piece
	modelType, byteFallback := uint64(1), false // proto defaults: UNIGRAM, no fallback
	dummy, extraSpaces, escape := true, true, true
	var charsmap []byte
	for _, f := range top {
		if f.wire != wireBytes {
			continue
		}
		sub, err := fields(f.b)
		if err != nil {
			return nil, fmt.Errorf("%w: field %d: %v", ErrTokenizerModel, f.num, err)
		}
		switch f.num {
		case fieldPieces:
			p := tokenizer.Piece{Type: tokenizer.Normal}
			for _, g := range sub {
				switch {
				case g.num == fieldPieceText && g.wire == wireBytes:
					p.Text = string(g.b)
				case g.num == fieldPieceScore && g.wire == wire32:
					p.Score = math.Float32frombits(uint32(g.u))
				case g.num == fieldPieceType && g.wire == wireVarint:
					p.Type = tokenizer.PieceType(g.u)
				}
			}
			pieces = append(pieces, p)
		case fieldTrainerSpec:
			for _, g := range sub {
				switch {
				case g.num == fieldModelType && g.wire == wireVarint:
					modelType = g.u
				case g.num == fieldByteFallback && g.wire == wireVarint:
					byteFallback = g.u != 0
				}
			}
		case fieldNormalizerSpec:
			for _, g := range sub {
				switch {
				case g.num == fieldNormCharsmap && g.wire == wireBytes:
					charsmap = g.b
				case g.num == fieldNormDummyPrefix && g.wire == wireVarint:
					dummy = g.u != 0
				case g.num == fieldNormExtraSpaces && g.wire == wireVarint:
					extraSpaces = g.u != 0
				case g.num == fieldNormEscapeSpace && g.wire == wireVarint:
					escape = g.u != 0
				}
			}
		}
	}
	switch {
	case modelType != modelTypeBPE:
		return nil, fmt.Errorf("%w: model type %d, spag's tokenizer is BPE (%d)", ErrTokenizerModel, modelType, modelTypeBPE)
	case !byteFallback:
		return nil, fmt.Errorf("%w: byte_fallback is off, spag's tokenizer falls back to byte pieces", ErrTokenizerModel)
	case len(charsmap) > 0:
		return nil, fmt.Errorf("%w: the normalizer has a precompiled character map (%d bytes), spag normalises only spaces", ErrTokenizerModel, len(charsmap))
	case extraSpaces:
		return nil, fmt.Errorf("%w: the normalizer removes extra whitespace, spag keeps every space", ErrTokenizerModel)
	case !escape:
		return nil, fmt.Errorf("%w: the normalizer does not escape spaces as %q", ErrTokenizerModel, tokenizer.WhitespaceSep)
	}
	v, err := tokenizer.New(pieces, dummy)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTokenizerModel, err)
	}
	return v, nil
}
