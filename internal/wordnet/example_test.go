package wordnet_test

import (
	"fmt"
	"strings"

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
