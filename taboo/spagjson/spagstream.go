package spagjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits of one SPAG episode on reading. Players cap a turn at 16 KiB by
// default, so an utterance of 1 MiB is far above any game spag plays, and
// an episode of 16 MiB holds sixteen of them; what is above is refused
// rather than read into memory.
const (
	MaxEpisodeBytes   = 16 << 20
	MaxUtteranceBytes = 1 << 20
)

// Reader reads a SPAG episodes JSON file one episode at a time: it
// holds the episode being read and the decoder's read-ahead, never the
// file, so its memory does not grow with the number of episodes. An
// episode of more than MaxEpisode bytes, or an utterance of more than
// MaxUtterance bytes, is an error naming the file and the episode.
//
// Errors are [*Error]s with the position and the JSON path, as
// [Read]'s; an episode that is valid is returned before anything
// after it is checked, so a syntax error late in the file shows only
// once the episodes before it are read. A Reader is not safe for
// concurrent use.
type Reader struct {
	// MaxEpisode and MaxUtterance bound one episode (its JSON text, with
	// the white space before it) and one history content (decoded), in
	// bytes; zero means [MaxEpisodeBytes] and [MaxUtteranceBytes].
	// Set them before the first Next.
	MaxEpisode, MaxUtterance int

	t   *spagTracker
	dec *json.Decoder
	p   spagParser
	n   int   // episodes returned
	err error // sticky: io.EOF at the end, or the first error
	// started is set once the opening '[' is read.
	started bool
}

// NewReader returns a reader of the SPAG episodes JSON that r holds;
// name is used in errors only.
func NewReader(r io.Reader, name string) *Reader {
	t := &spagTracker{r: r, line: 1}
	dec := json.NewDecoder(t)
	dec.UseNumber() // a top-level number is described as written
	sr := &Reader{t: t, dec: dec}
	sr.p = spagParser{name: name, pos: t.pos}
	return sr
}

// Next returns the next episode, or io.EOF after the last one. ctx is
// checked before each episode: once it is done, Next returns its error
// without reading on. After an error, Next returns the same error.
func (sr *Reader) Next(ctx context.Context) (Episode, error) {
	if sr.err != nil {
		return Episode{}, sr.err
	}
	if err := ctx.Err(); err != nil {
		return Episode{}, fmt.Errorf("read %s: after %d episodes: %w", sr.p.name, sr.n, err)
	}
	ep, err := sr.next()
	if err != nil {
		sr.err = err
	}
	return ep, err
}

func (sr *Reader) next() (Episode, error) {
	if !sr.started {
		sr.started = true
		sr.t.limit = orDefault(sr.MaxEpisode, MaxEpisodeBytes)
		sr.p.maxUtterance = orDefault(sr.MaxUtterance, MaxUtteranceBytes)
		tok, err := sr.dec.Token()
		if err != nil {
			return Episode{}, sr.fail(err, "", "")
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			raw, _ := json.Marshal(tok) // a string, number, bool or null
			if ok {
				raw = []byte(d.String())
			}
			start := sr.t.skip(0)
			return Episode{}, sr.p.errAt(start, "", "want a JSON array of episodes, got %s", describe(raw))
		}
	}
	// What follows the last episode, or the '[' before the first, is in
	// the state of an array after an element: a probe of the bytes from
	// there starts with "[{}" (see fail), a value that nothing can extend.
	after := "[{}"
	if sr.n == 0 {
		after = ""
	}
	path := fmt.Sprintf("[%d]", sr.n)
	if !sr.dec.More() {
		if _, err := sr.dec.Token(); err != nil { // the ']'
			return Episode{}, sr.fail(err, after, path)
		}
		sr.t.discard(sr.dec.InputOffset())
		// Nothing but white space may follow.
		if _, err := sr.dec.Token(); err != io.EOF {
			if err == nil {
				err = errors.New("data after the array")
			}
			return Episode{}, sr.fail(err, "{}", "")
		}
		return Episode{}, io.EOF
	}
	before := sr.dec.InputOffset()
	var raw json.RawMessage
	if err := sr.dec.Decode(&raw); err != nil {
		return Episode{}, sr.fail(err, after, path)
	}
	start := sr.t.skip(before)
	ep, err := sr.p.episode(path, raw, start)
	if err != nil {
		return Episode{}, err
	}
	// The episode is checked: its bytes are no longer needed for
	// positions.
	sr.t.discard(sr.dec.InputOffset())
	sr.n++
	return ep, nil
}

