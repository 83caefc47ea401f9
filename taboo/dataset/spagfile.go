package dataset

import (
	"context"
	"io"
	"iter"

	"github.com/spag-go/spag/taboo/spagjson"
)

// SPAGFile returns passes over the episodes of a SPAG episodes JSON file
// (name; "-" is stdin), each reading it anew, for [FromSPAG], which reads
// it twice: [spagjson.Passes], which copies standard input to a temporary
// file so that neither pass holds the file in memory; done closes it.
func SPAGFile(ctx context.Context, name string, stdin io.Reader) (passes func() iter.Seq2[*spagjson.Episode, error], done func(), err error) {
	return spagjson.Passes(ctx, name, stdin)
}
