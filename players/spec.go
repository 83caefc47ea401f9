package players

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Spec is a parsed player spec, the value of --attacker, --defender,
// --generator, --reward-model and --against:
//
//	BACKEND[:ARG][,key=value...]
//
// The grammar has one rule for where a part ends: the ARG after the first
// ":" and each option value run to the next "," that starts another
// key=value (a key is a letter or "_" followed by letters, digits or "_",
// then "="). So ARG and values may hold ":", "@", "=" and commas that do not
// start an option:
//
//	native,temperature=0                  backend native, option temperature
//	native:lr=3e-3.ckpt                   the checkpoint file "lr=3e-3.ckpt"
//	ollama:qwen2.5:7b@http://h1:11434,http://h2:11434,temperature=0.7
//	                                      ARG "qwen2.5:7b@http://h1:11434,http://h2:11434"
//
// An ARG or value that itself holds a "," followed by key= is written in
// double quotes, with Go's escapes: native:"runs/a,lr=3.ckpt",top_k=5.
// [Spec.String] quotes exactly when it must, so Parse(s.String()) gives s
// back.
type Spec struct {
	// Raw is the spec as the user wrote it; runs record it. Empty for specs
	// built in code, which [Spec.String] then stands for.
	Raw string
	// Backend names a registered backend (see [Register]).
	Backend string
	// Arg is what the backend plays with: a model, a checkpoint path.
	Arg string
	// Options are the key=value settings, by key.
	Options map[string]string
}

// ErrSyntax is what [Parse] errors wrap: the text is not a spec.
var ErrSyntax = errors.New("not a player spec")

// Parse reads a spec (see [Spec] for the grammar). It checks only the
// grammar: whether the backend exists and takes the options is for [Open].
func Parse(raw string) (Spec, error) {
	s := Spec{Raw: raw, Options: map[string]string{}}
	bad := func(format string, args ...any) (Spec, error) {
		return Spec{}, fmt.Errorf("%w: %s; the form is BACKEND[:ARG][,key=value...], for example native,temperature=0",
			ErrSyntax, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(raw) == "" {
		return bad("it is empty")
	}
	end := strings.IndexAny(raw, ":,")
	if end < 0 {
		end = len(raw)
	}
	s.Backend = raw[:end]
	if !validBackend(s.Backend) {
		return bad("backend %q: want lower-case letters, digits, - or _", s.Backend)
	}
	rest := raw[end:]
	if strings.HasPrefix(rest, ":") {
		var quoted bool
		var err error
		s.Arg, rest, quoted, err = field(rest[1:])
		if err != nil {
			return bad("its argument: %v", err)
		}
		if s.Arg == "" && !quoted {
			return bad("nothing after %q", s.Backend+":")
		}
	}
	for rest != "" {
		// rest starts with "," (field stops only there).
		rest = rest[1:]
		n := keyLen(rest)
		if n == 0 || n >= len(rest) || rest[n] != '=' {
			part, _, _ := strings.Cut(rest, ",")
			return bad("%q is not key=value", part)
		}
		key := rest[:n]
		v, next, _, err := field(rest[n+1:])
		if err != nil {
			return bad("option %s: %v", key, err)
		}
		if _, dup := s.Options[key]; dup {
			return bad("option %s is given twice", key)
		}
		s.Options[key] = v
		rest = next
	}
	return s, nil
}

// field reads an ARG or a value at the start of s: a Go-quoted string, or
// the text up to the next option boundary. rest is "" or starts with the
// "," of the next option.
func field(s string) (v, rest string, quoted bool, err error) {
	if strings.HasPrefix(s, `"`) {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return "", "", true, fmt.Errorf("unterminated or malformed quotes in %s", s)
		}
		v, _ = strconv.Unquote(q)
		rest = s[len(q):]
		if rest != "" && !isBoundary(rest) {
			return "", "", true, fmt.Errorf("%q follows the closing quote; a quoted part ends the spec or is followed by ,key=value", rest)
		}
		return v, rest, true, nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] == ',' && isBoundary(s[i:]) {
			return s[:i], s[i:], false, nil
		}
	}
	return s, "", false, nil
}

// isBoundary reports whether s starts with ",key=": where an option starts.
func isBoundary(s string) bool {
	if !strings.HasPrefix(s, ",") {
		return false
	}
	n := keyLen(s[1:])
	return n > 0 && n+1 < len(s) && s[n+1] == '='
}

// keyLen is the length of the option key at the start of s: a letter or _
// followed by letters, digits or _.
func keyLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return i
		}
	}
	return len(s)
}

func validBackend(b string) bool {
	if b == "" {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// String writes the spec in the grammar [Parse] reads, options in key
// order, quoting an ARG or value only where the plain form would read back
// differently. It ignores Raw.
func (s Spec) String() string {
	var b strings.Builder
	b.WriteString(s.Backend)
	if s.Arg != "" {
		b.WriteString(":")
		b.WriteString(quoteField(s.Arg, true))
	}
	for _, k := range s.keys() {
		b.WriteString("," + k + "=")
		b.WriteString(quoteField(s.Options[k], false))
	}
	return b.String()
}

// Text is how messages and records show the spec: Raw when set, else
// [Spec.String].
func (s Spec) Text() string {
	if s.Raw != "" {
		return s.Raw
	}
	return s.String()
}

// quoteField quotes v when the plain form would not parse back as v.
func quoteField(v string, arg bool) string {
	need := strings.HasPrefix(v, `"`) || (arg && v == "")
	for i := 0; i < len(v) && !need; i++ {
		need = v[i] == ',' && isBoundary(v[i:])
	}
	if need {
		return strconv.Quote(v)
	}
	return v
}

func (s Spec) keys() []string {
	keys := make([]string, 0, len(s.Options))
	for k := range s.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// clone copies the options map, so that adding options leaves the caller's
// spec alone.
func (s Spec) clone() Spec {
	opts := make(map[string]string, len(s.Options))
	for k, v := range s.Options {
		opts[k] = v
	}
	s.Options = opts
	return s
}

// ValidKey reports whether k can be an option key: a letter or "_"
// followed by letters, digits or "_".
func ValidKey(k string) bool { return k != "" && keyLen(k) == len(k) }
