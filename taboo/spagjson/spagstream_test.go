package spagjson

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
)

// readSPAGWhole is the reader of 09be2be, which read the whole file and
// checked its syntax before walking it: the reference the streaming
// reader must agree with.
func readSPAGWhole(buf []byte, name string) ([]Episode, error) {
	p := &spagParser{name: name, maxUtterance: MaxUtteranceBytes, pos: func(off int64) (int, int) {
		before := buf[:min(max(off, 0), int64(len(buf)))]
		return bytes.Count(before, []byte("\n")) + 1, len(before) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	}}
	var whole json.RawMessage
	if err := json.Unmarshal(buf, &whole); err != nil {
		var se *json.SyntaxError
		if !errors.As(err, &se) {
			return nil, err
		}
		off := se.Offset
		if off > 0 && off <= int64(len(buf)) && !strings.HasPrefix(se.Error(), "unexpected end") {
			off--
		}
		return nil, p.errAt(off, "", "invalid JSON: %s", se.Error())
	}
	start := int64(skipSpace(buf, 0))
	eps := []Episode{}
	err := p.array(buf[start:], start, "", "a JSON array of episodes", func(i int, val json.RawMessage, off int64) error {
		ep, err := p.episode(fmt.Sprintf("[%d]", i), val, off)
		eps = append(eps, ep)
		return err
	})
	if err != nil {
		return nil, err
	}
	return eps, nil
}

// sameAsWhole fails unless the streaming reader gives what the whole-file
// reader gives: the same episodes, or (for a syntax error, which both
// find by the same scan) the same error.
func sameAsWhole(t *testing.T, in []byte) {
	t.Helper()
	want, werr := readSPAGWhole(in, "x.json")
	got, gerr := Read(bytes.NewReader(in), "x.json")
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("whole-file reader: %v; streaming reader: %v\ninput %q", werr, gerr, in)
	}
	if werr != nil {
		var se *Error
		if !errors.As(gerr, &se) || se.Line < 1 || se.Column < 1 {
			t.Fatalf("error %v is not a positioned *Error", gerr)
		}
		// The stream reports an episode's fault before a syntax error
		// after it, and the whole-file reader the other way round; when
		// both report a syntax error, it is the same one.
		if strings.Contains(werr.Error(), "invalid JSON") && strings.Contains(gerr.Error(), "invalid JSON") && werr.Error() != gerr.Error() {
			t.Fatalf("syntax error\n %v\nwant\n %v\ninput %q", gerr, werr, in)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("streaming reader read\n%+v\nwhole-file reader\n%+v", got, want)
	}
}

