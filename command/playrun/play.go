package playrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/tui"
)

// ResumeRun opens the stored run id of the game gameName in session for
// --resume. Its errors say what to do: a missing database or run is a
// usage error, and a run of another game names the command that resumes
// it (from reg).
func ResumeRun(ctx context.Context, reg *Registry, session *selfplay.Session, id, gameName string) (*episodes.Run, error) {
	run, err := session.Resume(ctx, id, gameName)
	var mismatch *selfplay.GameMismatchError
	switch {
	case errors.Is(err, selfplay.ErrNoDatabase):
		return nil, cmdutil.Usagef("--resume %s: cannot open --db %s: %v", id, session.Path, err)
	case errors.Is(err, episodes.ErrNotFound):
		return nil, cmdutil.Usagef("--resume %s: no such run in %s (%s)", id, session.Path, cmdutil.ListRunsHint(session.Path))
	case errors.As(err, &mismatch):
		return nil, cmdutil.Usagef("--resume %s: %v; resume it with: spag %s --db %s --resume %s", id, err, reg.CommandOf(mismatch.Game), session.Path, mismatch.RunID)
	case err != nil:
		return nil, err
	}
	return run, nil
}

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
