package judge

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzHistory builds up to four utterances; bit i of roles makes utterance
// i the defender's, and count limits how many there are.
func fuzzHistory(roles, count uint8, texts ...string) []Utterance {
	n := int(count) % (len(texts) + 1)
	h := make([]Utterance, n)
	for i := range h {
		h[i] = Utterance{Role: Attacker, Text: texts[i]}
		if roles&(1<<i) != 0 {
			h[i].Role = Defender
		}
	}
	return h
}

func addSeeds(f *testing.F) {
	seeds := []struct {
		target     string
		maxTurns   int
		a, b, c, d string
	}{
		{"apple", 5, "A red fruit.", "I know the word! It is apple!", "", ""},
		{"sun", 2, "Sunday", "sun-dried", "a-p-p-l-e", "I know the word!!! It is"},
		{"music", 1, "x", "I know the word! It is `musician`", "y", "z"},
		{"c.t", 3, "cat", "I know the word! It is cat", "İ know", "ΟΔΟΣ"},
		{"a|b(", 0, "\xff\xfe", "I know the word! Itéééééééééapple", "\u212A", "ap\u200bple"},
		{"ice cream", 4, "ice-cream", "I know the word: ice cream", "icecreams", "I KNOW THE WORD!!! IT IS: 'ICE CREAM'"},
		{"", -3, "", "", "", ""},
		{"İΣ", 5, "İΣ", "iς", "I know the word! It is İΣ", "σ"},
	}
	for _, s := range seeds {
		f.Add(s.target, s.maxTurns, s.a, s.b, s.c, s.d, uint8(0b1010), uint8(4))
	}
}

// checkVerdict checks the invariants every verdict must hold.
func checkVerdict(t *testing.T, j Judge, target string, maxTurns int, h []Utterance) Verdict {
	t.Helper()
	v := j.Judge(target, maxTurns, h)
	switch v.Outcome {
	case AttackerWins, DefenderWins, AttackerBrokeRules:
		if v.DecidedAt < 1 || v.DecidedAt > len(h) || v.Evidence.Utterance != v.DecidedAt {
			t.Fatalf("decided at %d with evidence in %d, history of %d", v.DecidedAt, v.Evidence.Utterance, len(h))
		}
		text := h[v.DecidedAt-1].Text
		ev := v.Evidence
		if ev.Start < 0 || ev.Start > ev.End || ev.End > len(text) {
			t.Fatalf("evidence %+v out of %d bytes", ev, len(text))
		}
		if !onRuneBoundary(text, ev.Start) || !onRuneBoundary(text, ev.End) {
			t.Fatalf("evidence %+v splits a code point of %q", ev, text)
		}
		if v.Rule == "" || v.Rule == RuleMaxTurns || v.Rule == RuleHistoryEnded {
			t.Fatalf("decided by rule %q", v.Rule)
		}
	case Tie:
		want := RuleHistoryEnded
		if v.DecidedAt >= 2*maxTurns && len(h) > 0 {
			want = RuleMaxTurns
		}
		if v.Rule != want || v.Evidence != (Evidence{}) {
			t.Fatalf("tie %+v, want rule %q and no evidence", v, want)
		}
		if v.DecidedAt < min(len(h), 1) || v.DecidedAt > len(h) {
			t.Fatalf("tie at %d, history of %d", v.DecidedAt, len(h))
		}
	default:
		t.Fatalf("outcome %q", v.Outcome)
	}
	if limit := max(2*maxTurns, 1); v.DecidedAt > limit {
		t.Fatalf("decided at %d after the limit %d", v.DecidedAt, limit)
	}
	if inc := feed(j, target, maxTurns, h); inc != v {
		t.Fatalf("Start/Next gave %+v, Judge %+v", inc, v)
	}
	return v
}

// onRuneBoundary reports whether i is where a code point (or an invalid
// byte) of s starts, or the end of s.
func onRuneBoundary(s string, i int) bool {
	for p := 0; p < len(s); {
		if p == i {
			return true
		}
		_, size := utf8.DecodeRuneInString(s[p:])
		p += size
	}
	return i == len(s)
}

func FuzzSpag(f *testing.F) {
	addSeeds(f)
	j := NewSpag()
	f.Fuzz(func(t *testing.T, target string, maxTurns int, a, b, c, d string, roles, count uint8) {
		maxTurns %= 8
		h := fuzzHistory(roles, count, a, b, c, d)
		v := checkVerdict(t, j, target, maxTurns, h)
		// The transcription needs a target its expressions can quote.
		if regexp.QuoteMeta(target) == target && utf8.ValidString(target) {
			if ref := referenceSpag(target, maxTurns, h); ref.Outcome != v.Outcome || ref.DecidedAt != v.DecidedAt {
				t.Fatalf("spag %+v, regexp reference %+v", v, ref)
			}
		}
	})
}

