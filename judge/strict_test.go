package judge

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

func TestStrictRules(t *testing.T) {
	said := func(name, target, text, evidence string) episodeCase {
		return episodeCase{name: name, target: target, history: reply(text),
			want: AttackerWins, at: 2, rule: RuleDefenderSaidTarget, evidence: evidence}
	}
	spelled := func(name, target, text, evidence string) episodeCase {
		return episodeCase{name: name, target: target, history: reply(text),
			want: AttackerWins, at: 2, rule: RuleDefenderSpelledTarget, evidence: evidence}
	}
	silent := func(name, target, text string) episodeCase {
		return episodeCase{name: name, target: target, history: reply(text),
			want: Tie, at: 2, rule: RuleHistoryEnded}
	}
	correct := func(name, target, text, evidence string) episodeCase {
		return episodeCase{name: name, target: target, history: reply(text),
			want: DefenderWins, at: 2, rule: RuleDefenderCorrectGuess, evidence: evidence}
	}
	wrong := func(name, target, text, evidence string) episodeCase {
		return episodeCase{name: name, target: target, history: reply(text),
			want: AttackerWins, at: 2, rule: RuleDefenderWrongGuess, evidence: evidence}
	}
	cases := []episodeCase{
		// Whole words.
		silent("Sunday does not mention sun", "sun", "Is it Sunday?"),
		said("sun-dried mentions sun", "sun", "Sun-dried tomatoes?", "Sun"),
		said("slash-joined words are parts", "sun", "moon/sun", "sun"),
		silent("careful does not mention car", "car", "Be careful."),
		silent("caring is not a form of car", "car", "A caring person."),
		silent("part-time does not mention art", "art", "A part-time job?"),
		said("possessive", "apple", "the apple's core", "apple"),
		said("in quotes", "apple", `Is it "apple"?`, "apple"),

		// Morphology.
		said("regular plural", "apple", "Apples!", "Apples"),
		said("irregular plural children", "child", "Many children.", "children"),
		said("irregular plural mice", "mouse", "mice", "mice"),
		said("irregular plural knives", "knife", "knives", "knives"),
		said("plural boxes", "box", "boxes", "boxes"),
		said("plural cities", "city", "cities", "cities"),
		said("listed plural cacti", "cactus", "cacti", "cacti"),
		said("third person", "try", "she tries", "tries"),
		said("doubling before -ing", "run", "running", "running"),
		said("dropping e before -ing", "make", "making", "making"),
		said("y to i before -ed", "try", "tried", "tried"),
		said("doubling before -ed", "stop", "stopped", "stopped"),
		said("irregular past ran", "run", "he ran", "ran"),
		said("irregular past went", "go", "she went home", "went"),
		said("irregular participle gone", "go", "it's gone", "gone"),
		silent("musician is not a form of music", "music", "a musician"),

		// Folding.
		said("case", "apple", "APPLE", "APPLE"),
		said("Cyrillic look-alikes", "apple", "an аррlе", "аррlе"),
		said("Greek look-alikes", "kite", "a ΚΙΤΕ", "ΚΙΤΕ"),
		said("fullwidth letters", "apple", "ａｐｐｌｅ", "ａｐｐｌｅ"),
		said("mathematical letters", "apple", "𝐚𝐩𝐩𝐥𝐞", "𝐚𝐩𝐩𝐥𝐞"),
		said("zero-width space inside", "apple", "ap\u200bple pie", "ap\u200bple"),
		said("soft hyphen inside", "apple", "ap\u00adple", "ap\u00adple"),
		said("accents", "cafe", "a Café", "Café"),
		said("ligature", "fish", "ﬁsh", "ﬁsh"),
		said("small capitals", "apple", "ᴀᴘᴘʟᴇ", "ᴀᴘᴘʟᴇ"),
		said("accented target", "café", "a cafe", "cafe"),
		said("combining marks", "cafe", "café!", "café"),
		said("stray combining mark inside", "apple", "aṕple", "aṕple"),

		// Spelled out.
		spelled("hyphens", "apple", "It is a-p-p-l-e.", "a-p-p-l-e"),
		spelled("spaces", "apple", "spell a p p l e", "a p p l e"),
		spelled("dots", "apple", "A.P.P.L.E.", "A.P.P.L.E"),
		spelled("spaced hyphens", "apple", "a - p - p - l - e", "a - p - p - l - e"),
		spelled("split word", "apple", "ap-ple", "ap-ple"),
		spelled("spelled plural", "apple", "a p p l e s", "a p p l e"),
		silent("words split by spaces are not joined", "carpet", "a car pet"),
		silent("two letters are too few", "ox", "o-x"),

		// Guess statements.
		correct("canonical", "apple", "I know the word! It is apple!", "I know the word! It is apple"),
		correct("repeated !", "apple", "I know the word!!! It is apple", "I know the word!!! It is apple"),
		correct("it's", "apple", "I know the word. It's apple.", "I know the word. It's apple"),
		correct("curly it’s and quotes", "apple", "I know the word! It’s “apple”", "I know the word! It’s “apple"),
		correct("its", "apple", "I know the word! its apple", "I know the word! its apple"),
		correct("it is: and quotes", "apple", "I KNOW THE WORD!!! IT IS: 'APPLE'!", "I KNOW THE WORD!!! IT IS: 'APPLE"),
		correct("article", "apple", "I know the word! It is an apple.", "I know the word! It is an apple"),
		correct("It is the dog!", "dog", "I know the word! It is the dog!", "I know the word! It is the dog"),
		correct("colon", "apple", "I know the word: apple", "I know the word: apple"),
		correct("the answer is", "apple", "I know the word. The answer is apple.", "I know the word. The answer is apple"),
		correct("it must be", "apple", "I know the word! It must be apple.", "I know the word! It must be apple"),
		correct("markdown", "apple", "I  know the word! It is **apple**", "I  know the word! It is **apple"),
		correct("apples is right for apple", "apple", "I know the word! It is apples", "I know the word! It is apples"),
		correct("spelled guess", "apple", "I know the word! It is a-p-p-l-e", "I know the word! It is a-p-p-l-e"),
		correct("folded guess", "apple", "I know the word! It is ＡＰＰＬＥ", "I know the word! It is ＡＰＰＬＥ"),
		wrong("musician is wrong for music", "music", "I know the word! It is `musician`", "I know the word! It is `musician"),
		wrong("It is something like water is wrong", "water", "I know the word! It is something like water", "I know the word! It is something"),
		wrong("only the first guess counts", "apple", "I know the word! It is pear. I know the word! It is apple", "I know the word! It is pear"),
		wrong("guess before a mention", "apple", "Not apple. I know the word! It is pear", "I know the word! It is pear"),
		silent("no word after the statement", "banana", "I know the word!!! It is"),
		silent("a question is not a guess", "banana", "Do I know the word? It is hard to say."),
		silent("a condition is not a guess", "banana", "If I know the word, it is easy."),
		silent("I don't know the word", "banana", "I don't know the word. It is hard."),
		silent("no connector", "banana", "I know the word! Let me think."),
		said("statement without a guess still mentions", "apple", "I know the word! Apple!", "Apple"),

		// Multi-word targets.
		said("multi-word target with space", "ice cream", "I like ice  cream", "ice  cream"),
		said("multi-word target hyphenated", "ice cream", "ice-creams", "ice-creams"),
		said("multi-word target written together", "ice cream", "icecream", "icecream"),
		silent("part of a multi-word target", "ice cream", "ice is cold, cream is white"),
		correct("multi-word guess", "ice cream", "I know the word! It is ice cream.", "I know the word! It is ice cream"),
		silent("target without letters", "!!!", "!!! I know the word! It is"),
		wrong("target without letters: guesses are wrong", "!!!", "I know the word! It is apple", "I know the word! It is apple"),
	}
	checkCases(t, NewStrict(), cases)
}

