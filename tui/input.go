package tui

import (
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// lineInput is a one-line text field. It is deliberately small (insert,
// delete, move, paste) so that the package needs no clipboard dependency;
// control characters typed or pasted are dropped.
type lineInput struct {
	prompt  string
	value   []rune
	pos     int
	limit   int // in runes; 0 means no limit
	focused bool
}

func newLineInput(prompt string, limit int) lineInput {
	return lineInput{prompt: prompt, limit: limit}
}

func (in lineInput) Value() string { return string(in.value) }

func (in *lineInput) SetValue(s string) {
	in.value, in.pos = in.value[:0:0], 0
	in.insert([]rune(s))
	in.pos = len(in.value)
}

func (in *lineInput) Focus() { in.focused = true }
func (in *lineInput) Blur()  { in.focused = false }

func (in *lineInput) insert(rs []rune) {
	var clean []rune
	for _, r := range rs {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			clean = append(clean, ' ')
		case unicode.IsControl(r) || r == unicode.ReplacementChar:
		default:
			clean = append(clean, r)
		}
	}
	if in.limit > 0 && len(in.value)+len(clean) > in.limit {
		clean = clean[:max(0, in.limit-len(in.value))]
	}
	v := make([]rune, 0, len(in.value)+len(clean))
	v = append(v, in.value[:in.pos]...)
	v = append(v, clean...)
	v = append(v, in.value[in.pos:]...)
	in.value = v
	in.pos += len(clean)
}

// Update edits the field for one key; other messages are ignored.
func (in lineInput) Update(msg tea.Msg) lineInput {
	k, ok := msg.(tea.KeyMsg)
	if !ok || !in.focused {
		return in
	}
	switch k.Type {
	case tea.KeyRunes, tea.KeySpace:
		in.insert(k.Runes)
	case tea.KeyBackspace:
		if in.pos > 0 {
			in.value = append(in.value[:in.pos-1:in.pos-1], in.value[in.pos:]...)
			in.pos--
		}
	case tea.KeyDelete:
		if in.pos < len(in.value) {
			in.value = append(in.value[:in.pos:in.pos], in.value[in.pos+1:]...)
		}
	case tea.KeyLeft:
		in.pos = max(0, in.pos-1)
	case tea.KeyRight:
		in.pos = min(len(in.value), in.pos+1)
	case tea.KeyHome, tea.KeyCtrlA:
		in.pos = 0
	case tea.KeyEnd, tea.KeyCtrlE:
		in.pos = len(in.value)
	case tea.KeyCtrlU:
		in.value, in.pos = append([]rune(nil), in.value[in.pos:]...), 0
	case tea.KeyCtrlK:
		in.value = in.value[:in.pos:in.pos]
	case tea.KeyCtrlW:
		i := in.pos
		for i > 0 && in.value[i-1] == ' ' {
			i--
		}
		for i > 0 && in.value[i-1] != ' ' {
			i--
		}
		in.value, in.pos = append(in.value[:i:i], in.value[in.pos:]...), i
	}
	return in
}

// View renders the field in width cells, scrolled so the cursor shows.
func (in lineInput) View(width int) string {
	cursor := ""
	if in.focused {
		cursor = "█"
	}
	avail := max(1, width-ansi.StringWidth(in.prompt)-1)
	before := string(in.value[:in.pos])
	after := string(in.value[in.pos:])
	if ansi.StringWidth(before) >= avail {
		before = ansi.TruncateLeft(before, ansi.StringWidth(before)-avail+1, "…")
	}
	return fitLine(in.prompt+before+cursor+after, width)
}
