// Package wordnettest is the test helper of the packages whose tests read
// the installed WordNet. It imports nothing from spag, so that package
// wordnet's own tests can use it.
package wordnettest

import (
	"os"
	"path/filepath"
	"testing"
)

// Require skips the test when the WordNet database in dir is not
// installed, except in CI (CI=true), which installs wordnet-base and must
// run these tests: there it fails the test.
func Require(t testing.TB, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "index.noun")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("WordNet is missing in CI: %v (apt-get install wordnet-base)", err)
		}
		t.Skipf("WordNet not installed (apt-get install wordnet-base): %v", err)
	}
}