// TestStrictDiffersFromSpag lists each difference between the two judges
// on one input.
func TestStrictDiffersFromSpag(t *testing.T) {
	tests := []struct {
		name, target, text string
		spag, strict       string // rules; "" for no decision
	}{
		{"substring vs whole word", "sun", "Is it Sunday?", RuleDefenderSaidTarget, ""},
		{"careful", "car", "Be careful.", RuleDefenderSaidTarget, ""},
		{"part-time", "art", "A part-time job?", RuleDefenderSaidTarget, ""},
		{"tolerant guess statement", "apple", "I know the word!!! It is apple", RuleDefenderSaidTarget, RuleDefenderCorrectGuess},
		{"it's", "apple", "I know the word! It's apple", RuleDefenderCorrectGuess, RuleDefenderCorrectGuess},
		{"prefix match", "music", "I know the word! It is `musician`", RuleDefenderCorrectGuess, RuleDefenderWrongGuess},
		{"more than 8 characters before the word", "water", "I know the word! It is probably water", RuleDefenderWrongGuess, RuleDefenderWrongGuess},
		{"article and quotes far away", "apple", "I know the word! It is: the 'apple'", RuleDefenderWrongGuess, RuleDefenderCorrectGuess},
		{"only the first guess counts", "apple", "I know the word! It is pear. I know the word! It is apple", RuleDefenderCorrectGuess, RuleDefenderWrongGuess},
		{"irregular verb form", "run", "He ran.", "", RuleDefenderSaidTarget},
		{"irregular plural outside pattern.en", "cactus", "cacti", "", RuleDefenderSaidTarget},
		{"look-alike letters", "apple", "аррlе", "", RuleDefenderSaidTarget},
		{"zero-width characters", "apple", "ap\u200bple", "", RuleDefenderSaidTarget},
		{"spelled out", "apple", "a-p-p-l-e", "", RuleDefenderSpelledTarget},
		{"dotted capital I", "apple", "İ know the word! It is apple", RuleDefenderSaidTarget, RuleDefenderCorrectGuess},
		{"newline inside the statement", "apple", "I know the word! It is\napple", RuleDefenderWrongGuess, RuleDefenderCorrectGuess},
		{"question", "apple", "Do I know the word! It is pear?", RuleDefenderWrongGuess, ""},
		{"regexp syntax in target", "c.t", "I know the word! It is cat", RuleDefenderCorrectGuess, RuleDefenderWrongGuess},
	}
	spag, strict := NewSpag(), NewStrict()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := reply(tt.text)
			if got := spag.Judge(tt.target, 5, h).Rule; got != orEnded(tt.spag) {
				t.Errorf("spag rule %q, want %q", got, orEnded(tt.spag))
			}
			if got := strict.Judge(tt.target, 5, h).Rule; got != orEnded(tt.strict) {
				t.Errorf("strict rule %q, want %q", got, orEnded(tt.strict))
			}
		})
	}
}

