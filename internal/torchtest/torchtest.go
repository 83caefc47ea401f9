// Package torchtest is the test helper of the packages whose tests run
// Debian's PyTorch (python3-torch, python3-numpy, python3-sentencepiece)
// through its Python. It imports nothing from spag.
package torchtest

import (
	"os"
	"os/exec"
	"testing"
)

// Python is Debian's interpreter, which python3-torch installs into; a
// python3 earlier on PATH may be another one without it.
const Python = "/usr/bin/python3"

// Require skips the test when Python cannot import torch, numpy and
// sentencepiece, except in CI (CI=true), whose scripts/test.sh installs
// them and which must run these tests: there it fails the test.
func Require(t testing.TB) {
	t.Helper()
	out, err := exec.Command(Python, "-c", "import torch, numpy, sentencepiece").CombinedOutput()
	if err == nil {
		return
	}
	msg := Python + " cannot import torch, numpy and sentencepiece (apt-get install python3-torch python3-numpy python3-sentencepiece): " + err.Error() + "\n" + string(out)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
