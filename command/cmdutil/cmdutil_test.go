package cmdutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenReaderRefusesWhatIsNoDatabase(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       string
	}{
		{"missing", filepath.Join(dir, "nosuch.db"), "no such database (run spag selfplay --db"},
		{"empty file", empty, "the file is empty, not a spag database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenReader(context.Background(), tt.path)
			if err == nil {
				s.Close()
				t.Fatalf("OpenReader(%s) succeeded", tt.path)
			}
			var usage UsageError
			if !errors.As(err, &usage) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("OpenReader(%s) = %v; want a usage error naming the path and saying %q", tt.path, err, tt.want)
			}
		})
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Errorf("the empty file was changed: %v, %v", fi, err)
	}
}
