// Package gguf writes spag's native model as a GGUF file that Ollama (both
// its llama.cpp runner and its Go engine) and llama.cpp load, and reads
// llama-architecture GGUF files (F32, F16 and Q8_0 tensors) back into the
// native model and tokenizer.
//
// The file is GGUF version 3: a header of typed key/value metadata (the
// llama architecture's hyper-parameters and the full SentencePiece
// tokenizer: pieces, scores, token types, special ids and the dummy-prefix
// flag), a table of tensors, then the aligned tensor data. Tensor names are
// GGML's llama names, which [model.Config.ParamSpecs] already uses; the
// native model stores matrices (in, out), GGML (out, in) rows, so every
// matrix but the token embedding is transposed on the way.
//
// The package depends on rl/model and rl/tokenizer only; it knows nothing
// about Ollama's API (registering a file with a server is the CLI's job).
package gguf

import (
	"errors"
	"fmt"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// Version is the GGUF version this package writes (and the newest it reads).
const Version = 3

// DefaultAlignment is the alignment of tensor data when the file does not
// set general.alignment.
const DefaultAlignment = 32

// Type is a GGML tensor element type.
type Type uint32

// Tensor types this package knows; only F32 and F16 are written.
const (
	F32  Type = 0
	F16  Type = 1
	Q8_0 Type = 8
)

// String names the type as GGML does.
func (t Type) String() string {
	switch t {
	case F32:
		return "F32"
	case F16:
		return "F16"
	case Q8_0:
		return "Q8_0"
	}
	return fmt.Sprintf("ggml type %d", uint32(t))
}

// ParseType reads "f32", "f16" (any case) as a type to write.
func ParseType(s string) (Type, error) {
	switch s {
	case "f32", "F32":
		return F32, nil
	case "f16", "F16":
		return F16, nil
	}
	return 0, fmt.Errorf("tensor type %q: choose f32 or f16", s)
}

// q8Block is the number of elements in one Q8_0 block; a block is a
// float16 scale followed by 32 signed bytes.
const q8Block = 32

// size returns the byte size of n elements of type t.
func (t Type) size(n uint64) (uint64, error) {
	switch t {
	case F32:
		return 4 * n, nil
	case F16:
		return 2 * n, nil
	case Q8_0:
		if n%q8Block != 0 {
			return 0, fmt.Errorf("%d elements are not whole Q8_0 blocks of %d", n, q8Block)
		}
		return n / q8Block * (2 + q8Block), nil
	}
	return 0, fmt.Errorf("%w: %v", ErrUnsupported, t)
}

// Metadata value types of the GGUF format.
const (
	valUint8   = 0
	valInt8    = 1
	valUint16  = 2
	valInt16   = 3
	valUint32  = 4
	valInt32   = 5
	valFloat32 = 6
	valBool    = 7
	valString  = 8
	valArray   = 9
	valUint64  = 10
	valInt64   = 11
	valFloat64 = 12
)

// ErrFormat reports a file that is not valid GGUF.
var ErrFormat = errors.New("not a valid GGUF file")

// ErrUnsupported reports a valid GGUF file that the native model cannot
// represent (another architecture, a quantisation this package does not
// decode, a tokenizer of another layout).
var ErrUnsupported = errors.New("unsupported GGUF model")
