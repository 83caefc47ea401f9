package definitions_test

import (
	"bytes"
	"fmt"

	"github.com/spag-go/spag/apo/definitions"
)

func ExampleBuiltin() {
	all, err := definitions.Builtin()
	if err != nil {
		fmt.Println(err)
		return
	}
	e := all[0]
	fmt.Println(e.Word, e.POS, e.Synset, e.Hypernym, e.Split)
	fmt.Println(e.Gloss)
	// Output:
	// person noun 00007846-n organism train
	// a human being
}

func ExampleEntries() {
	for _, source := range []string{definitions.Source, definitions.SourceTrain, definitions.SourceHeldOut} {
		entries, err := definitions.Entries(source)
		fmt.Println(source, len(entries), err)
	}
	// Output:
	// definitions 4614 <nil>
	// definitions:train 4135 <nil>
	// definitions:heldout 479 <nil>
}

func ExampleIsSource() {
	fmt.Println(definitions.IsSource("definitions:heldout"), definitions.IsSource("builtin"))
	// Output: true false
}

func ExampleOfSplit() {
	entries := []definitions.Entry{{Word: "dog", Split: definitions.Train}, {Word: "have", Split: definitions.HeldOut}}
	fmt.Println(definitions.OfSplit(entries, definitions.HeldOut)[0].Word)
	// Output: have
}

func ExampleQuery() {
	fmt.Println(definitions.Query("dog"))
	// Output: What does the word "dog" mean?
}

// The task's yardstick: does a definition find its word among the
// task's 4,614? It matches words, not meanings: a definition that shares
// no term with the gloss (dog's does not say "canine" or "pet") finds
// nothing.
func ExampleReverseDictionary() {
	all, _ := definitions.Builtin()
	ix, err := definitions.ReverseDictionary(all)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, def := range []string{
		"a domesticated mammal of the genus Canis",
		"an animal domesticated by man since prehistoric times",
		"a canine kept as a pet",
	} {
		rank, _ := ix.Rank(def, "dog")
		fmt.Printf("dog ranks %d; the best match is %s\n", rank, ix.Lookup(def, 1)[0].Word)
	}
	// Output:
	// dog ranks 1; the best match is dog
	// dog ranks 2; the best match is horse
	// dog ranks 4614; the best match is livestock
}

// Each held-out word's gloss over a relative's (hard) and over a random
// word's (easy): the items of the first held-out word with a relative
// among the held-out words.
func ExamplePreferences() {
	entries, _ := definitions.Entries(definitions.SourceHeldOut)
	prefs, err := definitions.Preferences(entries, definitions.PreferenceOptions{Hard: 1, Easy: 1, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	first := ""
	for _, p := range prefs {
		if first == "" && p.Hard {
			first = p.Word
		}
		if p.Word != first {
			continue
		}
		fmt.Printf("%s over %s (hard %v): %q > %q\n", p.Word, p.Negative, p.Hard, p.Responses[0], p.Responses[1])
	}
	// Output:
	// work over fun (hard true): "activity directed toward making or doing something" > "activities that are enjoyable or amusing"
	// work over legislation (hard false): "activity directed toward making or doing something" > "law enacted by a legislative body"
}

func ExampleWrite() {
	var b bytes.Buffer
	err := definitions.Write(&b, []string{"made by hand"}, []definitions.Entry{{
		Word: "dog", POS: definitions.Noun, Gloss: "a domesticated canine", Synset: "02084071-n",
		Ancestors: []string{"02083346-n"}, Hypernym: "canine", Split: definitions.Train,
	}})
	fmt.Println(err)
	entries, err := definitions.Read(&b, "dog.jsonl.gz")
	fmt.Println(entries[0].Word, entries[0].Hypernym, err)
	// Output:
	// <nil>
	// dog canine <nil>
}

func ExampleRead() {
	_, err := definitions.Read(bytes.NewReader([]byte("not gzip")), "broken.jsonl.gz")
	fmt.Println(err)
	// Output: read definitions broken.jsonl.gz: not a gzip file: unexpected EOF
}
