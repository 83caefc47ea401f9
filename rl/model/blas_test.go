package model

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/spag-go/spag/internal/mat"
)

// TestBLASName checks that gorgonia multiplies through internal/mat and
// that BLASName names its kernel; scripts/bench-train.sh prints the line
// it logs beside its numbers.
func TestBLASName(t *testing.T) {
	if _, ok := G.WhichBLAS().(matBLAS); !ok {
		t.Fatalf("gorgonia uses %T, not internal/mat", G.WhichBLAS())
	}
	if !strings.HasSuffix(BLASName, mat.Path()) {
		t.Fatalf("BLASName %q does not name the kernel %q", BLASName, mat.Path())
	}
	t.Logf("matrix kernel: %s", BLASName)
}
