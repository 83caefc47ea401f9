package tui

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// styles holds every style the views use, built once from the renderer so
// that NO_COLOR (or a terminal without colour) turns them all off together.
type styles struct {
	title    lipgloss.Style
	header   lipgloss.Style
	dim      lipgloss.Style
	bold     lipgloss.Style
	selected lipgloss.Style
	evidence lipgloss.Style
	cursor   lipgloss.Style
	errorS   lipgloss.Style
	ok       lipgloss.Style
	attacker lipgloss.Style
	defender lipgloss.Style
	key      lipgloss.Style
}

// newStyles builds the styles. With noColor the renderer's profile is set
// to plain ASCII, so no escape sequence at all is emitted for styling;
// marks such as »…« and ">" still show what colour would.
func newStyles(r *lipgloss.Renderer, noColor bool) *styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	if noColor {
		r.SetColorProfile(termenv.Ascii)
	}
	n := r.NewStyle
	return &styles{
		title:    n().Bold(true).Reverse(true),
		header:   n().Bold(true).Underline(true),
		dim:      n().Faint(true),
		bold:     n().Bold(true),
		selected: n().Reverse(true),
		evidence: n().Bold(true).Foreground(lipgloss.Color("11")).Background(lipgloss.Color("52")),
		cursor:   n().Blink(true),
		errorS:   n().Foreground(lipgloss.Color("9")).Bold(true),
		ok:       n().Foreground(lipgloss.Color("10")),
		attacker: n().Foreground(lipgloss.Color("12")),
		defender: n().Foreground(lipgloss.Color("13")),
		key:      n().Bold(true),
	}
}

// role returns the style of a role's label.
func (s *styles) role(role string) lipgloss.Style {
	switch role {
	case "attacker":
		return s.attacker
	case "defender":
		return s.defender
	}
	return s.dim
}
