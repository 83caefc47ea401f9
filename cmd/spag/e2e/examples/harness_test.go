// Package examples runs every example of spag's help texts, README and
// docs/ pages against the built binary (see TestHelpAndREADMEExamplesRun).
// It is a package of its own so that no test package comes near go
// test's timeout on a busy machine (internal/spagtest).
package examples

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

// runIDPattern finds the run ID in what spag prints.
var runIDPattern = regexp.MustCompile(`run (r[0-9]{8}-[0-9]{6}-[0-9a-f]+)`)
