package main

import (
	"strings"
	"testing"

	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/taboo"
)

func TestDefaultStyleAndModelNames(t *testing.T) {
	for _, tc := range []struct {
		specs   []string
		style   string
		shipped []bool
	}{
		{[]string{"native", "native"}, taboo.StyleCompact, []bool{true, true}},
		{[]string{"native:temperature=0", "builtin"}, taboo.StyleCompact, []bool{true, false}},
		{[]string{"builtin", "native:my.ckpt,top_k=5"}, taboo.StyleCompact, []bool{false, false}},
		{[]string{"builtin", "ollama:qwen3:0.6b"}, taboo.StyleChat, []bool{false, false}},
		{[]string{"nonsense:x", "builtin"}, taboo.StyleChat, []bool{false, false}},
	} {
		if got := defaultStyle(tc.specs...); got != tc.style {
			t.Errorf("defaultStyle(%q) = %q, want %q", tc.specs, got, tc.style)
		}
		for i, spec := range tc.specs {
			if got := usesDefaultModel(spec); got != tc.shipped[i] {
				t.Errorf("usesDefaultModel(%q) = %v", spec, got)
			}
			name := playerName(spec)
			if want := tc.shipped[i]; strings.Contains(name, defaultmodel.Digest()) != want || !strings.HasPrefix(name, spec) {
				t.Errorf("playerName(%q) = %q", spec, name)
			}
		}
	}
}
