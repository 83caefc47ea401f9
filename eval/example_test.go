package eval_test

import (
	"bytes"
	"fmt"
	"image/png"
	"log"
	"os"

	"github.com/spag-go/spag/eval"
)

func ExampleWilson() {
	lo, hi := eval.Wilson(81, 263, 0) // 0 selects the 95% quantile
	fmt.Printf("81/263 = %.3f, 95%% interval [%.3f, %.3f]\n", 81.0/263, lo, hi)
	lo, hi = eval.Wilson(0, 10, 0)
	fmt.Printf("0/10: [%.3f, %.3f]\n", lo, hi)
	// Output:
	// 81/263 = 0.308, 95% interval [0.255, 0.366]
	// 0/10: [0.000, 0.278]
}

func ExampleNewcombeDiff() {
	// The policy won 68 of 100 games as attacker; the baseline won 51 of 100.
	d := eval.NewcombeDiff(68, 100, 51, 100, 0)
	fmt.Printf("difference %+.3f, 95%% interval [%+.3f, %+.3f], separated from 0: %v\n", d.Diff, d.Lo, d.Hi, d.Excludes0())
	// Output:
	// difference +0.170, 95% interval [+0.034, +0.298], separated from 0: true
}

func ExampleWriteMarkdown() {
	r := eval.Report{
		Title: "two rounds",
		Rounds: []eval.RoundResult{
			{Round: 1, Opponent: "imitation", Role: "attacker", Wins: 58, Games: 100, BaselineWins: 49, BaselineGames: 100},
			{Round: 2, Opponent: "imitation", Role: "attacker", Wins: 68, Games: 100, BaselineWins: 51, BaselineGames: 100},
		},
		Figures: []eval.FigureLink{{Caption: "win rates", Path: "winrates.png"}},
	}
	if err := eval.WriteMarkdown(os.Stdout, r); err != nil {
		log.Fatal(err)
	}
	// Output:
	// # two rounds
	//
	// ## Evaluation
	//
	// Win rates with 95% Wilson intervals; differences from the baseline with 95% Newcombe intervals, **bold** where the interval excludes 0.
	//
	// | round | opponent | role | wins/games | win rate | 95% interval | baseline | difference | 95% interval |
	// | --- | --- | --- | --- | --- | --- | --- | --- | --- |
	// | 1 | imitation | attacker | 58/100 | 58.0% | 48.2% – 67.2% | 49/100 (49.0%) | +9.0 pp | -4.8 pp to +22.3 pp |
	// | 2 | imitation | attacker | 68/100 | 68.0% | 58.3% – 76.3% | 51/100 (51.0%) | **+17.0 pp** | +3.4 pp to +29.8 pp |
	//
	// ![win rates](<winrates.png>)
}

func ExampleWinRatePlot() {
	fig, err := eval.WinRatePlot("win rate per round", []eval.RoundResult{
		{Round: 1, Opponent: "imitation", Role: "attacker", Wins: 58, Games: 100, BaselineWins: 49, BaselineGames: 100},
		{Round: 1, Opponent: "imitation", Role: "defender", Wins: 27, Games: 100, BaselineWins: 20, BaselineGames: 100},
	}, 0)
	if err != nil {
		log.Fatal(err)
	}
	// fig.Save(dir, "winrates") writes winrates.svg and winrates.png.
	var b bytes.Buffer
	if err := fig.WritePNG(&b); err != nil {
		log.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Bounds().Dx(), "x", img.Bounds().Dy(), "pixels")
	// Output:
	// 1296 x 480 pixels
}

func ExampleWriteText() {
	rs := []eval.RoundResult{
		{Round: 1, Opponent: "imitation", Role: "attacker", Wins: 68, Games: 100, BaselineWins: 51, BaselineGames: 100},
		{Round: 1, Opponent: "imitation", Role: "defender", Wins: 27, Games: 100, BaselineWins: 20, BaselineGames: 100},
	}
	if err := eval.WriteText(os.Stdout, rs, 0); err != nil {
		log.Fatal(err)
	}
	// Output:
	// round  opponent   role      wins/games  win rate  95% interval   baseline        difference  95% interval
	// 1      imitation  attacker  68/100      68.0%     58.3% - 76.3%  51/100 (51.0%)  +17.0 pp *  +3.4 pp to +29.8 pp
	// 1      imitation  defender  27/100      27.0%     19.3% - 36.4%  20/100 (20.0%)  +7.0 pp     -4.8 pp to +18.5 pp
	// * the difference's interval excludes 0
}
