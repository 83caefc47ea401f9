// Package wordscmd is `spag words`, Adversarial Taboo's command for its
// target-word lists; importing it registers it with cmdutil.GameCommands.
package wordscmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/wordnet"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/realwords"
	"github.com/spag-go/spag/taboo/wordsbuild"
)

func init() { cmdutil.GameCommands.Register("words", NewCmdWords) }

// NewCmdWords returns `spag words` and its subcommands, which write to
// f's streams.
func NewCmdWords(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "words",
		Short: "Build or list target-word lists; check a run's words",
		Args:  cmdutil.NoArgs,
	}
	cmd.AddCommand(newWordsListCmd(f), newWordsBuildCmd(f), newWordsCheckCmd(f))
	return cmd
}

func newWordsListCmd(f *cmdutil.Factory) *cobra.Command {
	var words string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "Print a word list after validating it",
		Example: "  spag words list | wc -l\n  spag words list --words mywords.txt",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := taboo.Words(words)
			if err != nil {
				return cmdutil.UsageError{Err: fmt.Errorf("--words: %w", err)}
			}
			w := f.IOStreams.Out
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

func newWordsBuildCmd(f *cmdutil.Factory) *cobra.Command {
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
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if size < 1 {
				return cmdutil.Usagef("--size must be at least 1 (got %d)", size)
			}
			if listSize < 0 || listSize > size {
				return cmdutil.Usagef("--list-size must be from 1 to --size %d (got %d)", size, listSize)
			}
			if out == "" {
				out = "-"
			}
			// Each file is written whole or not at all (writeOut); the
			// optional ones nest inside the word list's.
			outs := wordsbuild.Outputs{ListSize: listSize}
			write := func() error { return wordsbuild.Build(dir, size, outs) }
			for _, o := range []struct {
				path string
				dst  *io.Writer
			}{{defs, &outs.Definitions}, {lexicon, &outs.Lexicon}, {out, &outs.Words}} {
				if o.path == "" {
					continue
				}
				inner := write
				write = func() error {
					return cmdutil.WriteOut(o.path, f.IOStreams.Out, func(w io.Writer) error {
						*o.dst = w
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

func newWordsCheckCmd(f *cmdutil.Factory) *cobra.Command {
	var db, runID, role, dir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Measure how many of a run's guesses and clue words are English words",
		Long: `check reads a Taboo run and counts how many of its words are real: the words
the defender guessed ("I know the word! It is X"), and the content words of
the attacker's clues (function words such as "the", "it's" or "would" left
out). A word is real when it is in the built-in word list or among the run's
targets, or when WordNet 3.0 (Debian package wordnet-base) has it as a lemma
of any part of speech after its own reduction of inflected forms ("flooded"
is flood, "cities" city, "ran" run). It prints each share with its 95%
Wilson interval and the most frequent words that are not real.

By default only the roles a model played count: a built-in player's words
come from a lexicon. --role counts the attacker, the defender or both.`,
		Example: `  spag words check --db spag.db --role both
  spag words check --db runs.db --run r20261126-151200-3fa9 --json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			roles, err := realwords.ParseRoles(role)
			if err != nil {
				return cmdutil.UsageError{Err: fmt.Errorf("--role: %w", err)}
			}
			store, err := f.OpenReader(cmd.Context(), db)
			if err != nil {
				return err
			}
			defer store.Close()
			// The run first: a mistyped --run is named before WordNet is read.
			if err := cmdutil.CheckFilter(cmd.Context(), store, episodes.Filter{RunID: runID}); err != nil {
				return err
			}
			dict, err := wordnet.OpenDictionary(dir)
			if errors.Is(err, fs.ErrNotExist) {
				return cmdutil.Usagef("--wordnet %s: %w", dir, err)
			}
			if err != nil {
				return fmt.Errorf("--wordnet %s: %w", dir, err)
			}
			rep, err := realwords.Check(cmd.Context(), store, dict, runID, roles)
			switch {
			case errors.Is(err, realwords.ErrNotTaboo):
				return cmdutil.Usagef("--run: %w; words check reads Taboo runs", err)
			case errors.Is(err, realwords.ErrNoRuns):
				return fmt.Errorf("%s holds no runs yet (play some with: spag selfplay --db %s)", store.Path(), store.Path())
			case err != nil:
				return err
			}
			if asJSON {
				enc := json.NewEncoder(f.IOStreams.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return rep.WriteText(f.IOStreams.Out)
		},
	}
	cmd.Flags().StringVar(&db, "db", "spag.db", "SQLite database")
	cmd.Flags().StringVar(&runID, "run", "", "run ID (default: the latest run)")
	cmd.Flags().StringVar(&role, "role", "", "attacker, defender or both (default: the roles a model played, not a built-in player)")
	cmd.Flags().StringVar(&dir, "wordnet", wordnet.DefaultDir, "WordNet 3.0 database directory")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}
