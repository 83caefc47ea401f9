package taboo

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spag-go/spag/internal/safetext"
)

// builtinWords is the shipped target-word list, in the format [ParseWords]
// reads.
//
//go:embed words.txt
var builtinWords []byte

// maxWordLine bounds one line of a word list, so that a binary file given by
// mistake fails with a clear error instead of exhausting memory.
const maxWordLine = 64 << 10

// BuiltinWords returns the target words shipped with spag (taboo/words.txt),
// in file order.
func BuiltinWords() ([]string, error) {
	return ParseWords(bytes.NewReader(builtinWords), "words.txt (built-in)")
}

// LoadWords reads a word list file; see [ParseWords] for the format.
func LoadWords(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load words: %w", err)
	}
	defer f.Close()
	return ParseWords(f, path)
}

// ParseWords reads a word list: one word per line, in file order. Blank
// lines and lines whose first non-space character is '#' are skipped,
// surrounding white space is trimmed, a leading UTF-8 byte-order mark is
// ignored and words are lower-cased (the judges compare lower-cased text, so
// "Apple" and "apple" are the same target).
//
// Errors start with name and the 1-based line, and say how to fix the file:
// a repeated word, invalid UTF-8, a line holding more than one word, a
// control character, or a file with no word at all.
func ParseWords(r io.Reader, name string) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxWordLine)
	var words []string
	seen := make(map[string]int) // word → line of its first occurrence
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Bytes()
		if line == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
		}
		if !utf8.Valid(raw) {
			return nil, fmt.Errorf("%s:%d: invalid UTF-8; save the file as UTF-8", name, line)
		}
		text := strings.TrimSpace(string(raw))
		if text == "" || text[0] == '#' {
			continue
		}
		if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
			return nil, fmt.Errorf("%s:%d: %q holds more than one word; put one word per line", name, line, text)
		}
		if err := safetext.CheckName(text); err != nil {
			return nil, fmt.Errorf("%s:%d: %q %v; remove it", name, line, text, err)
		}
		word := strings.ToLower(text)
		if first, ok := seen[word]; ok {
			return nil, fmt.Errorf("%s:%d: %q repeats line %d; remove one", name, line, word, first)
		}
		seen[word] = line
		words = append(words, word)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes; is this a word list (one word per line)?", name, line+1, maxWordLine)
		}
		return nil, fmt.Errorf("read words %s: %w", name, err)
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("%s: no words (one word per line; # starts a comment)", name)
	}
	return words, nil
}

// HeldOutShare is the share of a word list that [SplitWords] holds out for
// evaluation, in percent.
const HeldOutShare = 10

// SplitWords splits a word list into training words and held-out words for
// evaluation: a word is held out when the first byte of its SHA-256 digest
// falls in the lowest HeldOutShare percent of values. The split depends on
// each word alone, so it is the same for every seed, every order of the list
// and every build, and a word added to the list never moves another word
// between the two sides.
func SplitWords(words []string) (train, heldOut []string) {
	for _, w := range words {
		sum := sha256.Sum256([]byte(w))
		if int(sum[0])*100 < HeldOutShare*256 {
			heldOut = append(heldOut, w)
		} else {
			train = append(train, w)
		}
	}
	return train, heldOut
}

// Word sources that name the built-in list or one side of its split.
const (
	WordsBuiltin = "builtin"
	WordsTrain   = "builtin:train"
	WordsHeldOut = "builtin:heldout"
)

// Words reads a word source: [WordsBuiltin] (or ""), [WordsTrain] and
// [WordsHeldOut] (the two sides of the built-in list's [SplitWords]), or
// the path of a word file.
func Words(source string) ([]string, error) {
	switch source {
	case WordsBuiltin, "":
		return BuiltinWords()
	case WordsTrain, WordsHeldOut:
		words, err := BuiltinWords()
		if err != nil {
			return nil, err
		}
		train, held := SplitWords(words)
		if source == WordsTrain {
			return train, nil
		}
		return held, nil
	}
	return LoadWords(source)
}

// WordSource is a word source as a run records it: a built-in source as
// is, a file by its absolute path, so that a run resumed from another
// directory reads the same file.
func WordSource(source string) (string, error) {
	if source == "" || strings.HasPrefix(source, WordsBuiltin) {
		return source, nil
	}
	abs, err := filepath.Abs(source)
	if err != nil {
		return "", fmt.Errorf("%s: %w", source, err)
	}
	return abs, nil
}
