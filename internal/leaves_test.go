// Package internal_test checks the rule of the internal/ folder: it holds
// leaf helpers only, so that any package of spag may use them without an
// import cycle and without pulling in a game or a command.
package internal_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// module is the project's import path; its internal/ packages may import
// each other, nothing else of it.
const module = "github.com/spag-go/spag"

// TestInternalIsLeaves fails when a non-test file under internal/ imports
// a spag package outside internal/ (a builder that needs a game's types
// belongs on the games' side, as taboo/wordsbuild does).
func TestInternalIsLeaves(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if strings.HasPrefix(p, module+"/") && !strings.HasPrefix(p, module+"/internal/") {
				t.Errorf("internal/%s imports %s: internal/ holds leaves only; move the code that needs it next to its users", filepath.ToSlash(path), p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no Go files found under internal/: the test runs in the wrong folder")
	}
}
