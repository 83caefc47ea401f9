package dataset_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/taboo/dataset"
)

// TestSPAGFile reads a file and standard input twice each, as FromSPAG
// does: each pass yields every episode.
func TestSPAGFile(t *testing.T) {
	const eps = `[{"target_word": "apple", "history": []}, {"target_word": "river", "history": []}]`
	path := filepath.Join(t.TempDir(), "eps.json")
	if err := os.WriteFile(path, []byte(eps), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{path, "-"} {
		passes, done, err := dataset.SPAGFile(ctx, name, strings.NewReader(eps))
		if err != nil {
			t.Fatal(err)
		}
		for pass := 1; pass <= 2; pass++ {
			var words []string
			for ep, err := range passes() {
				if err != nil {
					t.Fatal(err)
				}
				words = append(words, ep.TargetWord)
			}
			if strings.Join(words, " ") != "apple river" {
				t.Errorf("%s pass %d: %v", name, pass, words)
			}
		}
		done()
	}
	if _, _, err := dataset.SPAGFile(ctx, filepath.Join(t.TempDir(), "nosuch.json"), nil); err == nil {
		t.Error("a missing file: no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := dataset.SPAGFile(cancelled, "-", strings.NewReader(eps)); err == nil {
		t.Error("a cancelled copy of standard input: no error")
	}
}
