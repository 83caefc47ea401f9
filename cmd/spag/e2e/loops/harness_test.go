// Package loops holds the end-to-end tests of spag's long jobs (iterate's
// rounds, training, the external trainers), which run the built binary as
// a user would. They are a package of their own so that no test package
// comes near go test's timeout on a busy machine (internal/spagtest).
package loops

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/spag-go/spag/internal/spagtest"
)

// binary is the spag binary built once for these tests.
var binary string

func TestMain(m *testing.M) { os.Exit(spagtest.Main(m, &binary)) }

// spag's exit codes (cmd/spag/main.go).
const (
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// spag runs the binary in dir with args, bounding only a hung command.
func spag(t *testing.T, dir string, args ...string) spagtest.Result {
	t.Helper()
	return spagtest.Run(t, binary, spagtest.HangBound, dir, args...)
}

func startWatched(t *testing.T, ctx context.Context, dir string, args ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	return spagtest.StartWatched(t, ctx, binary, dir, args...)
}

var (
	mustJSON = spagtest.MustJSON
	openDB   = spagtest.OpenDB
	queryInt = spagtest.QueryInt
)

type syncBuffer = spagtest.SyncBuffer

// modelArgs keep a model player's games short (cmd/spag's ollama tests).
var modelArgs = []string{"--option", "num_predict=12", "--option", "temperature=0", "--max-turns", "3"}

// shortTemplates writes prompt templates of a few words into dir/tmpl and
// returns the --templates flag for them, so that a tiny model's calls stay
// cheap (see cmd/spag's ollama tests).
func shortTemplates(t *testing.T, dir string) []string {
	t.Helper()
	tmpl := filepath.Join(dir, "tmpl")
	spagtest.WriteFiles(t, tmpl, map[string]string{
		"attacker.tmpl": "Attacker. Word: {{.Target}}.",
		"defender.tmpl": "Defender. Guess.",
		"opening.tmpl":  "Go.",
	})
	return []string{"--templates", tmpl}
}
