package tui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/spag-go/spag/internal/atomicfile"
)

// LogFile is the file logs go to while the UI owns the screen (see
// [OpenLog]). It is not safe for concurrent use beyond what *os.File is.
type LogFile struct {
	*os.File
	// own is set for a file OpenLog made for this process: an empty one
	// is removed on Close, so sessions that log nothing leave nothing.
	own bool
}

// Close closes the file, removing it when OpenLog created it and nothing
// was written.
func (l *LogFile) Close() error {
	fi, statErr := l.File.Stat()
	err := l.File.Close()
	if l.own && statErr == nil && fi.Size() == 0 {
		os.Remove(l.Name())
	}
	return err
}

// OpenLog opens the file for the standard logger while the UI runs.
// getenv reads the environment (os.Getenv, or a test's map).
//
// $SPAG_LOG, when set, is the user's own choice: it is appended to like
// any output file (a link there is followed). Otherwise each process gets
// a new file spag-tui-PID.log in the user's state directory
// ($XDG_STATE_HOME/spag, or ~/.local/state/spag), which is created 0700
// and must belong to the user and be writable by nobody else. That file is
// created exclusively and never through a link: a fixed name in a shared
// directory such as /tmp let another user plant a link that made spag
// create or append to a file elsewhere, or leave a file there that no one
// else could open. An error means there is no log; it should not stop the
// UI.
func OpenLog(getenv func(string) string, pid int) (*LogFile, error) {
	if p := getenv("SPAG_LOG"); p != "" {
		f, err := atomicfile.Append(p)
		if err != nil {
			return nil, fmt.Errorf("$SPAG_LOG: %w", err)
		}
		return &LogFile{File: f}, nil
	}
	dir, err := stateDir(getenv)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return nil, fmt.Errorf("log directory %s belongs to user %d, not to you (%d)", dir, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("log directory %s is writable by others (%v); chmod go-w it", dir, fi.Mode().Perm())
	}
	// A name is taken when an earlier process with the same id left its
	// log, or when something was planted there: try the next one.
	for try := 0; try < 100; try++ {
		name := "spag-tui-" + strconv.Itoa(pid) + ".log"
		if try > 0 {
			name = "spag-tui-" + strconv.Itoa(pid) + "-" + strconv.Itoa(try) + ".log"
		}
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("log file: %w", err)
		}
		return &LogFile{File: f, own: true}, nil
	}
	return nil, fmt.Errorf("log file: 100 names for process %d taken in %s", pid, dir)
}

// stateDir is spag's directory under the XDG state home.
func stateDir(getenv func(string) string) (string, error) {
	// The XDG base directory spec says a relative path is to be ignored.
	if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "spag"), nil
	}
	home := getenv("HOME")
	if !filepath.IsAbs(home) {
		return "", errors.New("log directory: neither $XDG_STATE_HOME nor $HOME is an absolute path; set $SPAG_LOG to choose a log file")
	}
	return filepath.Join(home, ".local", "state", "spag"), nil
}
