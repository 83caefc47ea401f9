package cmdtest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/cmdutil/cmdtest"
)

// newEcho is a root with one subcommand that prints its --word to the
// Factory's streams, as a spag command does.
func newEcho(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{Use: "root"}
	var word string
	echo := &cobra.Command{
		Use:  "echo",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Context() == nil {
				return errors.New("no context")
			}
			fmt.Fprintln(f.IOStreams.Out, word)
			fmt.Fprintln(f.IOStreams.ErrOut, "said", word)
			return nil
		},
	}
	echo.Flags().StringVar(&word, "word", "hi", "what to print")
	root.AddCommand(echo)
	return root
}

func TestExecute(t *testing.T) {
	tests := []struct {
		name                       string
		args                       []string
		wantOut, wantErr, wantFail string
		usage                      bool // the failure is a usage error (exit 2)
	}{
		{name: "runs a subcommand", args: []string{"echo", "--word", "dog"}, wantOut: "dog\n", wantErr: "said dog\n"},
		{name: "a flag error is a usage error", args: []string{"echo", "--colour"}, wantFail: "unknown flag: --colour", usage: true},
		{name: "an argument is refused", args: []string{"echo", "x"}, wantFail: "takes no arguments", usage: true},
		{name: "help goes to the buffer", args: []string{"echo", "--help"}, wantOut: "what to print"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, err := cmdtest.Execute(t, newEcho, tt.args...)
			if tt.wantFail != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantFail) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantFail)
				}
				if isUsage := errors.As(err, new(cmdutil.UsageError)); isUsage != tt.usage {
					t.Errorf("err = %T (%v), usage error %v, want %v", err, err, isUsage, tt.usage)
				}
				if out != "" || errOut != "" {
					t.Errorf("a refused command printed %q and %q: usage is silenced", out, errOut)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tt.wantOut) || errOut != tt.wantErr {
				t.Errorf("stdout %q, stderr %q; want stdout containing %q, stderr %q", out, errOut, tt.wantOut, tt.wantErr)
			}
		})
	}
}