// fail turns an error of the decoder into the reader's error. A syntax
// error is found again by scanning the bytes since the last episode,
// prefixed with prefix so that the scanner is in the state the decoder was
// in there: its message and position are then those of a scan of the
// whole file.
func (sr *Reader) fail(err error, prefix, path string) error {
	switch {
	case errors.Is(err, errSPAGTooLarge):
		return sr.p.errAt(sr.t.skip(sr.t.base), path, "episode over the limit of %s per episode", sizeOf(sr.t.limit))
	case sr.t.err != nil:
		return fmt.Errorf("read %s: %w", sr.p.name, sr.t.err)
	}
	probe := append([]byte(prefix), sr.t.buf[sr.t.start:]...)
	var v json.RawMessage
	var se *json.SyntaxError
	if errors.As(json.Unmarshal(probe, &v), &se) {
		off := se.Offset
		if off > 0 && off <= int64(len(probe)) && !strings.HasPrefix(se.Error(), "unexpected end") {
			off-- // Offset counts the byte at fault
		}
		return sr.p.errAt(sr.t.base+off-int64(len(prefix)), "", "invalid JSON: %s", se.Error())
	}
	return sr.p.errAt(sr.dec.InputOffset(), "", "invalid JSON: %v", err)
}

func orDefault(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

// sizeOf writes a byte count for an error message.
func sizeOf(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// errSPAGTooLarge stops the decoder when an episode does not end within
// the limit.
var errSPAGTooLarge = errors.New("episode over the limit")

// spagTracker sits between the file and the decoder. It keeps the bytes
// read since the start of the current episode, for positions and for
// finding syntax errors again, and the line count before them; it refuses
// to read further than the episode limit, which bounds the decoder too.
type spagTracker struct {
	r     io.Reader
	err   error // the file's error other than io.EOF
	limit int

	buf   []byte // buf[start:] are the bytes from offset base to the read frontier
	start int
	base  int64
	// line is the line of offset base; lineStart the offset its line
	// starts at.
	line      int
	lineStart int64
}

// maxRead bounds one read, so that the bytes kept ahead of the decoder
// stay small whatever its buffer has grown to.
const maxRead = 64 << 10

func (t *spagTracker) Read(p []byte) (int, error) {
	room := t.limit - (len(t.buf) - t.start)
	if room <= 0 {
		return 0, errSPAGTooLarge
	}
	p = p[:min(len(p), room, maxRead)]
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}

// pos returns the line and byte column (1-based) of offset off, which is
// at or after base.
func (t *spagTracker) pos(off int64) (line, col int) {
	b := t.buf[t.start:]
	k := min(max(off-t.base, 0), int64(len(b)))
	b = b[:k]
	lineStart := t.lineStart
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		lineStart = t.base + int64(i) + 1
	}
	return t.line + bytes.Count(b, []byte("\n")), int(t.base+k-lineStart) + 1
}

// skip returns the offset of the first byte at or after off that is not
// white space or a separator.
func (t *spagTracker) skip(off int64) int64 {
	b := t.buf[t.start:]
	i := int(min(max(off-t.base, 0), int64(len(b))))
	return t.base + int64(skipSpace(b, i))
}

// discard forgets the bytes before offset off, counting their lines.
func (t *spagTracker) discard(off int64) {
	k := int(min(max(off-t.base, 0), int64(len(t.buf)-t.start)))
	line, col := t.pos(t.base + int64(k))
	t.line, t.lineStart = line, t.base+int64(k)-int64(col)+1
	t.start += k
	t.base += int64(k)
	// Move the kept bytes to the front once they are the smaller part:
	// each byte is moved a bounded number of times.
	if t.start > len(t.buf)/2 {
		t.buf = t.buf[:copy(t.buf, t.buf[t.start:])]
		t.start = 0
	}
}
