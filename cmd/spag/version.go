package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/internal/mat"
	"github.com/spag-go/spag/internal/version"
)

// addVersion gives root a --version flag and a version command.
func addVersion(root *cobra.Command) {
	// The template asks for the version only when --version is given: a
	// build without a commit hashes the binary to name itself.
	root.Version = "see the template"
	cobra.AddTemplateFunc("codeVersion", version.Code)
	root.SetVersionTemplate("spag {{codeVersion}}\n")
	root.AddCommand(newVersionCmd())
}

func newVersionCmd() *cobra.Command {
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
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "spag %s\n%s\nmatrix kernel %s\n", version.Code(), version.Go(), mat.Path())
			return err
		},
	}
}

// failedCommand is the command path a usage error belongs to, "spag
// selfplay" for `spag selfplay --gmaes 3`, so that the hint names the help
// that explains it; "spag" when args name no subcommand.
func failedCommand(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil || c == nil {
		return root.Name()
	}
	return strings.TrimSpace(c.CommandPath())
}
