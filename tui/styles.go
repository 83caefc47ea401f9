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
	roles    []lipgloss.Style // the roles' label colours, in speaking order
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
		roles:    []lipgloss.Style{n().Foreground(lipgloss.Color("12")), n().Foreground(lipgloss.Color("13"))},
		key:      n().Bold(true),
	}
}

// role returns the label style of the i-th role to speak in a game; roles
// past the palette are dim.
func (s *styles) role(i int) lipgloss.Style {
	if i < len(s.roles) {
		return s.roles[i]
	}
	return s.dim
}
