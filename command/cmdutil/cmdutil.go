// Package cmdutil holds what every spag command package shares, in the
// style of the GitHub CLI's cmdutil: a [Factory] of dependencies handed to
// each command's constructor (its I/O streams, how it opens the episode
// store), and the error kinds that decide spag's exit codes.
//
// A command lives in its own package under command/ with an Options struct
// (every input: flags and the dependencies taken from the Factory), a
// NewCmdX(f, runF) constructor that only parses flags into the options,
// and an xRun(opts) function that does the work. Tests call NewCmdX with
// a runF that records the options (flag parsing and usage errors, in
// process) and xRun with [Test] streams against a real database in a
// temporary directory. cmd/spag only assembles the commands.
//
// The package must not know any game or backend.
package cmdutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/selfplay"
)

// UsageError marks an error in how spag was called (flags, arguments):
// spag prints it with a pointer to the command's help and exits with 2.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef formats a [UsageError].
func Usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// NoArgs is cobra.NoArgs returning a [UsageError].
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return Usagef("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// IOStreams are a command's standard streams, and whether its output is a
// terminal (which decides colour, tables and the terminal UI, in one place).
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdoutTTY bool
}

// IsStdoutTTY reports whether Out is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// System returns the process's own streams.
func System() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, stdoutTTY: IsTerminal(os.Stdout)}
}

// Streams wraps streams given by the caller, for instance cobra's, which
// tests redirect; tty says whether out is a terminal.
func Streams(in io.Reader, out, errOut io.Writer, tty bool) *IOStreams {
	return &IOStreams{In: in, Out: out, ErrOut: errOut, stdoutTTY: tty}
}

// Test returns streams backed by buffers, with a terminal-less output.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = new(bytes.Buffer), new(bytes.Buffer), new(bytes.Buffer)
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsTerminal reports whether w is a terminal; a writer that is not a file
// (a buffer in a test) is not.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Factory hands a command its dependencies as values and functions, so a
// test can swap any of them; it holds no state of its own.
type Factory struct {
	IOStreams *IOStreams
	// OpenReader opens an existing database for a command that only reads
	// it; it never creates one.
	OpenReader func(ctx context.Context, path string) (*episodes.Store, error)
	// Interrupts tells a command of the user's Ctrl-C; never nil.
	Interrupts Interrupts
	// RunSummary writes the summary of a stored run, as text or JSON, as
	// spag stats --run prints it: the play commands end with it. cmd/spag
	// sets it; nil prints no summary.
	RunSummary func(ctx context.Context, w io.Writer, store *episodes.Store, runID string, asJSON bool) error
}

// New returns the Factory of a real spag process writing to streams; sig
// is its signal handler (nil: nobody interrupts it, as in most tests).
func New(streams *IOStreams, sig Interrupts) *Factory {
	if sig == nil {
		sig = noInterrupts{}
	}
	return &Factory{IOStreams: streams, OpenReader: OpenReader, Interrupts: sig}
}

// OpenReader opens an existing database read-only, without writing
// anything, so it works in a directory the user cannot write. A missing
// database is a usage error that says how to make one.
func OpenReader(ctx context.Context, path string) (*episodes.Store, error) {
	if err := CheckDBExists(path); err != nil {
		return nil, err
	}
	return episodes.OpenReadOnly(ctx, path, episodes.Options{})
}

// CheckDBExists returns a usage error when the database at path does not
// exist: reading commands never create an empty one by mistake.
func CheckDBExists(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Usagef("--db %s: no such database (run spag selfplay --db %s first)", path, path)
		}
		return fmt.Errorf("--db %s: %w", path, err)
	}
	if fi.Mode().IsRegular() && fi.Size() == 0 {
		// An empty file is what a shell's "> x.db" or a failed copy
		// leaves; SQLite would read it as a database without tables.
		return Usagef("--db %s: the file is empty, not a spag database (run spag selfplay --db %s to store games in it)", path, path)
	}
	return nil
}

// ListRunsHint is the pointer every "no such run" error gives: the
// command that lists a database's runs.
func ListRunsHint(db string) string {
	return "spag runs --db " + db + " lists its runs"
}

// ErrInterrupted reports a run stopped by the user whose message has
// already been printed: spag exits with code 130 and prints nothing more.
var ErrInterrupted = errors.New("interrupted")

// Interrupts is how a command learns of the user's Ctrl-C (see cmd/spag's
// one signal handler).
type Interrupts interface {
	// Drain returns a channel closed at the first interrupt, and makes
	// that interrupt a request to drain rather than a cancellation: the
	// caller promises to stop taking new work once the channel is closed.
	Drain() <-chan struct{}
	// Count is how many interrupts arrived so far.
	Count() int
}

// noInterrupts is the Interrupts of a process nobody can interrupt (tests
// that do not exercise signals).
type noInterrupts struct{}

func (noInterrupts) Drain() <-chan struct{} { return nil }
func (noInterrupts) Count() int             { return 0 }

// ExactArgs is cobra.ExactArgs returning a [UsageError].
func ExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return Usagef("%s takes %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

// CLIError makes the library's errors about what the user wrote usage
// errors of spag (exit status 2): the players package's, and the settings
// of a run, named by their flags.
func CLIError(err error) error {
	var setting *selfplay.SettingError
	switch {
	case errors.As(err, &setting) && setting.Setting != "":
		return UsageError{Err: fmt.Errorf("--%s: %w", setting.Setting, setting.Err)}
	case errors.As(err, &setting), errors.Is(err, players.ErrUsage):
		return UsageError{Err: err}
	}
	return err
}

// CheckError is a configuration's Check error as a usage error of
// command: naming the flag when the error names a setting
// ([selfplay.SettingError]), else after the command's name.
func CheckError(command string, err error) error {
	if errors.As(err, new(*selfplay.SettingError)) {
		return CLIError(err)
	}
	return Usagef("%s: %v", command, err)
}
