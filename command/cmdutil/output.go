package cmdutil

import "io"

// ReportTo is where a command that wrote its data to path says so:
// stderr when the data went to stdout ("-"), else stdout.
func (s *IOStreams) ReportTo(path string) io.Writer {
	if path == "-" {
		return s.ErrOut
	}
	return s.Out
}
