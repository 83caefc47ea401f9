package cmdutil

import (
	"fmt"
	"io"
	"os"

	"github.com/spag-go/spag/tui"
)

// NoColor reports whether the user asked for no colour (https://no-color.org).
func NoColor() bool { return os.Getenv("NO_COLOR") != "" }

// TUILog opens where logs go while the terminal UI owns the screen (see
// tui.OpenLog). Without a log file the UI still runs: it says why on
// errOut and discards the logs.
func TUILog(errOut io.Writer) (io.Writer, func()) {
	f, err := tui.OpenLog(os.Getenv, os.Getpid())
	if err != nil {
		fmt.Fprintf(errOut, "spag: no log file while the terminal UI runs: %v\n", err)
		return nil, func() {}
	}
	return f, func() { f.Close() }
}
