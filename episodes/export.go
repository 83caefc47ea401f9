package episodes

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// ExportJSONL writes the episodes f selects (turns always included) as JSON
// Lines, one full episode a line in the form of [JSON].
func (s *Store) ExportJSONL(ctx context.Context, f Filter, w io.Writer) error {
	f.Turns = true
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for r, err := range s.Iter(ctx, f) {
		if err != nil {
			return fmt.Errorf("episodes: export JSONL: %w", err)
		}
		if err := enc.Encode(NewJSON(&r)); err != nil {
			return fmt.Errorf("episodes: export JSONL: run %s episode %d: %w", r.RunID, r.Index, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("episodes: export JSONL: %w", err)
	}
	return nil
}
