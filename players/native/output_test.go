package native

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// testPieces: ids 0-2 are control tokens (empty), then one piece per
// entry.
var testPieces = []string{"", "", "", "a", "b", " c", "\n", "\n\n", "\xe6", "\x9d", "\xb1", "END", "x"}

func TestOutput(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ids      []int
		dummy    bool
		stop     []string
		maxBytes int
		want     string
		deltas   []string
		kept     int
	}{
		{"plain", []int{3, 4, 5}, false, nil, 0, "ab c", []string{"a", "b", " c"}, 3},
		{"dummy prefix trimmed", []int{5, 3}, true, nil, 0, "ca", []string{"c", "a"}, 2},
		{"stop across tokens", []int{3, 6, 6, 4}, false, []string{"\n\n"}, 0, "a", []string{"a", "", ""}, 1},
		{"held back then released", []int{3, 6, 4}, false, []string{"\n\n"}, 0, "a\nb", []string{"a", "", "\nb"}, 3},
		{"stop inside a token", []int{3, 7, 4}, false, []string{"\n\n"}, 0, "a", []string{"a", ""}, 1},
		{"stop string first", []int{11, 3}, false, []string{"END"}, 0, "", []string{""}, 0},
		{"utf8 held back", []int{8, 9, 10, 3}, false, nil, 0, "東a", []string{"", "", "東", "a"}, 4},
		{"byte cap", []int{3, 4, 3, 4}, false, nil, 3, "aba", []string{"a", "b", "a", ""}, 3},
		{"byte cap splits a character", []int{3, 8, 9, 10}, false, nil, 2, "a", []string{"a", "", ""}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOutput(testPieces, tc.dummy, tc.stop, tc.maxBytes)
			var deltas []string
			done := false
			for _, id := range tc.ids {
				d, fin := o.add(id)
				deltas = append(deltas, d)
				if fin {
					done = true
					break
				}
			}
			if !done {
				deltas[len(deltas)-1] += o.finish(-1)
			}
			text, kept := o.result()
			if text != tc.want || kept != tc.kept {
				t.Errorf("text %q (%d tokens kept), want %q (%d)", text, kept, tc.want, tc.kept)
			}
			if strings.Join(deltas, "") != text {
				t.Errorf("deltas %q do not add up to %q", deltas, text)
			}
			if strings.Join(deltas, "|") != strings.Join(tc.deltas, "|") {
				t.Errorf("deltas %q, want %q", deltas, tc.deltas)
			}
		})
	}
}

// FuzzOutput feeds arbitrary tokens and stop strings: the deltas must add
// up to the text, which holds no stop string, respects the byte cap and
// is a prefix of the uncut decoding.
func FuzzOutput(f *testing.F) {
	f.Add([]byte{3, 6, 6, 4}, "\n\n", 0, true)
	f.Add([]byte{8, 9, 10, 11}, "ND", 2, false)
	f.Fuzz(func(t *testing.T, ids []byte, stop string, maxBytes int, dummy bool) {
		var stops []string
		for _, s := range strings.Split(stop, "|") {
			if s != "" {
				stops = append(stops, s)
			}
		}
		maxBytes = max(0, maxBytes%64)
		o := newOutput(testPieces, dummy, stops, maxBytes)
		var b strings.Builder
		var full strings.Builder
		finished := false
		for _, x := range ids {
			id := int(x) % len(testPieces)
			full.WriteString(testPieces[id])
			d, fin := o.add(id)
			b.WriteString(d)
			if fin {
				finished = true
				break
			}
		}
		if !finished {
			b.WriteString(o.finish(-1))
		}
		text, kept := o.result()
		if b.String() != text {
			t.Fatalf("deltas %q, text %q", b.String(), text)
		}
		uncut := full.String()
		if dummy {
			uncut = strings.TrimPrefix(uncut, " ")
		}
		if !strings.HasPrefix(uncut, text) {
			t.Fatalf("text %q is not a prefix of %q", text, uncut)
		}
		for _, s := range stops {
			if strings.Contains(text, s) {
				t.Fatalf("text %q holds stop string %q", text, s)
			}
		}
		if maxBytes > 0 && len(text) > maxBytes {
			t.Fatalf("text %q longer than %d bytes", text, maxBytes)
		}
		if kept > len(ids) {
			t.Fatalf("%d tokens kept of %d", kept, len(ids))
		}
		_ = utf8.ValidString(text)
	})
}
