package trainer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
)

// TestHoldOutput lets one training at a time write an output checkpoint,
// with a database or without: a second holder is refused at once, naming
// the first, until the first lets go, which removes the lock file.
func TestHoldOutput(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	ctx := context.Background()
	dir := t.TempDir()
	store, err := episodes.Open(ctx, filepath.Join(dir, "spag.db"), episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	out := filepath.Join(dir, "x.ckpt")
	for _, tt := range []struct {
		name          string
		first, second *episodes.Store
	}{
		{"no database", nil, nil},
		{"a database", store, store},
		{"one with a database, one without", store, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			release, err := HoldOutput(ctx, tt.first, out)
			if err != nil {
				t.Fatal(err)
			}
			_, err = HoldOutput(ctx, tt.second, out)
			var busy *episodes.BusyError
			if !errors.As(err, &busy) || busy.PID != os.Getpid() ||
				!strings.Contains(err.Error(), fmt.Sprintf("training output %s is in use by process %d", out, os.Getpid())) {
				t.Fatalf("second training of %s: %v; want it refused naming process %d", out, err, os.Getpid())
			}
			if err := release(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(out + ".lock"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the lock file after release: %v", err)
			}
			again, err := HoldOutput(ctx, tt.second, out)
			if err != nil {
				t.Fatalf("second training after the first let go: %v", err)
			}
			if err := again(); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("a device", func(t *testing.T) {
		release, err := HoldOutput(ctx, nil, os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		if _, err := os.Lstat(os.DevNull + ".lock"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a lock file beside %s: %v", os.DevNull, err)
		}
	})
	t.Run("a planted link", func(t *testing.T) {
		target := filepath.Join(dir, "elsewhere")
		if err := os.Symlink(target, out+".lock"); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(out + ".lock")
		if _, err := HoldOutput(ctx, nil, out); err == nil {
			t.Fatal("locked through a link")
		}
		if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the link's target: %v; want it not created", err)
		}
	})
}