func FuzzStrict(f *testing.F) {
	addSeeds(f)
	j := NewStrict()
	f.Fuzz(func(t *testing.T, target string, maxTurns int, a, b, c, d string, roles, count uint8) {
		maxTurns %= 8
		checkVerdict(t, j, target, maxTurns, fuzzHistory(roles, count, a, b, c, d))
		// GuessedWord finds a guess exactly where the judge does, and the
		// word it returns has no separators but hyphens.
		w, ok := GuessedWord(a)
		v := j.Judge("\x00", 1, []Utterance{{Role: Attacker, Text: "."}, {Role: Defender, Text: a}})
		if ok != (v.Rule == RuleDefenderWrongGuess) || ok == (w == "") || strings.ContainsAny(w, " \t\n.!?:") {
			t.Fatalf("GuessedWord(%q) = %q, %v; judge rule %s", a, w, ok, v.Rule)
		}
	})
}

// referenceSpag is a slow, literal transcription of the reference's
// get_game_outcome with regular expressions, used to check the hand-made
// matcher. Go's regexp and Python's re agree on these expressions.
func referenceSpag(target string, maxTurns int, history []Utterance) Verdict {
	lower := func(s string) string { b, _ := appendPyLower(nil, s); return string(b) }
	w := lower(target)
	plural := w
	if first := textBlobFirstWord(w); first != "" {
		plural = Plural(first)
	}
	words := []string{w, w + "ing", w + "ed", plural}
	for _, q := range []string{`"`, "'", "`"} {
		for _, f := range words[:4] {
			words = append(words, q+f+q)
		}
	}
	predict := regexp.MustCompile(`i know the word! it.{1,8}`)
	hasTarget := func(s string) bool {
		for _, f := range words {
			if strings.Contains(s, f) {
				return true
			}
		}
		return false
	}
	correct := func(s string) bool {
		for _, f := range words {
			if regexp.MustCompile(`i know the word! it.{1,8}` + regexp.QuoteMeta(f)).MatchString(s) {
				return true
			}
		}
		return false
	}
	for i, u := range history {
		n := i + 1
		s := lower(u.Text)
		if u.Role == Defender {
			if predict.MatchString(s) {
				if correct(s) {
					return Verdict{Outcome: DefenderWins, DecidedAt: n}
				}
				return Verdict{Outcome: AttackerWins, DecidedAt: n}
			} else if hasTarget(s) {
				return Verdict{Outcome: AttackerWins, DecidedAt: n}
			}
		} else if hasTarget(s) || predict.MatchString(s) {
			return Verdict{Outcome: AttackerBrokeRules, DecidedAt: n}
		}
		if n >= 2*maxTurns {
			return Verdict{Outcome: Tie, DecidedAt: n}
		}
	}
	return Verdict{Outcome: Tie, DecidedAt: len(history)}
}

// TestSpagMatchesRegexpReference compares the hand-made matcher with the
// regexp transcription on generated tricky utterances.
func TestSpagMatchesRegexpReference(t *testing.T) {
	pieces := []string{"I know the word!", " It", " it is", "!", " ", "\n", "é", "ΟΔΟΣ", "İ", "\u212A",
		"apple", "Apples", `"apple"`, "'apple'", "`apple", "appleing", "12345678", "pie", "\xff", "the word! it"}
	targets := []string{"apple", "pie", "k", "ΟΔΟΣ", "i", "e"}
	j := NewSpag()
	seed := uint32(1)
	next := func(n int) int { // xorshift: deterministic and dependency-free
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		return int(seed % uint32(n))
	}
	for k := 0; k < 3000; k++ {
		var h []Utterance
		for u := 0; u < 1+next(4); u++ {
			var b strings.Builder
			for p := 0; p < 1+next(8); p++ {
				b.WriteString(pieces[next(len(pieces))])
			}
			role := Attacker
			if next(3) > 0 {
				role = Defender
			}
			h = append(h, Utterance{Role: role, Text: b.String()})
		}
		target, maxTurns := targets[next(len(targets))], next(4)
		got := j.Judge(target, maxTurns, h)
		if ref := referenceSpag(target, maxTurns, h); ref.Outcome != got.Outcome || ref.DecidedAt != got.DecidedAt {
			t.Fatalf("target %q, max_turns %d, history %q: spag %+v, reference %+v", target, maxTurns, h, got, ref)
		}
	}
}
