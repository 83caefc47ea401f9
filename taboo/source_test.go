package taboo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/taboo"
)

func TestWordSource(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tt := range []struct{ source, want string }{
		{"", ""},
		{taboo.WordsBuiltin, taboo.WordsBuiltin},
		{taboo.WordsTrain, taboo.WordsTrain},
		{taboo.WordsHeldOut, taboo.WordsHeldOut},
		{"mine.txt", filepath.Join(dir, "mine.txt")},
		{"/abs/mine.txt", "/abs/mine.txt"},
	} {
		t.Run(tt.source, func(t *testing.T) {
			if got, err := taboo.WordSource(tt.source); err != nil || got != tt.want {
				t.Errorf("WordSource(%q) = %q, %v; want %q", tt.source, got, err, tt.want)
			}
		})
	}
}

func TestWordsReadsEverySource(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mine.txt")
	if err := os.WriteFile(file, []byte("# mine\nApple\nriver\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	all, err := taboo.BuiltinWords()
	if err != nil {
		t.Fatal(err)
	}
	train, held := taboo.SplitWords(all)
	for _, tt := range []struct {
		source string
		n      int
		err    string
	}{
		{source: "", n: len(all)},
		{source: taboo.WordsBuiltin, n: len(all)},
		{source: taboo.WordsTrain, n: len(train)},
		{source: taboo.WordsHeldOut, n: len(held)},
		{source: file, n: 2},
		{source: file + ".missing", err: "mine.txt.missing"},
	} {
		t.Run(tt.source, func(t *testing.T) {
			words, err := taboo.Words(tt.source)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Words(%q): %v, want an error naming %q", tt.source, err, tt.err)
				}
				return
			}
			if err != nil || len(words) != tt.n {
				t.Fatalf("Words(%q) = %d words, %v; want %d", tt.source, len(words), err, tt.n)
			}
		})
	}
}

// ExampleWordSource shows what a run records of its --words: built-in
// sources as they are, a file by its absolute path.
func ExampleWordSource() {
	for _, source := range []string{taboo.WordsHeldOut, "/data/words.txt"} {
		recorded, err := taboo.WordSource(source)
		fmt.Println(recorded, err)
	}
	// Output:
	// builtin:heldout <nil>
	// /data/words.txt <nil>
}
