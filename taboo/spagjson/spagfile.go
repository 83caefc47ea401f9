package spagjson

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"iter"
	"os"
)

// Open opens a SPAG episodes JSON file for reading one episode at
// a time; "-" is stdin. done closes the file.
func Open(name string, stdin io.Reader) (sr *Reader, done func(), err error) {
	if name == "-" {
		return NewReader(bufio.NewReader(stdin), "<stdin>"), func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return NewReader(bufio.NewReader(f), name), func() { f.Close() }, nil
}

// Passes returns passes over the episodes of a SPAG episodes JSON
// file, each reading it anew, for a command that reads it twice. Standard
// input ("-") is first copied to a temporary file, removed at once, so
// that neither pass holds the file in memory; done closes it.
func Passes(ctx context.Context, name string, stdin io.Reader) (passes func() iter.Seq2[*Episode, error], done func(), err error) {
	if name == "-" {
		f, err := os.CreateTemp("", "spag-stdin-*.json")
		if err != nil {
			return nil, nil, err
		}
		os.Remove(f.Name()) // the open file stays readable; nothing is left behind
		if err := copyContext(ctx, f, stdin); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("read standard input: %w", err)
		}
		return func() iter.Seq2[*Episode, error] {
			return NewReader(bufio.NewReader(io.NewSectionReader(f, 0, 1<<62)), "<stdin>").All(ctx)
		}, func() { f.Close() }, nil
	}
	if _, err := os.Stat(name); err != nil {
		return nil, nil, err
	}
	return func() iter.Seq2[*Episode, error] {
		return func(yield func(*Episode, error) bool) {
			sr, done, err := Open(name, nil)
			if err != nil {
				yield(nil, err)
				return
			}
			defer done()
			for ep, err := range sr.All(ctx) {
				if !yield(ep, err) {
					return
				}
			}
		}
	}, func() {}, nil
}

// copyContext copies r to w, checking ctx between chunks, so that an
// interrupt stops a copy of a large input.
func copyContext(ctx context.Context, w io.Writer, r io.Reader) error {
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.Read(buf)
		if _, werr := w.Write(buf[:n]); werr != nil {
			return werr
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
