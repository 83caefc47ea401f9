// Package cmdtest holds what the command packages' tests share: parsing a
// command's flags in process, as its users type them, running a command
// in process as spag's root runs it, and checking that a refused command
// line is a usage error (exit 2) that says why.
package cmdtest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
)

// Parse builds the command with newCmd on test streams, gives it args and
// returns the options its run function would have got (nil when parsing
// failed), and the error.
func Parse[O any](t testing.TB, newCmd func(*cmdutil.Factory, func(context.Context, *O) error) *cobra.Command, args ...string) (*O, error) {
	t.Helper()
	io, _, _, _ := cmdutil.Test()
	var got *O
	cmd := newCmd(cmdutil.New(io, nil), func(_ context.Context, o *O) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	// As spag's root does: a flag error is a usage error (exit 2).
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.UsageError{Err: err} })
	return got, cmd.Execute()
}

// Execute builds a command with newCmd on test streams and runs it on args
// in process, as spag's root does (no usage printed on error, a flag error
// is a usage error), and returns what it wrote to standard output and
// standard error, and its error. A test that needs another Factory (a run
// summary, say) sets it in newCmd before building the command.
func Execute(t testing.TB, newCmd func(*cmdutil.Factory) *cobra.Command, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	cmd := newCmd(cmdutil.New(io, nil))
	cmd.SetArgs(args)
	// Cobra's own output (help, a subcommand's usage) goes to the same
	// buffers, not to the test binary's terminal.
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.UsageError{Err: err} })
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// Refused checks err against a test row's expectation: with want empty
// there must be no error; otherwise err must be a usage error whose text
// contains want. It reports whether the row expected a refusal, so that
// the caller stops there.
func Refused(t testing.TB, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want one containing %q", err, want)
	}
	if !errors.As(err, new(cmdutil.UsageError)) {
		t.Errorf("err = %T (%v), want a usage error (exit 2)", err, err)
	}
	return true
}
