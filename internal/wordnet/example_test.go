package wordnet_test

import (
	"fmt"

	"github.com/spag-go/spag/internal/wordnet"
)

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
