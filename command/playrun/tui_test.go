package playrun

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestTUILog(t *testing.T) {
	var errOut bytes.Buffer
	t.Setenv("SPAG_LOG", filepath.Join(t.TempDir(), "tui.log"))
	w, closeLog := TUILog(&errOut)
	if w == nil || errOut.Len() != 0 {
		t.Errorf("log %v, stderr %q", w, errOut.String())
	}
	closeLog()
	t.Setenv("SPAG_LOG", filepath.Join(t.TempDir(), "no", "such", "dir", "tui.log"))
	w, closeLog = TUILog(&errOut)
	closeLog()
	if w != nil || !strings.Contains(errOut.String(), "spag: no log file while the terminal UI runs: $SPAG_LOG") {
		t.Errorf("log %v, stderr %q", w, errOut.String())
	}
}

func TestNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	if NoColor() {
		t.Error("NoColor with NO_COLOR empty")
	}
	t.Setenv("NO_COLOR", "1")
	if !NoColor() {
		t.Error("not NoColor with NO_COLOR=1")
	}
}
