package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/internal/version"
)

// addVersion gives root a --version flag (the version command is
// command/version's).
func addVersion(root *cobra.Command) {
	// The template asks for the version only when --version is given: a
	// build without a commit hashes the binary to name itself.
	root.Version = "see the template"
	cobra.AddTemplateFunc("codeVersion", version.Code)
	root.SetVersionTemplate("spag {{codeVersion}}\n")
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
