package eval

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"testing"
)

// bigTraining is ten rounds of 5,000 steps, a long loop's metrics.
func bigTraining() []TrainingPoint {
	var pts []TrainingPoint
	for round := 1; round <= 10; round++ {
		for step := 1; step <= 5000; step++ {
			s := float64(step)
			pts = append(pts, TrainingPoint{Round: round, Step: step, Loss: 2 + math.Exp(-s/500) + 0.1*math.Sin(s/7), KL: 1e-5 * s, ClipFrac: 0.2 * math.Exp(-s/1000)})
		}
	}
	return pts
}

// BenchmarkTrainingPlot draws and writes the long loop's curves; the
// SVG's size is reported as svg-bytes.
func BenchmarkTrainingPlot(b *testing.B) {
	pts := bigTraining()
	for _, format := range []string{"svg", "png"} {
		b.Run(format, func(b *testing.B) {
			var size int
			for b.Loop() {
				f, err := TrainingPlot("long", pts)
				if err != nil {
					b.Fatal(err)
				}
				var buf bytes.Buffer
				if format == "svg" {
					err = f.WriteSVG(&buf)
				} else {
					err = f.WritePNG(&buf)
				}
				if err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size), format+"-bytes")
		})
	}
}

// BenchmarkWinRatePlot draws 50 rounds against 3 opponents in 2 roles.
func BenchmarkWinRatePlot(b *testing.B) {
	var rs []RoundResult
	for round := range 50 {
		for o := range 3 {
			for _, role := range []string{"attacker", "defender"} {
				rs = append(rs, RoundResult{Round: round, Opponent: fmt.Sprint("opponent ", o), Role: role, Wins: 40 + round%20, Games: 100, BaselineWins: 45, BaselineGames: 100})
			}
		}
	}
	for b.Loop() {
		f, err := WinRatePlot("long", rs, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.WritePNG(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
