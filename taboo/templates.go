package taboo

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
)

//go:embed templates/*.tmpl
var builtinTemplateFS embed.FS

// Template file names. A template set is a directory holding some of these
// files; see [LoadTemplates].
const (
	// AttackerFile holds the attacker's rules and instructions: the system
	// message in the chat style, the Rules of the transcript style. Required.
	AttackerFile = "attacker.tmpl"
	// DefenderFile is the same for the defender. Required.
	DefenderFile = "defender.tmpl"
	// TranscriptFile renders the one user message of the transcript style
	// (data: [TemplateData] with Rules set). Optional.
	TranscriptFile = "transcript.tmpl"
	// OpeningFile renders, in the chat style, the user message that asks the
	// player who speaks first (the attacker) to begin (data: [TemplateData]).
	// Optional.
	OpeningFile = "opening.tmpl"
	// ReplyFile renders, in the chat style, each opponent utterance as a user
	// message (data: [ReplyData]). Optional.
	ReplyFile = "reply.tmpl"
	// CompactFile renders the one user message of the compact style (data:
	// [TemplateData]; Rules is not set). Optional.
	CompactFile = "compact.tmpl"
)

// templateFiles lists every file of a set; the first two are required.
var templateFiles = [...]string{AttackerFile, DefenderFile, TranscriptFile, OpeningFile, ReplyFile, CompactFile}

// TemplateData is what the prompt templates see.
type TemplateData struct {
	// Role is the player's role, "attacker" or "defender".
	Role string
	// Target is the secret word for the attacker; always empty for the
	// defender, whose prompt must never contain it.
	Target string
	// MaxTurns is the number of turns each player has before a tie.
	MaxTurns int
	// Utterance is the 1-based number of the utterance about to be written,
	// counting both players (1 to 2*MaxTurns).
	Utterance int
	// Turn is the 1-based number of this player's turn (1 to MaxTurns).
	Turn int
	// TurnsLeft counts this player's turns left, this one included (1 on
	// its last turn).
	TurnsLeft int
	// History is the conversation so far; Role holds "attacker" or
	// "defender".
	History []game.Message
	// Rules is the rendered role template (attacker.tmpl or defender.tmpl);
	// set only for transcript.tmpl.
	Rules string
}

// ReplyData is what reply.tmpl sees for one opponent utterance.
type ReplyData struct {
	TemplateData
	// Message is the opponent utterance being rendered.
	Message game.Message
	// N is its 1-based utterance number.
	N int
	// Last reports whether it is the last message of the prompt.
	Last bool
}

// Templates is a parsed, validated set of prompt templates. It is immutable
// and safe for concurrent use.
type Templates struct {
	byName map[string]*template.Template
	hash   string
	source string // where the set came from
}

// templateFuncs returns the functions templates may call besides
// text/template's built-ins.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		// title upper-cases the first letter: {{title .Role}} gives "Attacker".
		"title": func(s string) string {
			r, size := utf8.DecodeRuneInString(s)
			if r == utf8.RuneError {
				return s
			}
			return string(unicode.ToUpper(r)) + s[size:]
		},
		// oneline puts a message on one line (line breaks become spaces), so
		// that a line-per-message prompt cannot be forged by a message
		// holding "\nDefender: ...".
		"oneline": func(s string) string {
			return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
				return r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u0085' || r == '\u2028' || r == '\u2029'
			}), " ")
		},
	}
}

// BuiltinTemplates returns the templates shipped with spag
// (taboo/templates/). It panics if they do not parse, which the package's
// tests rule out.
func BuiltinTemplates() *Templates {
	files, err := readTemplateFiles(builtinTemplateFS, "templates", "built-in templates")
	if err != nil {
		panic(err)
	}
	t, err := parseTemplates(files, "built-in templates")
	if err != nil {
		panic(err)
	}
	return t
}

// LoadTemplates loads a template set from dir. The directory must hold
// attacker.tmpl and defender.tmpl and may hold transcript.tmpl,
// opening.tmpl, reply.tmpl and compact.tmpl; missing optional files are taken from the
// built-in set. Any other *.tmpl file is an error (a misspelt name would
// otherwise be ignored silently). Templates use Go's text/template syntax,
// with [TemplateData] or [ReplyData] as data and the extra functions title
// and oneline (line breaks to spaces).
//
// Every template is rendered once with sample data for both roles, so that
// syntax errors and unknown fields are reported here, with the file and
// line, rather than in the middle of a run.
func LoadTemplates(dir string) (*Templates, error) {
	// os.DirFS reports a missing dir as "open .": name it instead.
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("load templates: %s is not a directory (want one holding %s and %s)", dir, AttackerFile, DefenderFile)
	}
	files, err := readTemplateFiles(os.DirFS(dir), ".", dir)
	if err != nil {
		return nil, err
	}
	for _, name := range templateFiles[:2] {
		if _, ok := files[name]; !ok {
			return nil, fmt.Errorf("load templates %s: %s is missing (required: %s, %s)", dir, name, AttackerFile, DefenderFile)
		}
	}
	builtin, err := readTemplateFiles(builtinTemplateFS, "templates", "built-in templates")
	if err != nil {
		return nil, err
	}
	for _, name := range templateFiles[2:] {
		if _, ok := files[name]; !ok {
			files[name] = builtin[name]
		}
	}
	return parseTemplates(files, dir)
}

