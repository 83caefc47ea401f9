package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/internal/wordnet"
	"github.com/spag-go/spag/taboo"
)

func newWordsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "words",
		Short: "Build or list target-word lists",
		Args:  noArgs,
	}
	cmd.AddCommand(newWordsListCmd(), newWordsBuildCmd())
	return cmd
}

func newWordsListCmd() *cobra.Command {
	var words string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "Print a word list after validating it",
		Example: "  spag words list | wc -l\n  spag words list --words mywords.txt",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := taboo.Words(words)
			if err != nil {
				return usageError{fmt.Errorf("--words: %w", err)}
			}
			w := cmd.OutOrStdout()
			for _, word := range list {
				if _, err := fmt.Fprintln(w, word); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&words, "words", "builtin", "builtin, or a word-list file")
	return cmd
}

func newWordsBuildCmd() *cobra.Command {
	var dir, out, lexicon, defs string
	var size, listSize int
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Regenerate the built-in word list, lexicon and definitions from WordNet 3.0",
		Long: `build reads the WordNet 3.0 database (Debian package wordnet-base) and writes
the --size most frequent nouns, verbs and adjectives, ranked by tagged-sense
counts: the first --list-size of them as the Taboo word list; with --lexicon,
the built-in players' lexicon of all of them; with --definitions, the APO
definitions task of all of them (each word's most frequent sense with its
WordNet gloss, its nearest hypernyms and its split).
The output is deterministic; the committed files were made with the example
below.`,
		Example: `  apt-get install wordnet-base
  spag words build --wordnet /usr/share/wordnet --size 5000 --list-size 500 \
    --out taboo/words.txt --lexicon players/scripted/lexicon.gz \
    --definitions apo/definitions/definitions.jsonl.gz`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if size < 1 {
				return usagef("--size must be at least 1 (got %d)", size)
			}
			if listSize < 0 || listSize > size {
				return usagef("--list-size must be from 1 to --size %d (got %d)", size, listSize)
			}
			if out == "" {
				out = "-"
			}
			// Each file is written whole or not at all (writeOut); the
			// optional ones nest inside the word list's.
			outs := wordnet.Outputs{ListSize: listSize}
			write := func() error { return wordnet.Build(dir, size, outs) }
			for _, f := range []struct {
				path string
				dst  *io.Writer
			}{{defs, &outs.Definitions}, {lexicon, &outs.Lexicon}, {out, &outs.Words}} {
				if f.path == "" {
					continue
				}
				inner := write
				write = func() error {
					return writeOut(f.path, cmd.OutOrStdout(), func(w io.Writer) error {
						*f.dst = w
						return inner()
					})
				}
			}
			return write()
		},
	}
	cmd.Flags().StringVar(&dir, "wordnet", "/usr/share/wordnet", "WordNet 3.0 database directory")
	cmd.Flags().IntVar(&size, "size", 5000, "number of words (of the lexicon and the definitions)")
	cmd.Flags().IntVar(&listSize, "list-size", 0, "number of words in the word list, the most frequent first (default: --size)")
	cmd.Flags().StringVar(&out, "out", "-", "word list output (- for standard output)")
	cmd.Flags().StringVar(&lexicon, "lexicon", "", "also write the built-in players' lexicon here")
	cmd.Flags().StringVar(&defs, "definitions", "", "also write the APO definitions task here")
	return cmd
}
