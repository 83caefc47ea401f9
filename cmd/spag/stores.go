package main

import (
	"context"

	"github.com/spag-go/spag/command/cmdutil"
	statscmd "github.com/spag-go/spag/command/stats"
	"github.com/spag-go/spag/episodes"
)

// openExisting opens a database that must already exist: reading commands
// never create an empty one by mistake.
func openExisting(ctx context.Context, path string) (*episodes.Store, error) {
	if err := cmdutil.CheckDBExists(path); err != nil {
		return nil, err
	}
	return episodes.Open(ctx, path, episodes.Options{})
}

// These names keep the commands not yet moved to command/ compiling.
var (
	openReader = cmdutil.OpenReader
	writeStats = statscmd.Write
)
