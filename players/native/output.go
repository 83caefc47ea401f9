package native

import (
	"strings"
	"unicode/utf8"

	"github.com/spag-go/spag/rl/tokenizer"
)

// pieceBytes returns what each vocabulary id decodes to, as
// [tokenizer.Vocab.Decode] does for one token: "▁" as a space, a byte
// token as its byte, control tokens as nothing.
func pieceBytes(v *tokenizer.Vocab) []string {
	out := make([]string, v.Size())
	for id := range out {
		p, _ := v.Piece(id)
		switch p.Type {
		case tokenizer.Byte:
			out[id] = string([]byte{byte(id - tokenizer.FirstByteID)})
		case tokenizer.Normal, tokenizer.UserDefined:
			out[id] = strings.ReplaceAll(p.Text, tokenizer.WhitespaceSep, " ")
		}
	}
	return out
}

// output assembles one turn's text token by token: it applies the stop
// strings and the byte cap, and says which text is safe to stream (never
// a possible start of a stop string, never half a UTF-8 character), so
// that the streamed deltas always add up to the final text. Its text
// equals [tokenizer.Vocab.Decode] of the tokens added, cut at the first
// stop string. It is not safe for concurrent use.
type output struct {
	pieces   []string
	dummy    bool // trim one leading space, as Decode does
	stop     []string
	maxStop  int
	maxBytes int

	raw     strings.Builder
	ends    []int // text length after each token
	emitted int   // bytes of text streamed so far
	final   int   // text length once finished, -1 before
}

func newOutput(pieces []string, dummy bool, stop []string, maxBytes int) *output {
	o := &output{pieces: pieces, dummy: dummy, stop: stop, maxBytes: maxBytes, final: -1}
	for _, s := range stop {
		o.maxStop = max(o.maxStop, len(s))
	}
	return o
}

// text is the decoded text so far, before any cut.
func (o *output) text() string {
	s := o.raw.String()
	if o.dummy && strings.HasPrefix(s, " ") {
		s = s[1:]
	}
	return s
}

// add appends token id and returns the text now safe to stream, and
// whether the turn is over (a stop string or the byte cap was reached).
func (o *output) add(id int) (delta string, done bool) {
	if o.final >= 0 {
		return "", true
	}
	prev := len(o.text())
	o.raw.WriteString(o.pieces[id])
	t := o.text()
	o.ends = append(o.ends, len(t))
	// A stop string that appears now ends in the new text; it can start at
	// most maxStop-1 bytes before it.
	cut := -1
	from := max(0, prev-o.maxStop+1)
	for _, s := range o.stop {
		if i := strings.Index(t[from:], s); i >= 0 && (cut < 0 || from+i < cut) {
			cut = from + i
		}
	}
	if o.maxBytes > 0 && len(t) > o.maxBytes && (cut < 0 || cut > o.maxBytes) {
		cut = o.maxBytes
		// Drop a character the cut split (at most 3 of its bytes).
		for j := 1; j < utf8.UTFMax && cut > 0 && !utf8.RuneStart(t[cut]); j++ {
			cut--
		}
	}
	if cut >= 0 {
		return o.finish(cut), true
	}
	safe := len(t)
	for _, s := range o.stop {
		// The longest proper prefix of s that the text ends with.
		for k := min(len(s)-1, len(t)); k > 0; k-- {
			if strings.HasSuffix(t, s[:k]) {
				safe = min(safe, len(t)-k)
				break
			}
		}
	}
	// Hold back a character whose bytes have not all arrived.
	for j := 1; j < utf8.UTFMax && j <= safe; j++ {
		if utf8.RuneStart(t[safe-j]) {
			if !utf8.FullRuneInString(t[safe-j : safe]) {
				safe -= j
			}
			break
		}
	}
	if safe <= o.emitted {
		return "", false
	}
	delta = t[o.emitted:safe]
	o.emitted = safe
	return delta, false
}

// finish ends the turn with the text cut at n (the whole text when n is
// negative) and returns the part not streamed yet.
func (o *output) finish(n int) string {
	if o.final >= 0 {
		return ""
	}
	t := o.text()
	if n < 0 || n > len(t) {
		n = len(t)
	}
	n = max(n, o.emitted) // streamed text stays
	o.final = n
	delta := t[o.emitted:n]
	o.emitted = n
	return delta
}

// result returns the final text and how many of the tokens added make it
// up: those that start before its end.
func (o *output) result() (string, int) {
	n := o.final
	if n < 0 {
		n = len(o.text())
	}
	kept := 0
	for start := 0; kept < len(o.ends) && start < n; kept++ {
		start = o.ends[kept]
	}
	return o.text()[:n], kept
}