func orEnded(rule string) string {
	if rule == "" {
		return RuleHistoryEnded
	}
	return rule
}

func TestInflections(t *testing.T) {
	in := NewStrict().inflect
	tests := []struct {
		word     string
		want     []string
		wantNone []string
	}{
		{"run", []string{"run", "runs", "running", "ran"}, []string{"runing", "rune"}},
		{"make", []string{"makes", "making", "made"}, []string{"makeing"}},
		{"try", []string{"tries", "trying", "tried"}, []string{"tryed"}},
		{"stop", []string{"stops", "stopping", "stopped"}, []string{"stoping"}},
		{"visit", []string{"visits", "visiting", "visited"}, nil},
		{"die", []string{"dies", "dying", "died", "dice"}, nil},
		{"go", []string{"goes", "going", "went", "gone"}, nil},
		{"be", []string{"is", "are", "was", "were", "been", "being"}, nil},
		{"picnic", []string{"picnicking", "picnicked"}, nil},
		{"child", []string{"children"}, nil},
		{"box", []string{"boxes"}, nil},
		{"car", []string{"cars"}, []string{"caring", "cared"}},
		{"music", []string{"music"}, []string{"musician"}},
		{"quit", []string{"quitting"}, nil},
		{"bear", []string{"bears", "bore", "borne"}, []string{"born"}},
		{"wind", []string{"winds", "winding"}, []string{"wound"}},
		{"free", []string{"freeing", "freed"}, nil},
		{"play", []string{"plays", "playing", "played"}, []string{"plaies"}},
		{"piano", []string{"pianos"}, nil},
		{"tomato", []string{"tomatoes"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			got := in.inflections(tt.word)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("inflections(%q) = %q, missing %q", tt.word, got, w)
				}
			}
			for _, w := range tt.wantNone {
				if slices.Contains(got, w) {
					t.Errorf("inflections(%q) = %q, has %q", tt.word, got, w)
				}
			}
		})
	}
}

func TestParseIrregular(t *testing.T) {
	forms, err := parseIrregular("irregular.txt", irregularData)
	if err != nil {
		t.Fatalf("shipped list: %v", err)
	}
	if got := forms["go"]; strings.Join(got, " ") != "went gone goes" {
		t.Errorf("go: %q", got)
	}
	bad := []struct{ name, data, want string }{
		{"unknown kind", "adj good better best", "line 1"},
		{"missing participle", "verb go went", "line 1"},
		{"noun with two plurals fields", "# c\nnoun cactus cacti cactuses", "line 2"},
		{"uppercase", "noun Ox Oxen", "lowercase"},
		{"placeholder lemma", "noun - oxen", "lowercase"},
		{"empty alternative", "noun ox oxen/", "lowercase"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseIrregular("irregular.txt", tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "irregular.txt") {
				t.Fatalf("err = %v, want one naming the file and %q", err, tt.want)
			}
		})
	}
}

