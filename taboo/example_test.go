package taboo_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/taboo"
)

// Example plays one scripted episode: the defender answers the attacker's
// hints and finally guesses the word.
func Example() {
	g, err := taboo.New(taboo.Params{MaxTurns: 5, Judge: judge.NewSpag()})
	if err != nil {
		log.Fatal(err)
	}
	s, err := g.NewState(game.Setup{Subject: "violin"})
	if err != nil {
		log.Fatal(err)
	}
	script := []string{
		"Which instrument in a string quartet carries the melody most often?",
		"The first chair, I suppose, the one tucked under the chin.",
		"And what is that one called?",
		"I know the word! It is violin!",
	}
	for _, text := range script {
		if s.IsTerminal() {
			break
		}
		role := g.Roles()[s.CurrentPlayer()]
		if err := s.Apply(text); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s\n", role, text)
	}
	v := s.Verdict()
	fmt.Printf("%s at utterance %d (%s, judge %s)\n", v.Outcome, v.DecidedAt, v.Rule, v.Judge)
	fmt.Println("in SPAG's files:", taboo.SPAGOutcome(v.Outcome))
	// Output:
	// attacker: Which instrument in a string quartet carries the melody most often?
	// defender: The first chair, I suppose, the one tucked under the chin.
	// attacker: And what is that one called?
	// defender: I know the word! It is violin!
	// defender_wins at utterance 4 (defender.correct_guess, judge spag@1)
	// in SPAG's files: defender wins
}

// ExampleGame_PromptFor rebuilds the prompt the defender saw before its first
// utterance; the target word never reaches the defender.
func ExampleGame_PromptFor() {
	g, err := taboo.New(taboo.Params{MaxTurns: 5, Style: taboo.StyleChat})
	if err != nil {
		log.Fatal(err)
	}
	history := []game.Message{{Role: "attacker", Content: "Do you play any music?"}}
	p, err := g.PromptFor("violin", history, 2)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range p.Messages {
		fmt.Printf("%s: %.40s…\n", m.Role, m.Content)
	}
	// Output:
	// system: You are the defender in a game of Advers…
	// user: Do you play any music?…
}

// ExampleParse rebuilds a game from the string a run recorded.
func ExampleParse() {
	g, err := taboo.Parse("taboo(max_turns=3,judge=spag@1,style=transcript)")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.MaxTurns(), taboo.JudgeID(g.Judge()), g.Style())
	// Output:
	// 3 spag@1 transcript
}

// ExampleParseWords reads a word list; comments and blank lines are skipped.
func ExampleParseWords() {
	list := "# fruit\napple\n\n  Pear  \n"
	words, err := taboo.ParseWords(strings.NewReader(list), "fruit.txt")
	fmt.Println(words, err)
	_, err = taboo.ParseWords(strings.NewReader("apple\nice cream\n"), "fruit.txt")
	fmt.Println(err)
	// Output:
	// [apple pear] <nil>
	// fruit.txt:2: "ice cream" holds more than one word; put one word per line
}
