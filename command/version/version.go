// Package versioncmd is `spag version`: the code version that runs
// record, the Go that built spag and the matrix kernel this machine uses.
package versioncmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/internal/mat"
	"github.com/spag-go/spag/internal/version"
)

// Options are every input of `spag version`.
type Options struct {
	IO *cmdutil.IOStreams
}

// NewCmdVersion returns the command; runF does the work (nil: [Run]).
func NewCmdVersion(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of spag, the Go it was built with and its matrix kernel",
		Long: `version prints the code version that runs record (code_version), the Go
version and platform of the build, and the matrix kernel this machine uses
(avx512, avx2-fma or generic; see internal/mat). The code version is a version stamped at
build time (go build -ldflags "-X github.com/spag-go/spag/internal/version.stamp=v1.2.3"),
else the git commit that go build records in a checkout ("+dirty" with
uncommitted changes), else the module version of go install, else "devel"
with the SHA-256 of the binary (go run and -buildvcs=false builds record no
commit).`,
		Example: `  spag version
  spag --version`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
}

// Run prints the versions on opts.IO.Out.
func Run(_ context.Context, opts *Options) error {
	_, err := fmt.Fprintf(opts.IO.Out, "spag %s\n%s\nmatrix kernel %s\n", version.Code(), version.Go(), mat.Path())
	return err
}
