package eval

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Made records the figure files that saving created, as opposed to those
// it replaced, so that a command failing later (a full disk while writing
// the page) can remove them and leave nothing new behind. Replaced files
// stay: each is the whole new figure, and the old one is gone. Its methods
// save figures as the functions of the same names do; a nil *Made records
// nothing. It is not safe for concurrent use.
type Made struct {
	paths []string
}

// Remove removes every file recorded, most recent first, and forgets
// them. It returns the first error other than a file already gone.
func (m *Made) Remove() error {
	if m == nil {
		return nil
	}
	var first error
	for i := len(m.paths) - 1; i >= 0; i-- {
		if err := os.Remove(m.paths[i]); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
			first = err
		}
	}
	m.paths = nil
	return first
}

// save is f.Save recording the files it creates, also when it fails half
// way (the SVG written, the PNG not).
func (m *Made) save(f *Figure, dir, name string) error {
	if m == nil {
		_, err := f.Save(dir, name)
		return err
	}
	var fresh []string
	for _, ext := range []string{".svg", ".png"} {
		p := filepath.Join(dir, name+ext)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			fresh = append(fresh, p)
		}
	}
	_, err := f.Save(dir, name)
	for _, p := range fresh {
		if _, serr := os.Lstat(p); serr == nil {
			m.paths = append(m.paths, p)
		}
	}
	return err
}

// LoopCharts is what a loop's charts are drawn from.
type LoopCharts struct {
	// Rounds are the evaluation's results (rounds from 1), Training the
	// trainer's metrics.
	Rounds   []RoundResult
	Training []TrainingPoint
	// WinRate says how the results are drawn (see [WinRateChart]); its
	// Loop names the loop in both charts' titles. The win-rate chart
	// always starts at round 0, the starting model: WinRate.Start holds
	// its results where the loop has them, and the chart names the series
	// that lack them.
	WinRate WinRateOptions
	// Values are charts of measures that are not win rates, each saved
	// as its Name; Tables are the game's own tables of its page.
	Values []ValueChart
	Tables []Table
}

// SaveLoopFigures draws a loop's charts and saves each in dir as SVG and
// PNG: winrates.* from c.Rounds (see [WinRateChart]) and training.* from
// c.Training (see [TrainingPlot]); a chart without data is skipped. It
// returns links to the PNG files, relative to dir, ready for
// [Report.Figures] when the page is written in dir. Called after every
// round, it redraws the history so far.
func SaveLoopFigures(dir string, c LoopCharts) ([]FigureLink, error) {
	return (*Made)(nil).SaveLoopFigures(dir, c)
}

// SaveLoopFigures is [SaveLoopFigures] recording the files it makes. On
// error it removes every file m recorded, earlier saves' included.
func (m *Made) SaveLoopFigures(dir string, c LoopCharts) (links []FigureLink, err error) {
	defer func() {
		if err != nil {
			err = errors.Join(err, m.Remove())
		}
	}()
	of := ""
	if c.WinRate.Loop != "" {
		of = ", loop " + c.WinRate.Loop
	}
	if len(c.Rounds) > 0 {
		o := c.WinRate
		o.FromStart = true
		if o.Title == "" {
			o.Title = "win rate per round"
		}
		f, err := WinRateChart(c.Rounds, o)
		if err != nil {
			return nil, err
		}
		if err := m.save(f, dir, "winrates"); err != nil {
			return nil, err
		}
		caption := "win rate per round and role, with " + levelName(o.Z) + " intervals"
		if o.ByOpponent {
			caption = "each round's measures, with " + levelName(o.Z) + " intervals"
		}
		links = append(links, FigureLink{Caption: caption, Path: "winrates.png"})
	}
	if len(c.Training) > 0 {
		f, err := TrainingPlot("training per round"+of, c.Training)
		if err != nil {
			return nil, err
		}
		if err := m.save(f, dir, "training"); err != nil {
			return nil, err
		}
		links = append(links, FigureLink{Caption: "loss, KL estimate and clip fraction per step", Path: "training.png"})
	}
	for _, v := range c.Values {
		if v.Title != "" && c.WinRate.Loop != "" {
			v.Title += ", loop " + c.WinRate.Loop
		}
		f, err := ValueFigure(v)
		if err != nil {
			return nil, err
		}
		if err := m.save(f, dir, v.Name); err != nil {
			return nil, err
		}
		links = append(links, FigureLink{Caption: v.Caption, Path: v.Name + ".png"})
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
	return (*Made)(nil).SaveRunFigures(dir, prefix, run)
}

// SaveRunFigures is [SaveRunFigures] recording the files it makes. On
// error it removes every file m recorded, earlier saves' included.
func (m *Made) SaveRunFigures(dir, prefix string, run RunSummary) (links []FigureLink, err error) {
	defer func() {
		if err != nil {
			err = errors.Join(err, m.Remove())
		}
	}()
	save := func(f *Figure, name, caption string) error {
		if err := m.save(f, dir, prefix+name); err != nil {
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
		f, err := ShareChart(fmt.Sprintf("outcomes of run %s", run.ID), "outcome", "episodes", bars, 0)
		if err != nil {
			return nil, err
		}
		if err := save(f, "outcomes", "outcomes, with 95% intervals"); err != nil {
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
