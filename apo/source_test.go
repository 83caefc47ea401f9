package apo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/apo/definitions"
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
	all, err := definitions.Builtin()
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
		{source: apo.ItemsDefinitions, recorded: apo.ItemsDefinitions, n: len(all)},
		{source: apo.ItemsDefinitionsTrain, recorded: apo.ItemsDefinitionsTrain, n: len(definitions.OfSplit(all, definitions.Train))},
		{source: apo.ItemsDefinitionsHeldOut, recorded: apo.ItemsDefinitionsHeldOut, n: len(definitions.OfSplit(all, definitions.HeldOut))},
		// Not a definitions source: a file of that name.
		{source: "definitions:test", recorded: filepath.Join(dir, "definitions:test"), err: "definitions:test"},
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

// The definitions task's items: "What does the word W mean?" with W's
// WordNet gloss as the gold answer.
func ExampleDefinitionItems() {
	entries, err := definitions.Entries(apo.ItemsDefinitionsHeldOut)
	if err != nil {
		fmt.Println(err)
		return
	}
	items := apo.DefinitionItems(entries)
	fmt.Println(len(items))
	fmt.Println(items[0].Query)
	fmt.Println(items[0].Gold)
	// Output:
	// 479
	// What does the word "have" mean?
	// have or possess, either in a concrete or an abstract sense
}

// ExampleItemSource shows what a run records of its --prompts.
func ExampleItemSource() {
	for _, source := range []string{"", "definitions:train", "/data/queries.jsonl"} {
		recorded, err := apo.ItemSource(source)
		fmt.Println(recorded, err)
	}
	// Output:
	// builtin <nil>
	// definitions:train <nil>
	// /data/queries.jsonl <nil>
}
