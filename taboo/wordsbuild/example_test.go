package wordsbuild_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/taboo/wordsbuild"
)

func ExampleWriteWordList() {
	var b strings.Builder
	if err := wordsbuild.WriteWordList(&b, []string{"apple", "bridge"}); err != nil {
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
	err := wordsbuild.WriteDefinitions(&b, 1, []definitions.Entry{{
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
