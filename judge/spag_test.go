package judge

import (
	"strings"
	"testing"
)

func TestSpagQuirks(t *testing.T) {
	cases := []episodeCase{
		// Substring matching, no word boundaries.
		{name: "Sunday mentions sun", target: "sun", history: reply("Is it Sunday?"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "Sun"},
		{name: "careful mentions car", target: "car", history: reply("Be careful."),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "car"},
		{name: "part-time mentions art", target: "art", history: reply("A part-time job?"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "art"},
		{name: "attacker saying Sunday breaks the rules for sun", target: "sun", history: game("Not on a SUNDAY."),
			want: AttackerBrokeRules, at: 1, rule: RuleAttackerSaidTarget, evidence: "SUN"},
		{name: "target is lowered too", target: "Apple", history: reply("an apple"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "apple"},

		// Word forms: the plural may not contain the word.
		{name: "irregular plural mice", target: "mouse", history: reply("Three blind mice"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "mice"},
		{name: "irregular plural knives", target: "knife", history: reply("Sharp knives"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "knives"},
		{name: "plural cities", target: "city", history: reply("big cities"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "cities"},
		{name: "plural of the first word of a multi-word target", target: "ice cream", history: reply("ices are cold"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "ices"},
		{name: "ing form contains the word", target: "jump", history: reply("jumping"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "jump"},
		{name: "irregular past is not a form", target: "run", history: reply("he ran away"),
			want: Tie, at: 2, rule: RuleHistoryEnded},

		// Guess statements: the exact expression.
		{name: "I know the word!!! It is: not a guess", target: "banana", history: reply("I know the word!!! It is cherry"),
			want: Tie, at: 2, rule: RuleHistoryEnded},
		{name: "I know the word!!! It is apple: a mention, not a guess", target: "apple", history: reply("I know the word!!! It is apple"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "apple"},
		{name: "nothing after it: not a guess", target: "banana", history: reply("I know the word! It"),
			want: Tie, at: 2, rule: RuleHistoryEnded},
		{name: "newline right after it: not a guess", target: "apple", history: reply("I know the word! It\napple"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "apple"},
		{name: "newline stops the 8 characters", target: "apple", history: reply("I know the word! It is\napple"),
			want: AttackerWins, at: 2, rule: RuleDefenderWrongGuess, evidence: "I know the word! It is"},
		{name: "guess words are lowered", target: "apple", history: reply("I KNOW THE WORD! IT IS APPLE"),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I KNOW THE WORD! IT IS APPLE"},
		{name: "it itself starts a guess", target: "apple", history: reply("I know the word! Itself: apple"),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I know the word! Itself: apple"},
		{name: "musician is a correct guess for music (prefix)", target: "music", history: reply("I know the word! It is `musician`"),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I know the word! It is `music"},
		{name: "It is the dog! is correct for dog", target: "dog", history: reply("I know the word! It is the dog!"),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I know the word! It is the dog"},
		{name: "It is something like water is wrong for water", target: "water", history: reply("I know the word! It is something like water"),
			want: AttackerWins, at: 2, rule: RuleDefenderWrongGuess, evidence: "I know the word! It is some"},
		{name: "8 characters then the word", target: "apple", history: reply("I know the word! It is 1234apple"),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I know the word! It is 1234apple"},
		{name: "9 characters then the word", target: "apple", history: reply("I know the word! It is 12345apple"),
			want: AttackerWins, at: 2, rule: RuleDefenderWrongGuess, evidence: "I know the word! It is 1234"},
		{name: "characters are code points, not bytes", target: "apple", history: reply("I know the word! Itééééééééapple"),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I know the word! Itééééééééapple"},
		{name: "9 code points are too many", target: "apple", history: reply("I know the word! Itéééééééééapple"),
			want: AttackerWins, at: 2, rule: RuleDefenderWrongGuess, evidence: "I know the word! Itéééééééé"},
		{name: "the quoted form reaches one character further", target: "apple", history: reply(`I know the word! It is xyz "apple"`),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: `I know the word! It is xyz "apple"`},
		{name: "an unclosed quote does not", target: "apple", history: reply(`I know the word! It is xyz "apple`),
			want: AttackerWins, at: 2, rule: RuleDefenderWrongGuess, evidence: `I know the word! It is xyz `},
		{name: "any guess statement may be the correct one", target: "apple", history: reply("I know the word! It is pear. No, I know the word! It is apple"),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I know the word! It is apple"},
		{name: "a guess is checked before mentions", target: "apple", history: reply("apple? I know the word! It is pear"),
			want: AttackerWins, at: 2, rule: RuleDefenderWrongGuess, evidence: "I know the word! It is pear"},
		{name: "attacker mention is checked before the guess", target: "apple", history: game("I know the word! It is apple"),
			want: AttackerBrokeRules, at: 1, rule: RuleAttackerSaidTarget, evidence: "apple"},
		{name: "plural guess is correct", target: "mouse", history: reply("I know the word! It is mice"),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I know the word! It is mice"},

		// Target words with regular-expression syntax, unescaped as in the
		// reference.
		{name: "dot in the target matches any character in a guess", target: "c.t", history: reply("I know the word! It is cat"),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I know the word! It is cat"},
		{name: "dot in the target is literal in mentions", target: "c.t", history: reply("a cat"),
			want: Tie, at: 2, rule: RuleHistoryEnded},
		{name: "alternation splits the reference's expression", target: "a|b", history: reply("I know the word! It is pear"),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I know the word! It is pea"},
		{name: "invalid expression falls back to the literal form", target: "c++", history: reply("I know the word! It is c++"),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I know the word! It is c++"},

		// Python's str.lower().
		{name: "dotted capital I lowers to i + combining dot: no guess", target: "apple", history: reply("İ know the word! It is apple"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "apple"},
		{name: "Kelvin sign lowers to k", target: "kite", history: reply("I know the word! It is \u212Aite"),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: "I know the word! It is \u212Aite"},
		{name: "final sigma lowers to ς", target: "ΟΔΟΣ", history: reply("ΟΔΟΣ!"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "ΟΔΟΣ"},
		{name: "inner sigma lowers to σ", target: "ΟΔΟΣ", history: reply("ΟΔΟΣΑ"),
			want: Tie, at: 2, rule: RuleHistoryEnded},
		{name: "evidence maps back through non-ASCII text", target: "sun", history: reply("Ça, c'est le SUN"),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: "SUN"},
		{name: "an empty target is in every utterance", target: "", history: game("Hello"),
			want: AttackerBrokeRules, at: 1, rule: RuleAttackerSaidTarget, evidence: ""},
	}
	checkCases(t, NewSpag(), cases)
}

func TestSpagForms(t *testing.T) {
	ep := NewSpag().Start("Child", 5).(*spagEpisode)
	want := []string{
		"child", "childing", "childed", "children",
		`"child"`, `"childing"`, `"childed"`, `"children"`,
		"'child'", "'childing'", "'childed'", "'children'",
		"`child`", "`childing`", "`childed`", "`children`",
	}
	if got := ep.forms[:]; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("forms = %q, want %q", got, want)
	}
}

func TestPyLower(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hello World", "hello world"},
		{"ÀÉÎ", "àéî"},
		{"İstanbul", "i\u0307stanbul"},
		{"ΟΔΟΣ ΟΔΟΣ.", "οδος οδος."},
		{"ΣΑ", "σα"},
		{"Σ", "σ"},
		{"AΣ'A", "aσ'a"},
		{"AΣ'", "aς'"},
		{"\u212A", "k"},
		{"a\xffB", "a\xffb"},
	}
	for _, tt := range tests {
		got, _ := appendPyLower(nil, tt.in)
		if string(got) != tt.want {
			t.Errorf("pyLower(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPyLowerSpan(t *testing.T) {
	s := "xİy\u212Az"
	low, _ := appendPyLower(nil, s) // "xi\u0307yk z"
	tests := []struct {
		lo, hi int
		want   string
	}{
		{0, 1, "x"},
		{1, 2, "İ"}, // only the "i" of "i\u0307"
		{1, 4, "İ"},
		{4, 5, "y"},
		{5, 7, "\u212Az"},
		{0, len(low), s},
		{len(low), len(low), ""},
	}
	for _, tt := range tests {
		lo, hi := pyLowerSpan(s, tt.lo, tt.hi)
		if got := s[lo:hi]; got != tt.want {
			t.Errorf("span [%d,%d) of %q = %q, want %q", tt.lo, tt.hi, low, got, tt.want)
		}
	}
}
