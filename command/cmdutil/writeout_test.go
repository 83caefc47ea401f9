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
	dir := t.TempDir()
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	tests := []struct {
		name, path, stdout string
		fn                 func(io.Writer) error
		file               string
		wantErr            bool
	}{
		{name: "stdout", path: "-", fn: write("hi"), stdout: "hi"},
		{name: "empty path is stdout", path: "", fn: write("hi"), stdout: "hi"},
		{name: "file", path: filepath.Join(dir, "a"), fn: write("hi"), file: "hi"},
		{name: "failed file leaves none", path: filepath.Join(dir, "b"), fn: func(w io.Writer) error {
			io.WriteString(w, "half")
			return errors.New("disk full")
		}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := WriteOut(tt.path, &out, tt.fn)
			if (err != nil) != tt.wantErr || out.String() != tt.stdout {
				t.Fatalf("err = %v, stdout %q", err, out.String())
			}
			if tt.path == "" || tt.path == "-" {
				return
			}
			b, err := os.ReadFile(tt.path)
			if tt.wantErr {
				if !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a failed write left %s: %q", tt.path, b)
				}
				return
			}
			if string(b) != tt.file {
				t.Errorf("%s = %q (%v), want %q", tt.path, b, err, tt.file)
			}
		})
	}
}
