package wordnet_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/internal/wordnet"
)

func ExampleWriteWordList() {
	var b strings.Builder
	if err := wordnet.WriteWordList(&b, []string{"apple", "bridge"}); err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			fmt.Println(line)
		}
	}
	// Output:
	// apple
	// bridge
}

func ExampleWriteDefinitions() {
	var b bytes.Buffer
	err := wordnet.WriteDefinitions(&b, 1, []definitions.Entry{{
		Word: "dog", POS: definitions.Noun, Gloss: "a domesticated canine", Synset: "02084071-n",
		Ancestors: []string{"02083346-n"}, Hypernym: "canine", Split: definitions.Train,
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	entries, err := definitions.Read(&b, "dog")
	fmt.Println(len(entries), entries[0].Gloss, err)
	// Output: 1 a domesticated canine <nil>
}

// The example has no Output line, so it is compiled but not run: it needs
// WordNet installed (apt-get install wordnet-base).
func ExampleDictionary() {
	d, err := wordnet.OpenDictionary(wordnet.DefaultDir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Has("flooded"), d.Has("compll"), d.BaseForms("cities", wordnet.Noun))
	// Prints: true false [city]
}
