package rl_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/spag-go/spag/rl"
)

// ExampleWriteSPAGTraining mixes supervised data into self-play samples and
// writes them in the array SPAG's trainer reads.
func ExampleWriteSPAGTraining() {
	sft, err := rl.ReadSFT(strings.NewReader(`[{"query": "Name a colour.", "target": "Blue."}]`), "sft.json")
	if err != nil {
		log.Fatal(err)
	}
	samples := append([]rl.Sample{{
		Query: "You defend. ...", Target: "I know the word! It is kettle!",
		Reward: 1, Weight: 1, Role: "defender",
		Provenance: rl.Provenance{Judge: "strict@1", Run: "example"},
	}}, sft...)
	if err := rl.WriteSPAGTraining(os.Stdout, samples); err != nil {
		log.Fatal(err)
	}
	// Output:
	// [
	//   {
	//     "query": "You defend. ...",
	//     "target": "I know the word! It is kettle!",
	//     "reward": 1,
	//     "weight": 1,
	//     "role": "defender",
	//     "judge": "strict@1",
	//     "run": "example"
	//   },
	//   {
	//     "query": "Name a colour.",
	//     "target": "Blue.",
	//     "weight": 1,
	//     "type": "sft"
	//   }
	// ]
}

// ExampleReadCorpus reads the texts spag model init trains a tokenizer on:
// a SPAG training file's queries and targets.
func ExampleReadCorpus() {
	dir, err := os.MkdirTemp("", "corpus")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "train.json")
	data := `[{"query": "Give a clue.", "target": "It grows on trees.", "reward": 1, "weight": 1, "role": "attacker"}]`
	if err := os.WriteFile(path, []byte(data), 0o666); err != nil {
		fmt.Println(err)
		return
	}
	texts, err := rl.ReadCorpus(path)
	fmt.Printf("%q %v\n", texts, err)
	// Output:
	// ["Give a clue." "It grows on trees."] <nil>
}
