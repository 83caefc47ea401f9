package defaultmodel_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl/checkpoint"
)

func TestLoadPathAndLabel(t *testing.T) {
	dir := t.TempDir()
	copyPath := filepath.Join(dir, "copy.ckpt")
	f, err := os.Create(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := defaultmodel.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	shipped, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	want, err := checkpoint.WeightsDigest(shipped.Params)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path, label, err string
	}{
		{name: "the shipped model", path: "", label: defaultmodel.Name},
		{name: "a file", path: copyPath, label: copyPath},
		{name: "a missing file", path: filepath.Join(dir, "gone.ckpt"), label: filepath.Join(dir, "gone.ckpt"), err: "gone.ckpt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultmodel.Label(tt.path); got != tt.label {
				t.Errorf("Label(%q) = %q, want %q", tt.path, got, tt.label)
			}
			c, err := defaultmodel.LoadPath(tt.path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("LoadPath(%q): %v, want an error naming %q", tt.path, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, err := checkpoint.WeightsDigest(c.Params); err != nil || got != want {
				t.Errorf("LoadPath(%q) weights %s, %v; want the shipped %s", tt.path, got, err, want)
			}
		})
	}
}

// ExampleLabel names the checkpoint of a --ckpt flag in messages.
func ExampleLabel() {
	fmt.Println(defaultmodel.Label("") == defaultmodel.Name, defaultmodel.Label("sft.ckpt"))
	// Output:
	// true sft.ckpt
}

// ExampleLoadPath loads what --ckpt names: without a path, the shipped
// model.
func ExampleLoadPath() {
	c, err := defaultmodel.LoadPath("")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Optimizer == nil, c.Vocab.Size() > 256)
	// Output:
	// true true
}
