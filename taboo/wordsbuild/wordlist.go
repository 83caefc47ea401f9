package wordsbuild

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spag-go/spag/internal/wordnet"
)

// headerLines is the comment block shared by the generated files: what the
// file is, how to regenerate it, notes on how it was made (the words'
// ranking when notes is empty), and the WordNet licence.
func headerLines(what string, flags buildFlags, notes ...string) []string {
	if len(notes) == 0 {
		notes = []string{
			"Words are ranked by the number of times their senses were tagged in",
			"WordNet's semantic concordances.",
		}
	}
	lines := []string{
		what,
		"Generated from Princeton WordNet 3.0 (Debian package wordnet-base) by",
		"    spag words build --wordnet /usr/share/wordnet " + flags.sizes() + " \\",
		"        --out taboo/words.txt --lexicon players/scripted/lexicon.gz \\",
		"        --definitions apo/definitions/definitions.jsonl.gz",
		"Do not edit by hand: regenerate instead.",
	}
	lines = append(lines, notes...)
	lines = append(lines, "", "WordNet licence:", "")
	return append(lines, strings.Split(wordnet.License, "\n")...)
}

// buildFlags are the sizes "spag words build" was given, which the
// generated files' headers quote: size words in the lexicon and the
// definitions, the first listSize of them in the word list.
type buildFlags struct{ size, listSize int }

// sizes is the flags' part of the build command.
func (f buildFlags) sizes() string {
	s := "--size " + strconv.Itoa(f.size)
	if f.listSize != f.size {
		s += " --list-size " + strconv.Itoa(f.listSize)
	}
	return s
}

// WriteWordList writes words in the format of taboo/words.txt: comment lines
// starting with '#' (what the file is, how it was generated, the WordNet
// licence), then one word per line.
func WriteWordList(w io.Writer, words []string) error {
	return writeWordList(w, words, buildFlags{len(words), len(words)})
}

func writeWordList(w io.Writer, words []string, flags buildFlags) error {
	bw := bufio.NewWriter(w)
	what := fmt.Sprintf("spag Taboo target words: the %d most frequent English nouns, verbs and adjectives.", len(words))
	for _, l := range headerLines(what, flags) {
		bw.WriteString(strings.TrimRight("# "+l, " "))
		bw.WriteByte('\n')
	}
	for i, word := range words {
		if !wordnet.PlainWord(word) {
			return fmt.Errorf("wordnet: write word list: word %d %q is not a lower-case word of %d or more letters", i+1, word, wordnet.MinWordLen)
		}
		bw.WriteString(word)
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("wordnet: write word list: %w", err)
	}
	return nil
}
