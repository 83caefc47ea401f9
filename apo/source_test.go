package apo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo"
)

func TestItemsAndItemSource(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("mine.jsonl", []byte(`{"query": "q", "gold": "g"}`+"\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	builtin, err := apo.BuiltinItems()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		source, recorded string
		n                int
		err              string
	}{
		{source: "", recorded: apo.ItemsBuiltin, n: len(builtin)},
		{source: apo.ItemsBuiltin, recorded: apo.ItemsBuiltin, n: len(builtin)},
		{source: "mine.jsonl", recorded: filepath.Join(dir, "mine.jsonl"), n: 1},
		{source: "missing.jsonl", recorded: filepath.Join(dir, "missing.jsonl"), err: "missing.jsonl"},
	} {
		t.Run(tt.source, func(t *testing.T) {
			if got, err := apo.ItemSource(tt.source); err != nil || got != tt.recorded {
				t.Errorf("ItemSource(%q) = %q, %v; want %q", tt.source, got, err, tt.recorded)
			}
			items, err := apo.Items(tt.source)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Items(%q): %v, want an error naming %q", tt.source, err, tt.err)
				}
				return
			}
			if err != nil || len(items) != tt.n {
				t.Fatalf("Items(%q) = %d items, %v; want %d", tt.source, len(items), err, tt.n)
			}
		})
	}
}

// ExampleItems reads the built-in queries, the default of spag apo
// --prompts; a file's errors name its line.
func ExampleItems() {
	items, err := apo.Items(apo.ItemsBuiltin)
	fmt.Println(len(items) > 0, err)
	// Output:
	// true <nil>
}

// ExampleItemSource shows what a run records of its --prompts.
func ExampleItemSource() {
	for _, source := range []string{"", "/data/queries.jsonl"} {
		recorded, err := apo.ItemSource(source)
		fmt.Println(recorded, err)
	}
	// Output:
	// builtin <nil>
	// /data/queries.jsonl <nil>
}