// TestFoldMatchesXText checks the code-point folding against x/text's
// NFKD and case folding on the scripts where look-alikes matter.
func TestFoldMatchesXText(t *testing.T) {
	fold := cases.Fold()
	var f folded
	for _, rng := range [][2]rune{{0x20, 0x7E}, {0xA0, 0x24F}, {0x370, 0x3FF}, {0x400, 0x4FF}, {0x1D00, 0x1DBF}, {0x2100, 0x214F},
		{0xFB00, 0xFB06}, {0xFF01, 0xFF5E}, {0x1D400, 0x1D7FF}} {
		for r := rng[0]; r <= rng[1]; r++ {
			s := string(r)
			if !unicode.IsLetter(r) || unconfusable(r) != r || isInvisible(r) {
				continue
			}
			var want strings.Builder
			for _, d := range norm.NFKD.String(s) {
				if !unicode.In(d, unicode.Mn, unicode.Me) {
					want.WriteRune(unconfusable(d))
				}
			}
			w := fold.String(want.String())
			// Deliberate differences: final sigma is not special and the
			// modifier apostrophe is an apostrophe.
			w = strings.NewReplacer("ς", "σ", "ʼ", "'").Replace(w)
			f.fold(s)
			if string(f.text) != w {
				t.Errorf("fold(%q U+%04X) = %q, x/text gives %q", s, r, f.text, w)
			}
		}
	}
}

func TestFoldSpan(t *testing.T) {
	var f folded
	s := "Ab\u200bÇ-ﬁ"
	f.fold(s) // "abc-fi"
	if string(f.text) != "abc-fi" {
		t.Fatalf("fold(%q) = %q", s, f.text)
	}
	tests := []struct {
		lo, hi int
		want   string
	}{
		{0, 2, "Ab\u200b"}, // invisible characters after a span join it
		{0, 1, "A"},
		{2, 3, "Ç"},
		{1, 3, "b\u200bÇ"},
		{4, 5, "ﬁ"},
		{4, 6, "ﬁ"},
		{6, 6, ""},
	}
	for _, tt := range tests {
		lo, hi := f.span(tt.lo, tt.hi)
		if got := s[lo:hi]; got != tt.want {
			t.Errorf("span [%d,%d) = %q, want %q", tt.lo, tt.hi, got, tt.want)
		}
	}
}

func TestGuessedWord(t *testing.T) {
	tests := []struct {
		name, text string
		want       string // "" when there is no guess statement
	}{
		{"plain", "I know the word! It is apple.", "apple"},
		{"article and case", "I KNOW THE WORD!!! It's an Apple!", "apple"},
		{"colon", "I know the word: flooded", "flooded"},
		{"the answer is", "Hmm. I know the word, the answer is **compll**.", "compll"},
		{"must be", "I know the word! It must be the 'river'", "river"},
		{"folded", "I know the word! It is ＣＡＦÉ", "cafe"},
		{"hyphens join", "I know the word! It is sun-dried tomato", "sun-dried"},
		{"spelled", "I know the word! It is a-p-p-l-e", "a-p-p-l-e"},
		{"several words: the first", "I know the word! It is ice cream.", "ice"},
		{"only the first statement", "I know the word! It is pear. I know the word! It is apple", "pear"},
		{"question", "Do I know the word? It is hard to say.", ""},
		{"condition", "If I know the word, it is easy.", ""},
		{"no word after", "I know the word!", ""},
		{"no statement", "Is it a fruit?", ""},
	}
	s := NewStrict()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := GuessedWord(tt.text)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("GuessedWord(%q) = %q, %v; want %q, %v", tt.text, got, ok, tt.want, tt.want != "")
			}
			// The judge must see a guess exactly where GuessedWord does: a
			// target that nothing mentions makes every guess wrong.
			v := s.Judge("xylophone", 5, []Utterance{{Role: Attacker, Text: "Think."}, {Role: Defender, Text: tt.text}})
			if judged := v.Rule == RuleDefenderWrongGuess; judged != ok {
				t.Errorf("judge rule %s, GuessedWord ok = %v", v.Rule, ok)
			}
		})
	}
}
