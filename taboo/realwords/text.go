package realwords

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spag-go/spag/judge"
)

// WriteText writes the report for people:
//
//	run          r20260101-120000-3fa9  (200 episodes)
//	players      attacker native, defender builtin
//	guesses      not counted (defender builtin)
//	clue words   12,345 content words, 96.1% real  (95% CI 95.8–96.4%)
//	  not real   compll 12, seler 9
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	episodes := "episodes"
	if r.Episodes == 1 {
		episodes = "episode"
	}
	fmt.Fprintf(&b, "run          %s  (%s %s)\n", r.Run, group(r.Episodes), episodes)
	fmt.Fprintf(&b, "players      attacker %s, defender %s\n", r.Players[judge.Attacker], r.Players[judge.Defender])
	writeCount(&b, "guesses", "guess", "guesses", judge.Defender, r.Players, r.Guesses)
	writeCount(&b, "clue words", "content word", "content words", judge.Attacker, r.Players, r.ClueWords)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCount(b *strings.Builder, label, one, many, role string, players map[string]string, c Count) {
	fmt.Fprintf(b, "%-12s ", label)
	unit := many
	if c.Total == 1 {
		unit = one
	}
	switch {
	case !c.Counted:
		fmt.Fprintf(b, "not counted (%s %s)\n", role, players[role])
		return
	case c.Total == 0:
		fmt.Fprintf(b, "0 %s\n", unit)
		return
	}
	fmt.Fprintf(b, "%s %s, %.1f%% real  (95%% CI %.1f–%.1f%%)\n", group(c.Total), unit,
		100*c.Share.Rate, 100*c.Share.Lo, 100*c.Share.Hi)
	words := make([]string, 0, len(c.NotReal))
	for _, wc := range c.NotReal {
		words = append(words, wc.Word+" "+group(wc.Count))
	}
	if len(words) == 0 {
		words = append(words, "none")
	}
	fmt.Fprintf(b, "  not real   %s\n", strings.Join(words, ", "))
}

// group writes a count with commas between groups of three digits: 12,345.
func group(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
