package cmdutil

import (
	"bufio"
	"io"

	"github.com/spag-go/spag/internal/atomicfile"
)

// WriteOut writes through fn to the file path, or to stdout for "-" or "".
// A regular file is written atomically, so a failed command never leaves a
// truncated file behind; a device, a pipe or a symbolic link's target is
// written through (see package atomicfile).
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