func TestSPAGReaderMatchesWholeFileReader(t *testing.T) {
	sample, err := os.ReadFile("testdata/spag_sample.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"testdata/spag_sample.json", sample},
		{"the sample with CRLF", bytes.ReplaceAll(sample, []byte("\n"), []byte("\r\n"))},
		{"the sample on one line", bytes.ReplaceAll(sample, []byte("\n"), nil)},
		{"empty array", []byte(" [ ]\n")},
		{"syntax error in the third episode", bytes.Replace(sample, []byte(`"target_word": "chair"`), []byte(`"target_word": "chair",,`), 1)},
		{"missing comma", []byte("[{\"target_word\": \"a\", \"history\": []}\n {\"target_word\": \"b\", \"history\": []}]")},
		{"brace for bracket", []byte(`[{"target_word": "a", "history": []}}`)},
		{"truncated after an episode", []byte(`[{"target_word": "a", "history": []},`)},
		{"trailing data", []byte("[{\"target_word\": \"a\", \"history\": []}]\n x")},
		{"top-level string", []byte(`"episodes"`)},
		{"top-level number", []byte(` 1000000`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { sameAsWhole(t, tt.in) })
	}
}

// FuzzSPAGReader checks the streaming reader against the whole-file
// reader it replaces.
func FuzzSPAGReader(f *testing.F) {
	sample, err := os.ReadFile("testdata/spag_sample.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte("[{\"target_word\": \"w\", \"history\": []},\n{\"target_word\": \"v\", \"history\": [{\"role\": \"defender\", \"content\": \"x\"}]}]"))
	f.Add([]byte(`[{"target_word": "w", "history": []}] [`))
	f.Add([]byte(`{"target_word": 1}`))
	f.Fuzz(func(t *testing.T, in []byte) { sameAsWhole(t, in) })
}

// spagLine is one small episode on a line of its own.
func spagLine(i int) string {
	return fmt.Sprintf(`{"target_word": "w%d", "max_turns": 3, "history": [{"role": "attacker", "content": "hint %d"}, {"role": "defender", "content": "guess"}]}`, i, i)
}

// TestSPAGReaderHoldsOneEpisode streams 20,000 episodes through a pipe
// (the file exists nowhere) and checks after each that the reader keeps
// no more than the decoder's read-ahead; a bad episode at the end is then
// placed by line, which the reader counted over bytes it no longer has.
// The 2.6 MB they make are 20 times the bound the reader must keep under
// (a reader that kept what it read would fail at the 1,000th episode);
// 200,000 episodes proved no more and took 24 CPU seconds under -race.
func TestSPAGReaderHoldsOneEpisode(t *testing.T) {
	const n = 20_000
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriter(pw)
		bw.WriteString("[\n")
		for i := range n {
			bw.WriteString(spagLine(i))
			bw.WriteString(",\n")
		}
		bw.WriteString(`{"target_word": "last", "history": [{"role": "judge", "content": ""}]}` + "\n]\n")
		pw.CloseWithError(bw.Flush())
	}()
	defer pr.Close()
	sr := NewReader(pr, "big.json")
	ctx := context.Background()
	held := 0
	for i := range n {
		ep, err := sr.Next(ctx)
		if err != nil {
			t.Fatalf("episode %d: %v", i, err)
		}
		if want := fmt.Sprintf("w%d", i); ep.TargetWord != want || len(ep.History) != 2 {
			t.Fatalf("episode %d: %+v", i, ep)
		}
		held = max(held, cap(sr.t.buf))
	}
	// One read ahead and the episode, twice over before the kept bytes
	// move to the front.
	if limit := 2 * (maxRead + len(spagLine(n))); held > limit {
		t.Errorf("the reader held %d bytes at once, want at most %d", held, limit)
	}
	_, err := sr.Next(ctx)
	want := fmt.Sprintf(`big.json:%d:46: [%d].history[0].role: want "attacker" or "defender", got "judge"`, n+2, n)
	if err == nil || err.Error() != want {
		t.Errorf("last episode: %v, want %s", err, want)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// endless writes a SPAG array whose first episode has an utterance of
// contentBytes bytes, then small episodes until the pipe is closed.
func endless(pw *io.PipeWriter, contentBytes int) {
	bw := bufio.NewWriter(pw)
	bw.WriteString("[\n" + spagLine(0) + ",\n")
	bw.WriteString(`{"target_word": "big", "history": [{"role": "attacker", "content": "`)
	chunk := strings.Repeat("a", 4096)
	for written := 0; written < contentBytes; written += len(chunk) {
		if _, err := bw.WriteString(chunk); err != nil {
			return
		}
	}
	bw.WriteString(`"}]}`)
	for i := 1; ; i++ {
		if _, err := bw.WriteString(",\n" + spagLine(i)); err != nil {
			return
		}
	}
}

// TestSPAGReaderLimits: an episode or an utterance over its limit is an
// error naming the file and the episode, and a huge one is refused after
// reading about the limit, not the whole of it.
func TestSPAGReaderLimits(t *testing.T) {
	tests := []struct {
		name         string
		contentBytes int
		want         string
	}{
		{"utterance", 2 << 20, `big.json:3:68: [1].history[0].content: utterance of 2 MiB, over the limit of 1 MiB per utterance`},
		{"episode", 1 << 30, `big.json:3:1: [1]: episode over the limit of 16 MiB per episode`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			go endless(pw, tt.contentBytes)
			defer pr.Close()
			cr := &countingReader{r: pr}
			sr := NewReader(cr, "big.json")
			if _, err := sr.Next(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, err := sr.Next(context.Background())
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v\nwant %s", err, tt.want)
			}
			if read, most := cr.n, MaxEpisodeBytes+2*maxRead; read > most {
				t.Errorf("read %d bytes before refusing, want at most %d", read, most)
			}
		})
	}
}

// TestSPAGReaderCancel: once ctx is done, Next returns its error without
// reading on, though the input never ends.
func TestSPAGReaderCancel(t *testing.T) {
	pr, pw := io.Pipe()
	go endless(pw, 10)
	defer pr.Close()
	cr := &countingReader{r: pr}
	sr := NewReader(cr, "endless.json")
	ctx, cancel := context.WithCancel(context.Background())
	for range 10 {
		if _, err := sr.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	read := cr.n
	_, err := sr.Next(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "endless.json") {
		t.Errorf("Next after cancel: %v, want context.Canceled naming the file", err)
	}
	if cr.n != read {
		t.Errorf("read %d more bytes after the cancel", cr.n-read)
	}
}
