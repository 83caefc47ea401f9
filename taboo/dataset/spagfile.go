package dataset

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/spag-go/spag/taboo/spagjson"
)

// SPAGFile returns passes over the episodes of a SPAG episodes JSON file
// (name; "-" is stdin), each reading it anew, for [FromSPAG], which reads
// it twice. Standard input is first copied to a temporary file, removed
// at once, so that neither pass holds the file in memory; done closes it.
func SPAGFile(ctx context.Context, name string, stdin io.Reader) (passes func() iter.Seq2[*spagjson.Episode, error], done func(), err error) {
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
		return func() iter.Seq2[*spagjson.Episode, error] {
			return spagjson.NewReader(bufio.NewReader(io.NewSectionReader(f, 0, 1<<62)), "<stdin>").All(ctx)
		}, func() { f.Close() }, nil
	}
	if _, err := os.Stat(name); err != nil {
		return nil, nil, err
	}
	return func() iter.Seq2[*spagjson.Episode, error] {
		return func(yield func(*spagjson.Episode, error) bool) {
			f, err := os.Open(name)
			if err != nil {
				yield(nil, err)
				return
			}
			defer f.Close()
			for ep, err := range spagjson.NewReader(bufio.NewReader(f), name).All(ctx) {
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
