package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/rl/checkpoint"
)

// writeOut is cmdutil.WriteOut, for the commands not yet moved.
var writeOut = cmdutil.WriteOut

// saveCheckpoint writes c to path, or to stdout for "-".
func saveCheckpoint(path string, stdout io.Writer, c *checkpoint.Checkpoint) error {
	return writeOut(path, stdout, func(w io.Writer) error {
		if err := checkpoint.Write(w, c); err != nil {
			return fmt.Errorf("save checkpoint %s: %w", path, err)
		}
		return nil
	})
}

// reportTo is where a command that wrote its data to path says so: stderr
// when the data went to stdout.
func reportTo(cmd *cobra.Command, path string) io.Writer {
	if path == "-" {
		return cmd.ErrOrStderr()
	}
	return cmd.OutOrStdout()
}
