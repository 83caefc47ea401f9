package tui

import (
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/safetext"
)

// Untrusted text (utterances, words, error strings) reaches the screen only
// through the functions in this file: every control character and escape
// sequence is made visible by safetext.Visible before any styling is
// added, so the only escape sequences in a frame are the ones lipgloss
// writes.

// defaultMaxTextBytes caps how much of one utterance is rendered.
const defaultMaxTextBytes = 4000

// tabWidth is how many spaces a tab in model output becomes; a raw tab
// would make the terminal's idea of the line width differ from ours.
const tabWidth = 4

// visible makes s safe to print: controls visible, tabs expanded.
func visible(s string) string {
	return strings.ReplaceAll(safetext.Visible(s), "\t", strings.Repeat(" ", tabWidth))
}

// oneLine is visible(s) on a single line, for lists: newlines become "⏎".
func oneLine(s string) string {
	return strings.ReplaceAll(visible(s), "\n", "⏎")
}

// clip returns the untrusted text s cut to at most max bytes (with a
// marker saying how much was cut) and made visible.
func clip(s string, max int) string {
	return visible(safetext.Truncate(s, max))
}

// highlight returns the untrusted text with the byte span [start, end)
// marked as evidence: wrapped in »…« (so it shows without colour) and
// styled. The cut at max bytes never hides the evidence. An invalid span
// leaves the text unmarked; nothing here panics on any input.
func highlight(text string, start, end, max int, style lipgloss.Style) string {
	if start < 0 || end > len(text) || start >= end {
		return clip(text, max)
	}
	pre, mid, post := text[:start], text[start:end], text[end:]
	if len(pre) > max {
		// Keep the evidence: show the end of what precedes it.
		pre = "… " + pre[len(pre)-max/2:]
	}
	post = safetext.Truncate(post, max-min(max, len(pre)+len(mid)))
	marked := "»" + visible(mid) + "«"
	// Style each line on its own: lipgloss pads multi-line blocks to one
	// width, which would break wrapping.
	lines := strings.Split(marked, "\n")
	for i, l := range lines {
		lines[i] = style.Render(l)
	}
	return visible(pre) + strings.Join(lines, "\n") + visible(post)
}

// wrap breaks s (which may hold styling) into lines of at most width
// cells.
func wrap(s string, width int) []string {
	if width < 1 {
		width = 1
	}
	var out []string
	for _, l := range strings.Split(ansi.Wrap(s, width, ""), "\n") {
		// Wrap can leave a line one space too wide; cut those hard.
		if ansi.StringWidth(l) > width {
			out = append(out, strings.Split(ansi.Hardwrap(l, width, true), "\n")...)
			continue
		}
		out = append(out, l)
	}
	return out
}

// fitLine cuts a rendered line to width cells.
func fitLine(s string, width int) string {
	if ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// frame lays lines out on a width×height screen: each line cut to the
// width, the list cut or padded to the height. Every view ends with it, so
// frames have a fixed shape at any size.
func frame(lines []string, width, height int) string {
	if height < 1 {
		height = 1
	}
	out := make([]string, height)
	for i := range out {
		if i < len(lines) {
			out[i] = fitLine(lines[i], width)
		}
	}
	return strings.Join(out, "\n")
}

// window returns height lines of body starting at offset, clamped so the
// window stays inside the body; it also returns the clamped offset.
func window(body []string, offset, height int) ([]string, int) {
	if height < 1 {
		return nil, 0
	}
	maxOff := max(0, len(body)-height)
	offset = max(0, min(offset, maxOff))
	end := min(len(body), offset+height)
	return body[offset:end], offset
}

// transcript renders turns as labelled, wrapped lines. ev, when not nil,
// is highlighted in its utterance. partial, when not empty, is the text of
// the turn in progress (partialN, partialRole), shown with a cursor.
type transcript struct {
	turns       []game.Turn
	evidence    *game.Evidence
	partial     string
	partialN    int
	partialRole string
	streaming   bool
}

// labelWidth is the width of " 12 attacker  " in front of each utterance.
const labelWidth = 13

func (t transcript) lines(st *styles, width, maxBytes int) []string {
	var out []string
	textWidth := max(10, width-labelWidth)
	// Roles take the palette's colours in the order they first speak,
	// whatever the game calls them.
	var order []string
	add := func(n int, role, text string) {
		i := slices.Index(order, role)
		if i < 0 {
			order = append(order, role)
			i = len(order) - 1
		}
		label := st.role(i).Render(padRight(strconv.Itoa(n), 3) + padRight(oneLine(role), 10))
		for i, l := range wrap(text, textWidth) {
			if i == 0 {
				out = append(out, label+l)
			} else {
				out = append(out, strings.Repeat(" ", labelWidth)+l)
			}
		}
	}
	for _, turn := range t.turns {
		var text string
		if ev := t.evidence; ev != nil && ev.Turn == turn.N && ev.End > ev.Start {
			text = highlight(turn.Text, ev.Start, ev.End, maxBytes, st.evidence)
		} else {
			text = clip(turn.Text, maxBytes)
		}
		if strings.TrimSpace(text) == "" {
			text = st.dim.Render("(empty)")
		}
		add(turn.N, turn.Role, text)
	}
	if t.streaming {
		add(t.partialN, t.partialRole, clip(t.partial, maxBytes)+st.cursor.Render("▍"))
	}
	return out
}

func padRight(s string, n int) string {
	if w := ansi.StringWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

func padLeft(s string, n int) string {
	if w := ansi.StringWidth(s); w < n {
		return strings.Repeat(" ", n-w) + s
	}
	return s
}

// appendPane appends t's transcript to lines as a scrolled pane of height
// rows (placeholder when there is nothing to show yet; follow pins it to
// the end), padded to full height and closed by a rule, the layout every
// view that shows one game shares.
func appendPane(lines []string, t transcript, st *styles, width, maxBytes, height, scroll int, follow bool, placeholder string) []string {
	body := t.lines(st, width, maxBytes)
	if len(body) == 0 {
		body = []string{st.dim.Render(placeholder)}
	}
	if follow {
		scroll = len(body)
	}
	shown, _ := window(body, scroll, height)
	top := len(lines)
	lines = append(lines, shown...)
	for len(lines) < top+height {
		lines = append(lines, "")
	}
	return append(lines, strings.Repeat("─", width))
}
