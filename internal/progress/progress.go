// Package progress reports a long run to a person: a redrawn progress bar
// with ETA, throughput and running win rates on a terminal, or periodic log
// lines otherwise (so that piped output and CI logs stay readable).
package progress

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// Meter counts durable episodes and renders progress. It is safe for
// concurrent use.
type Meter struct {
	w        io.Writer
	terminal bool
	total    int
	every    time.Duration
	now      func() time.Time

	mu       sync.Mutex
	start    time.Time
	last     time.Time
	done     int
	errored  int
	outcomes map[string]int
	columns  []Column
	drawn    bool
}

// Options configure a [Meter].
type Options struct {
	// Terminal selects the redrawn bar; otherwise log lines are written.
	Terminal bool
	// Every is the interval between redraws (terminal, default 100ms) or
	// log lines (default 5s).
	Every time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Columns are the outcome rates the line shows; nil means one for
	// each outcome seen so far, by name, labelled with it.
	Columns []Column
}

// Column is one outcome rate of the progress line.
type Column struct {
	Label   string // the role's label, as the game names it
	Outcome string // the outcome whose rate this is
}

// New returns a meter for a run of total episodes writing to w.
func New(w io.Writer, total int, opts Options) *Meter {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	every := opts.Every
	if every == 0 {
		every = 5 * time.Second
		if opts.Terminal {
			every = 100 * time.Millisecond
		}
	}
	t := now()
	return &Meter{w: w, terminal: opts.Terminal, total: total, every: every, now: now,
		start: t, last: t, outcomes: map[string]int{}, columns: opts.Columns}
}

// Add records finished episodes: outcome is "" for an errored one.
func (m *Meter) Add(outcomes ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range outcomes {
		m.done++
		if o == "" {
			m.errored++
		} else {
			m.outcomes[o]++
		}
	}
	if t := m.now(); t.Sub(m.last) >= m.every {
		m.last = t
		m.render(t)
	}
}

// Finish draws the final state and ends the bar's line.
func (m *Meter) Finish() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.render(m.now())
	if m.terminal && m.drawn {
		fmt.Fprintln(m.w)
	}
}

// Line is the current progress as one line of text.
func (m *Meter) Line() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.line(m.now())
}

func (m *Meter) render(t time.Time) {
	line := m.line(t)
	if m.terminal {
		// \r plus erase-to-end-of-line redraws in place.
		fmt.Fprintf(m.w, "\r%s\x1b[K", line)
		m.drawn = true
		return
	}
	fmt.Fprintln(m.w, line)
}

func (m *Meter) line(t time.Time) string {
	elapsed := t.Sub(m.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(m.done) / elapsed
	}
	var b strings.Builder
	if m.terminal && m.total > 0 {
		const width = 24
		filled := width * m.done / m.total
		b.WriteByte('[')
		b.WriteString(strings.Repeat("#", filled))
		b.WriteString(strings.Repeat(".", width-filled))
		b.WriteString("] ")
	}
	fmt.Fprintf(&b, "%d/%d", m.done, m.total)
	if m.total > 0 {
		fmt.Fprintf(&b, " %3.0f%%", 100*float64(m.done)/float64(m.total))
	}
	fmt.Fprintf(&b, " %.1f ep/s", rate)
	if rate > 0 && m.total > m.done {
		eta := time.Duration(float64(m.total-m.done) / rate * float64(time.Second))
		fmt.Fprintf(&b, " ETA %s", eta.Round(time.Second))
	}
	judged := m.done - m.errored
	if judged > 0 {
		b.WriteString(" |")
		columns := m.columns
		if columns == nil {
			columns = seenColumns(m.outcomes)
		}
		for _, c := range columns {
			fmt.Fprintf(&b, " %s %.0f%%", c.Label, 100*float64(m.outcomes[c.Outcome])/float64(judged))
		}
	}
	if m.errored > 0 {
		fmt.Fprintf(&b, " | errored %d", m.errored)
	}
	return b.String()
}

// seenColumns are the columns of a meter without configured ones: the
// outcomes seen, by name.
func seenColumns(outcomes map[string]int) []Column {
	cols := make([]Column, 0, len(outcomes))
	for o := range outcomes {
		cols = append(cols, Column{Label: o, Outcome: o})
	}
	slices.SortFunc(cols, func(a, b Column) int { return strings.Compare(a.Outcome, b.Outcome) })
	return cols
}
