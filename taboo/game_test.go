package taboo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/judge"
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		want string
	}{
		{"zero max turns", Params{}, "max turns must be at least 1 (got 0)"},
		{"negative max turns", Params{MaxTurns: -3}, "max turns must be at least 1 (got -3)"},
		{"unknown style", Params{MaxTurns: 5, Style: "poem"}, `unknown prompt style "poem" (valid: chat, transcript, compact)`},
		{"zero templates", Params{MaxTurns: 5, Templates: &Templates{}}, "templates not loaded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New(%+v) error %v, want %q", tc.p, err, tc.want)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	g, err := New(Params{MaxTurns: 3})
	if err != nil {
		t.Fatal(err)
	}
	strict := judge.NewStrict()
	if g.Style() != StyleChat || g.Judge().Name() != strict.Name() || g.Templates().Hash() != BuiltinTemplates().Hash() {
		t.Fatalf("defaults: style %q judge %q templates %s", g.Style(), g.Judge().Name(), g.Templates().Hash())
	}
	if g.MaxTurns() != 3 || g.MaxUtterances() != 6 {
		t.Fatalf("MaxTurns %d MaxUtterances %d, want 3 and 6", g.MaxTurns(), g.MaxUtterances())
	}
	if got := g.Roles(); len(got) != 2 || got[0] != "attacker" || got[1] != "defender" {
		t.Fatalf("Roles = %q", got)
	}
	if g.Name() != "taboo" {
		t.Fatalf("Name = %q", g.Name())
	}
}

func TestString(t *testing.T) {
	spag := judge.NewSpag()
	g, err := New(Params{MaxTurns: 4, Judge: spag, Style: StyleTranscript})
	if err != nil {
		t.Fatal(err)
	}
	want := "taboo(max_turns=4,judge=" + JudgeID(spag) + ",style=transcript,templates=" + BuiltinTemplates().Hash() + ")"
	if g.String() != want {
		t.Fatalf("String = %q, want %q", g.String(), want)
	}
	if !strings.HasPrefix(BuiltinTemplates().Hash(), "sha256:") || len(BuiltinTemplates().Hash()) != len("sha256:")+64 {
		t.Fatalf("Hash = %q, want sha256: and 64 hex digits", BuiltinTemplates().Hash())
	}
}

func TestParseRoundTrip(t *testing.T) {
	custom := writeTemplates(t, map[string]string{
		AttackerFile: "Attack {{.Target}}.",
		DefenderFile: "Defend.",
	})
	tests := []struct {
		name string
		p    Params
	}{
		{"defaults", DefaultParams()},
		{"spag transcript", Params{MaxTurns: 7, Judge: judge.NewSpag(), Style: StyleTranscript}},
		{"strict chat custom templates", Params{MaxTurns: 1, Judge: judge.NewStrict(), Style: StyleChat, Templates: custom}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(g.String(), custom)
			if err != nil {
				t.Fatalf("Parse(%q): %v", g, err)
			}
			if back.String() != g.String() {
				t.Fatalf("Parse(%q).String() = %q", g, back)
			}
			if back.Judge().Name() != g.Judge().Name() || back.Style() != g.Style() || back.MaxTurns() != g.MaxTurns() {
				t.Fatalf("Parse(%q) rebuilt a different game", g)
			}
		})
	}
}

func TestParseShortForms(t *testing.T) {
	def, err := New(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"taboo", "taboo()", " taboo( max_turns = 5 ) ", "taboo(judge=strict)"} {
		g, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if g.String() != def.String() {
			t.Fatalf("Parse(%q) = %q, want the default game %q", s, g, def)
		}
	}
}

func TestParseErrors(t *testing.T) {
	custom := writeTemplates(t, map[string]string{AttackerFile: "A {{.Target}}", DefenderFile: "D"})
	g, err := New(Params{MaxTurns: 5, Templates: custom})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"other game", "apo(x=1)", "want taboo(key=value,...)"},
		{"no closing paren", "taboo(max_turns=5", "want taboo(key=value,...)"},
		{"not key=value", "taboo(max_turns)", `field "max_turns" is not key=value`},
		{"unknown key", "taboo(turns=5)", `unknown key "turns" (valid: max_turns, judge, style, templates)`},
		{"repeated key", "taboo(style=chat,style=chat)", "key style repeats"},
		{"bad integer", "taboo(max_turns=five)", `max_turns="five" is not an integer`},
		{"zero turns", "taboo(max_turns=0)", "max turns must be at least 1 (got 0)"},
		{"too many turns", "taboo(max_turns=1001)", "max turns must be at most 1000 (got 1001)"},
		{"bad style", "taboo(style=poem)", `unknown prompt style "poem"`},
		{"unknown judge", "taboo(judge=lenient@1)", "lenient"},
		{"judge version", "taboo(judge=strict@999)", "judge strict is at version"},
		{"judge version not a number", "taboo(judge=strict@x)", `version "x" is not an integer`},
		{"custom templates not passed", g.String(), "are not the built-in ones"},
		{"unknown hash", "taboo(templates=sha256:00)", "load the custom templates with LoadTemplates and pass them to Parse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse(%q) error %v, want %q", tc.in, err, tc.want)
			}
		})
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts
// prints as a string it accepts again, unchanged.
func FuzzParse(f *testing.F) {
	f.Add("taboo(max_turns=5,judge=strict@1,style=chat)")
	f.Add("taboo(judge=spag,style=transcript)")
	f.Add("taboo(,)")
	f.Add("taboo((=)")
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(g.String())
		if err != nil || back.String() != g.String() {
			t.Fatalf("Parse(%q) = %q, which does not parse back (%v)", s, g, err)
		}
	})
}

// writeTemplates writes files into a temporary directory and loads them.
func writeTemplates(t *testing.T, files map[string]string) *Templates {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tm, err := LoadTemplates(dir)
	if err != nil {
		t.Fatalf("LoadTemplates: %v", err)
	}
	return tm
}
