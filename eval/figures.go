package eval

import (
	"fmt"
	"path/filepath"
)

// SaveLoopFigures draws a loop's charts and saves each in dir as SVG and
// PNG: winrates.* from rounds (see [WinRatePlot]) and training.* from
// training (see [TrainingPlot]); a chart without data is skipped. It
// returns links to the PNG files, relative to dir, ready for
// [Report.Figures] when the page is written in dir. Called after every
// round, it redraws the history so far.
func SaveLoopFigures(dir string, rounds []RoundResult, training []TrainingPoint, z float64) ([]FigureLink, error) {
	var links []FigureLink
	if len(rounds) > 0 {
		f, err := WinRatePlot("win rate per round", rounds, z)
		if err != nil {
			return nil, err
		}
		if _, err := f.Save(dir, "winrates"); err != nil {
			return nil, err
		}
		links = append(links, FigureLink{Caption: "win rate per round and role, with " + levelName(z) + " intervals", Path: "winrates.png"})
	}
	if len(training) > 0 {
		f, err := TrainingPlot("training per round", training)
		if err != nil {
			return nil, err
		}
		if _, err := f.Save(dir, "training"); err != nil {
			return nil, err
		}
		links = append(links, FigureLink{Caption: "loss, KL and clip fraction per step", Path: "training.png"})
	}
	return links, nil
}

// SaveRunFigures draws a run's outcome mix and decided_at histogram and
// saves them in dir as PREFIXoutcomes.* and PREFIXdecided_at.* (SVG and
// PNG); a chart without data is skipped. prefix keeps the files of
// several runs apart in one directory (say the run's ID and "-"), and
// must make a plain file name. It returns links to the PNG files, relative
// to dir, for [RunSummary.Figures].
func SaveRunFigures(dir, prefix string, run RunSummary) ([]FigureLink, error) {
	var links []FigureLink
	save := func(f *Figure, name, caption string) error {
		if _, err := f.Save(dir, prefix+name); err != nil {
			return err
		}
		links = append(links, FigureLink{Caption: caption, Path: filepath.ToSlash(prefix + name + ".png")})
		return nil
	}
	if len(run.Outcomes) > 0 {
		bars := make([]Bar, len(run.Outcomes))
		for i, o := range run.Outcomes {
			bars[i] = Bar{Label: o.Outcome, Count: o.Count}
		}
		f, err := BarChart(fmt.Sprintf("outcomes of run %s", run.ID), "outcome", "episodes", bars)
		if err != nil {
			return nil, err
		}
		if err := save(f, "outcomes", "outcomes"); err != nil {
			return nil, err
		}
	}
	if len(run.DecidedAt) > 0 {
		f, err := Histogram(fmt.Sprintf("decided_at of run %s", run.ID), "utterance at which the episode was decided", run.DecidedAt)
		if err != nil {
			return nil, err
		}
		if err := save(f, "decided_at", "decided_at histogram"); err != nil {
			return nil, err
		}
	}
	return links, nil
}
