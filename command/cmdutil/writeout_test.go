package cmdutil

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteOut(t *testing.T) {
	hello := func(w io.Writer) error { _, err := io.WriteString(w, "hello"); return err }
	var stdout bytes.Buffer
	for _, path := range []string{"-", ""} {
		stdout.Reset()
		if err := WriteOut(path, &stdout, hello); err != nil || stdout.String() != "hello" {
			t.Errorf("WriteOut(%q): %v, stdout %q", path, err, stdout.String())
		}
	}
	file := filepath.Join(t.TempDir(), "out.txt")
	if err := WriteOut(file, &stdout, hello); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(file); err != nil || string(data) != "hello" {
		t.Errorf("%s: %q, %v", file, data, err)
	}
	// A failed write leaves the file as it was, and stdout without a
	// half-written buffer.
	boom := errors.New("boom")
	failing := func(w io.Writer) error { io.WriteString(w, "half"); return boom }
	if err := WriteOut(file, &stdout, failing); !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
	if data, _ := os.ReadFile(file); string(data) != "hello" {
		t.Errorf("a failed write changed %s to %q", file, data)
	}
	stdout.Reset()
	if err := WriteOut("-", &stdout, failing); !errors.Is(err, boom) || stdout.Len() != 0 {
		t.Errorf("err = %v, stdout %q", err, stdout.String())
	}
}
