package apo

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/internal/safetext"
)

// Item is one query of the game with its gold response: the reference
// answer the reward model should prefer to the generator's.
type Item struct {
	Query string `json:"query"`
	Gold  string `json:"gold"`
}

//go:embed prompts.jsonl
var builtinItems []byte

// BuiltinItems returns the queries spag ships: everyday questions with
// reference answers written for the project.
func BuiltinItems() ([]Item, error) {
	return ParseItems(bytes.NewReader(builtinItems), "built-in prompts")
}

// ItemsBuiltin is the source of the built-in items (see [Items]).
const ItemsBuiltin = "builtin"

// Sources of the definitions task's items (package apo/definitions): "What
// does the word W mean?" with W's WordNet gloss as the gold answer, for
// all of its words or one side of their split.
const (
	ItemsDefinitions        = definitions.Source
	ItemsDefinitionsTrain   = definitions.SourceTrain
	ItemsDefinitionsHeldOut = definitions.SourceHeldOut
)

// Items reads a source of items: [ItemsBuiltin] or "" for the built-in
// ones, [ItemsDefinitions], [ItemsDefinitionsTrain] or
// [ItemsDefinitionsHeldOut] for the definitions task, or the path of a
// JSON Lines file (see [LoadItems]).
func Items(source string) ([]Item, error) {
	if source == ItemsBuiltin || source == "" {
		return BuiltinItems()
	}
	if definitions.IsSource(source) {
		entries, err := definitions.Entries(source)
		if err != nil {
			return nil, err
		}
		return DefinitionItems(entries), nil
	}
	return LoadItems(source)
}

// DefinitionItems returns the items of the definitions task's entries:
// the query [definitions.Query] of each word with its gloss as the gold
// answer, in order.
func DefinitionItems(entries []definitions.Entry) []Item {
	items := make([]Item, len(entries))
	for i, e := range entries {
		items[i] = Item{Query: definitions.Query(e.Word), Gold: e.Gloss}
	}
	return items
}

// ItemSource is a source of items as a run records it: [ItemsBuiltin] for
// the built-in items (also for an empty source), a definitions source as
// is, a file by its absolute path, so that a run resumed from another
// directory reads the same file.
func ItemSource(source string) (string, error) {
	if strings.TrimSpace(source) == "" || source == ItemsBuiltin {
		return ItemsBuiltin, nil
	}
	if definitions.IsSource(source) {
		return source, nil
	}
	abs, err := filepath.Abs(source)
	if err != nil {
		return "", fmt.Errorf("%s: %w", source, err)
	}
	return abs, nil
}

// LoadItems reads a JSON Lines file of items, one {"query": ..., "gold": ...}
// object a line; blank lines and lines starting with # are skipped.
func LoadItems(path string) ([]Item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseItems(f, path)
}

// maxItemLine bounds one line of an items file; a longer line is an error
// rather than a silent truncation.
const maxItemLine = 1 << 20

// ParseItems reads items in the format of [LoadItems]; name is used in
// errors, which give the line and say how to fix it.
func ParseItems(r io.Reader, name string) ([]Item, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxItemLine)
	var items []Item
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var it Item
		if err := dec.Decode(&it); err != nil {
			return nil, fmt.Errorf(`%s:%d: %v (want one JSON object a line: {"query": "...", "gold": "..."})`, name, n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%s:%d: more than one JSON value on the line (put each item on its own line)", name, n)
		}
		it.Query, it.Gold = strings.TrimSpace(it.Query), strings.TrimSpace(it.Gold)
		switch {
		case it.Query == "":
			return nil, fmt.Errorf(`%s:%d: empty "query"`, name, n)
		case it.Gold == "":
			return nil, fmt.Errorf(`%s:%d: empty "gold" (every query needs a reference answer)`, name, n)
		}
		// The checks of a --words file: a query names its episodes and
		// is shown and judged as it reads.
		for _, f := range []struct{ key, val string }{{"query", it.Query}, {"gold", it.Gold}} {
			if err := safetext.CheckName(f.val); err != nil {
				return nil, fmt.Errorf("%s:%d: %q: %q %v; remove it", name, n, f.key, f.val, err)
			}
		}
		if first, ok := seen[it.Query]; ok {
			return nil, fmt.Errorf("%s:%d: query repeats line %d (queries name episodes, so each must be unique)", name, n, first)
		}
		seen[it.Query] = n
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s: a line is longer than %d bytes", name, maxItemLine)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf(`%s: no items (want one JSON object a line: {"query": "...", "gold": "..."})`, name)
	}
	return items, nil
}
