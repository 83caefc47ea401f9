package revdict_test

import (
	"fmt"

	"github.com/spag-go/spag/apo/revdict"
)

func ExampleNew() {
	ix, err := revdict.New([]string{"dog", "river"}, []string{"a domesticated mammal that barks", "a large natural stream of water"})
	fmt.Println(ix.Len(), err)
	// Output: 2 <nil>
}

func ExampleIndex_Lookup() {
	ix, _ := revdict.New([]string{"dog", "wolf", "river"}, []string{
		"a domesticated carnivorous mammal that barks",
		"a wild carnivorous mammal that hunts in packs",
		"a large natural stream of water",
	})
	for _, m := range ix.Lookup("a mammal that lives in packs", 5) {
		fmt.Printf("%s %.2f\n", m.Word, m.Score)
	}
	// Output:
	// wolf 0.62
	// dog 0.26
}

// A definition finds its word when it describes it; naming the word does
// not count.
func ExampleIndex_Rank() {
	ix, _ := revdict.New([]string{"dog", "wolf", "river"}, []string{
		"a domesticated carnivorous mammal that barks",
		"a wild carnivorous mammal that hunts in packs",
		"a large natural stream of water",
	})
	for _, def := range []string{"an animal that barks", "a dog", ""} {
		rank, err := ix.Rank(def, "dog")
		fmt.Printf("%q: %d %v\n", def, rank, err)
	}
	// Output:
	// "an animal that barks": 1 <nil>
	// "a dog": 3 <nil>
	// "": 3 <nil>
}

func ExampleIndex_Rates() {
	ix, _ := revdict.New([]string{"dog", "wolf", "river"}, []string{
		"a domesticated carnivorous mammal that barks",
		"a wild carnivorous mammal that hunts in packs",
		"a large natural stream of water",
	})
	r, err := ix.Rates([]string{"dog", "wolf", "river"}, []string{"it barks", "a carnivorous mammal", "wet"})
	fmt.Println(r, err)
	// Output: top-1 0.333 (1/3), top-5 1.000 (3/3) <nil>
}

func ExampleRates_Add() {
	var r revdict.Rates
	for _, rank := range []int{1, 3, 9, 1} {
		r.Add(rank)
	}
	fmt.Printf("%.2f %.2f\n", r.Top1Rate(), r.Top5Rate())
	fmt.Println(r)
	// Output:
	// 0.50 0.75
	// top-1 0.500 (2/4), top-5 0.750 (3/4)
}

func ExampleTerms() {
	fmt.Println(revdict.Terms("A member of the genus Canis; occurs in many breeds"))
	// Output: [member genus canis occurs many breeds]
}
