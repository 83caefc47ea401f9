package judge_test

import (
	"fmt"

	"github.com/spag-go/spag/judge"
)

func ExampleByName() {
	j, err := judge.ByName("strict")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(j.Name(), j.Version())

	_, err = judge.ByName("lenient")
	fmt.Println(err)
	// Output:
	// strict 1
	// unknown judge "lenient": use one of strict, spag (strict is recommended; spag reproduces the SPAG paper's reference code)
}

func ExampleJudge() {
	history := []judge.Utterance{
		{Role: judge.Attacker, Text: "It grows on trees and keeps the doctor away."},
		{Role: judge.Defender, Text: "I know the word! It is apples."},
	}
	for _, name := range judge.Names() {
		j, _ := judge.ByName(name)
		v := j.Judge("apple", 5, history)
		ev := v.Evidence
		fmt.Printf("%s: %s at %d by %s: %q\n", name, v.Outcome, v.DecidedAt, v.Rule,
			history[ev.Utterance-1].Text[ev.Start:ev.End])
	}
	// Output:
	// strict: defender_wins at 2 by defender.correct_guess: "I know the word! It is apples"
	// spag: defender_wins at 2 by defender.correct_guess: "I know the word! It is apple"
}

// The engine judges each utterance as it arrives and stops at the first
// decisive one.
func ExampleJudge_start() {
	ep := judge.NewSpag().Start("sun", 5)
	for _, u := range []judge.Utterance{
		{Role: judge.Attacker, Text: "It rises in the east."},
		{Role: judge.Defender, Text: "Is it Sunday morning?"},
		{Role: judge.Attacker, Text: "never judged"},
	} {
		v, over := ep.Next(u)
		fmt.Println(v.Outcome == judge.Undecided, v.DecidedAt, v.Rule != "")
		if over {
			break
		}
	}
	// Output:
	// true 1 false
	// false 2 true
}

func ExampleFinish() {
	ep := judge.NewStrict().Start("sun", 5)
	v, _ := ep.Next(judge.Utterance{Role: judge.Attacker, Text: "It rises in the east."})
	fmt.Printf("%+v\n", judge.Finish(v))
	// Output:
	// {Outcome:tie DecidedAt:1 Rule:history_ended Evidence:{Utterance:0 Start:0 End:0}}
}

func ExamplePlural() {
	for _, w := range []string{"child", "mouse", "knife", "box", "city", "analysis"} {
		fmt.Print(judge.Plural(w), " ")
	}
	fmt.Println()
	// Output:
	// children mice knives boxes cities analyses
}

func ExampleGuessedWord() {
	w, ok := judge.GuessedWord("I know the word! It is an Apple.")
	fmt.Println(w, ok)
	_, ok = judge.GuessedWord("Do I know the word? Not yet.")
	fmt.Println(ok)
	// Output:
	// apple true
	// false
}
