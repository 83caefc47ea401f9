package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func TestLineInput(t *testing.T) {
	runes := func(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }
	key := func(k tea.KeyType) tea.KeyMsg { return tea.KeyMsg{Type: k} }
	tests := []struct {
		name  string
		start string
		keys  []tea.KeyMsg
		want  string
	}{
		{"typing", "", []tea.KeyMsg{runes("ab"), runes("c")}, "abc"},
		{"backspace", "abc", []tea.KeyMsg{key(tea.KeyBackspace)}, "ab"},
		{"insert in the middle", "ac", []tea.KeyMsg{key(tea.KeyLeft), runes("b")}, "abc"},
		{"delete at the start", "abc", []tea.KeyMsg{key(tea.KeyHome), key(tea.KeyDelete)}, "bc"},
		{"kill the line", "abc", []tea.KeyMsg{key(tea.KeyCtrlU)}, ""},
		{"delete a word", "one two", []tea.KeyMsg{key(tea.KeyCtrlW)}, "one "},
		{"controls are dropped, newlines become spaces", "", []tea.KeyMsg{runes("a\x1b[2Jb\nc\u009b")}, "a[2Jb c"},
		{"limit", "", []tea.KeyMsg{runes("0123456789abc")}, "0123456789"},
		{"backspace on empty", "", []tea.KeyMsg{key(tea.KeyBackspace), key(tea.KeyLeft), key(tea.KeyDelete)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newLineInput("> ", 10)
			in.SetValue(tt.start)
			in.SetValue(tt.start) // setting twice must not keep the old cursor
			in.Focus()
			for _, k := range tt.keys {
				in = in.Update(k)
			}
			if got := in.Value(); got != tt.want {
				t.Errorf("value = %q, want %q", got, tt.want)
			}
			if v := in.View(6); len([]rune(v)) > 6 {
				t.Errorf("View(6) = %q is wider than 6", v)
			}
		})
	}
}

func TestLineInputIgnoresKeysWhenBlurred(t *testing.T) {
	in := newLineInput("", 0)
	in = in.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")})
	if in.Value() != "" {
		t.Fatalf("blurred input took %q", in.Value())
	}
}