// readTemplateFiles reads the *.tmpl files of dir in fsys.
func readTemplateFiles(fsys fs.FS, dir, source string) (map[string]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("load templates %s: %w", source, err)
	}
	files := make(map[string]string)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || filepath.Ext(name) != ".tmpl" {
			continue
		}
		if !slices.Contains(templateFiles[:], name) {
			return nil, fmt.Errorf("load templates %s: unknown template file %s (known: %s)", source, name, strings.Join(templateFiles[:], ", "))
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("load templates %s: %w", source, err)
		}
		files[name] = string(b)
	}
	return files, nil
}

// parseTemplates parses a complete set and checks it by rendering samples.
func parseTemplates(files map[string]string, source string) (*Templates, error) {
	t := &Templates{byName: make(map[string]*template.Template, len(files)), source: source}
	h := sha256.New()
	for _, name := range templateFiles {
		text, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("load templates %s: %s is missing", source, name)
		}
		// Each file is its own template, so that {{define}} blocks in two
		// files cannot clash.
		tm, err := template.New(name).Funcs(templateFuncs()).Option("missingkey=error").Parse(text)
		if err != nil {
			// text/template errors read "template: attacker.tmpl:3: ...".
			return nil, fmt.Errorf("load templates %s: %w", source, err)
		}
		t.byName[name] = tm
		// The hash covers names and contents of the effective set in a fixed
		// order, so it changes whenever any prompt could change.
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write([]byte(text))
		h.Write([]byte{0})
	}
	t.hash = "sha256:" + hex.EncodeToString(h.Sum(nil))
	if err := t.selfCheck(); err != nil {
		return nil, fmt.Errorf("load templates %s: %w", source, err)
	}
	return t, nil
}

// selfCheck renders every template for both roles and both styles, with
// histories of every length up to a reply to the attacker's second message.
func (t *Templates) selfCheck() error {
	sample := []game.Message{
		{Role: judge.Attacker, Content: "sample attacker message"},
		{Role: judge.Defender, Content: "sample defender message"},
		{Role: judge.Attacker, Content: "another attacker message"},
	}
	for _, style := range Styles() {
		for n := 1; n <= len(sample)+1; n++ {
			role := roleOf(n)
			if _, err := t.render(style, role, "sample", 5, n, sample[:n-1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Hash identifies the set's contents: "sha256:" and the hex digest over the
// file names and texts of the effective set (built-in fall-backs included).
// Runs record it.
func (t *Templates) Hash() string { return t.hash }

// Source says where the set was loaded from: its directory, or "built-in
// templates".
func (t *Templates) Source() string { return t.source }

// execute renders one template; the trailing line breaks template files end
// with are removed.
func (t *Templates) execute(name string, data any) (string, error) {
	var b strings.Builder
	if err := t.byName[name].Execute(&b, data); err != nil {
		return "", err
	}
	return strings.TrimRight(b.String(), "\r\n"), nil
}

// render builds the prompt for utterance n (1-based) of role, given the
// history before it. target is ignored for the defender.
func (t *Templates) render(style, role, target string, maxTurns, n int, history []game.Message) (game.Prompt, error) {
	var rulesFile string
	switch role {
	case judge.Attacker:
		rulesFile = AttackerFile
	case judge.Defender:
		rulesFile = DefenderFile
		target = "" // never let the secret reach the defender's prompt
	default:
		return game.Prompt{}, fmt.Errorf("render prompt: unknown role %q (want %s or %s)", role, judge.Attacker, judge.Defender)
	}
	turn := (n + 1) / 2
	data := TemplateData{
		Role:      role,
		Target:    target,
		MaxTurns:  maxTurns,
		Utterance: n,
		Turn:      turn,
		TurnsLeft: max(maxTurns-turn+1, 0),
		History:   history,
	}
	rules, err := t.execute(rulesFile, data)
	if err != nil {
		return game.Prompt{}, err
	}
	switch style {
	case StyleCompact:
		// The role's rules are not used: the compact template carries its
		// own, shorter ones.
		text, err := t.execute(CompactFile, data)
		if err != nil {
			return game.Prompt{}, err
		}
		return game.Prompt{Messages: []game.Message{{Role: "user", Content: text}}}, nil
	case StyleTranscript:
		data.Rules = rules
		text, err := t.execute(TranscriptFile, data)
		if err != nil {
			return game.Prompt{}, err
		}
		return game.Prompt{Messages: []game.Message{{Role: "user", Content: text}}}, nil
	case StyleChat:
		msgs := make([]game.Message, 0, len(history)+2)
		msgs = append(msgs, game.Message{Role: "system", Content: rules})
		if role == judge.Attacker {
			// The attacker speaks first: a user message asks it to begin, so
			// that the conversation alternates user/assistant as chat
			// templates require.
			text, err := t.execute(OpeningFile, data)
			if err != nil {
				return game.Prompt{}, err
			}
			msgs = append(msgs, game.Message{Role: "user", Content: text})
		}
		for i, m := range history {
			if m.Role == role {
				msgs = append(msgs, game.Message{Role: "assistant", Content: m.Content})
				continue
			}
			text, err := t.execute(ReplyFile, ReplyData{TemplateData: data, Message: m, N: i + 1, Last: i == len(history)-1})
			if err != nil {
				return game.Prompt{}, err
			}
			msgs = append(msgs, game.Message{Role: "user", Content: text})
		}
		return game.Prompt{Messages: msgs}, nil
	}
	return game.Prompt{}, fmt.Errorf("render prompt: unknown style %q (valid: %s)", style, strings.Join(Styles(), ", "))
}
