// Package servers holds the end-to-end tests of spag's model backends (a
// real Ollama server, the in-process native model), which run the built
// binary as a user would. They are a package of their own so that no test
// package comes near go test's timeout on a busy machine
// (internal/spagtest).
package servers

import (
	"os"
	"regexp"
	"testing"

	"github.com/spag-go/spag/internal/spagtest"
)

// binary is the spag binary built once for these tests.
var binary string

func TestMain(m *testing.M) { os.Exit(spagtest.Main(m, &binary)) }

// spag runs the binary in dir with args, bounding only a hung command.
func spag(t *testing.T, dir string, args ...string) spagtest.Result {
	t.Helper()
	return spagtest.Run(t, binary, spagtest.HangBound, dir, args...)
}

func stats(t *testing.T, dir string, args ...string) spagtest.StatsOut {
	t.Helper()
	return spagtest.Stats(t, binary, dir, args...)
}

var mustJSON = spagtest.MustJSON

// runIDPattern finds the run ID in what spag prints.
var runIDPattern = regexp.MustCompile(`run (r[0-9]{8}-[0-9]{6}-[0-9a-f]+)`)
