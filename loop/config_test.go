package loop

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/selfplay"
)

// TestPrepareFiles makes a new loop's paths absolute and checks the
// files they name, naming the setting of the first that fails; the
// loop's directory is made without its parents.
func TestPrepareFiles(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("good.txt", []byte("ok"), 0o644); err != nil {
		t.Fatal(err)
	}
	content := func(path string) error {
		if b, _ := os.ReadFile(path); string(b) != "ok" {
			return errors.New("damaged")
		}
		return nil
	}
	for _, tt := range []struct {
		name, a, b  string
		wantSetting string
		wantErr     string
	}{
		{name: "both sound", a: "good.txt", b: "good.txt"},
		{name: "one not named", a: "good.txt"},
		{name: "a missing file", a: "good.txt", b: "gone.txt", wantSetting: "b", wantErr: "no such file"},
		{name: "a damaged file", a: "loop.db", b: "good.txt", wantSetting: "a", wantErr: "damaged"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile("loop.db", []byte("bad"), 0o644); err != nil {
				t.Fatal(err)
			}
			out, a, b := "out", tt.a, tt.b
			err := PrepareFiles(&out, File{Setting: "a", Path: &a, Check: content}, File{Setting: "b", Path: &b})
			var se *selfplay.SettingError
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if out != filepath.Join(dir, "out") || a != filepath.Join(dir, tt.a) || (b != "") != (tt.b != "") || b != "" && !filepath.IsAbs(b) {
					t.Errorf("paths %q, %q, %q; want them absolute, the empty one left empty", out, a, b)
				}
				return
			}
			if !errors.As(err, &se) || se.Setting != tt.wantSetting || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("PrepareFiles: %v; want %s refused: %s", err, tt.wantSetting, tt.wantErr)
			}
		})
	}
	var se *selfplay.SettingError
	if err := MakeOut(filepath.Join(dir, "no", "out")); !errors.As(err, &se) || se.Setting != "out" {
		t.Errorf("MakeOut under a missing parent: %v; want out refused", err)
	}
	if err := MakeOut(filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
}
