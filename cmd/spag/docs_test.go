package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/spag-go/spag/command/cmdutil"
)

// updateDocs rewrites docs/cli from the commands' own help:
//
//	go test ./cmd/spag -run TestCommandDocsAreCurrent -update-docs
var updateDocs = flag.Bool("update-docs", false, "rewrite docs/cli from the commands' help")

// cliDocs is where the per-command pages live, relative to this package.
const cliDocs = "../../docs/cli"

// TestCommandDocsAreCurrent generates a Markdown page per command from its
// help (cobra's doc generator) and compares them with docs/cli, so that the
// pages cannot drift from the code.
func TestCommandDocsAreCurrent(t *testing.T) {
	dir := t.TempDir()
	if err := writeCommandDocs(dir); err != nil {
		t.Fatal(err)
	}
	if *updateDocs {
		if err := os.RemoveAll(cliDocs); err != nil {
			t.Fatal(err)
		}
		if err := writeCommandDocs(cliDocs); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	have, err := filepath.Glob(filepath.Join(cliDocs, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	if !slices.Equal(names(want), names(have)) {
		t.Fatalf("docs/cli holds %v, the commands make %v; run: go test ./cmd/spag -run TestCommandDocsAreCurrent -update-docs",
			names(have), names(want))
	}
	for _, p := range want {
		gen, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		old, err := os.ReadFile(filepath.Join(cliDocs, filepath.Base(p)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gen, old) {
			t.Errorf("docs/cli/%s differs from the command's help; run: go test ./cmd/spag -run TestCommandDocsAreCurrent -update-docs", filepath.Base(p))
		}
	}
}

// writeCommandDocs writes one page per command into dir. The pages carry
// no generation date, so that they change only when the help does.
func writeCommandDocs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	streams, _, _, _ := cmdutil.Test()
	root := newRootCmd(nil, cmdutil.New(streams))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	prepend := func(string) string {
		return "<!-- Generated from the command's help by TestCommandDocsAreCurrent (cmd/spag/docs_test.go); do not edit. -->\n\n"
	}
	link := func(name string) string { return strings.ToLower(name) }
	return doc.GenMarkdownTreeCustom(root, dir, prepend, link)
}
