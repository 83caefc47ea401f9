package cmdutil

import (
	"bufio"
	"io"

	"github.com/spag-go/spag/internal/atomicfile"
)

// WriteOut writes a command's output file with fn: atomically to path,
// so that a failed or interrupted command leaves no partial file, or to
// stdout for "-" (and "").
func WriteOut(path string, stdout io.Writer, fn func(io.Writer) error) error {
	if path == "-" || path == "" {
		w := bufio.NewWriter(stdout)
		if err := fn(w); err != nil {
			return err
		}
		return w.Flush()
	}
	return atomicfile.Write(path, fn)
}

// ReportTo is where a command that wrote its data to path says so:
// stderr when the data went to stdout ("-"), else stdout.
func (s *IOStreams) ReportTo(path string) io.Writer {
	if path == "-" {
		return s.ErrOut
	}
	return s.Out
}
