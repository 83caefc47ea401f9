package judge

import (
	"sync"
	"sync/atomic"
)

// targetCacheLimit bounds the targets a judge remembers. Runs reuse a few
// thousand words, so the bound is rarely reached; past it, targets are
// prepared afresh each time, which is only slower.
const targetCacheLimit = 16384

// targetCache memoises what a judge derives from a target word (its forms,
// compiled expressions). Self-play judges the same few thousand words over
// and over, and built-in players check every candidate utterance, so
// preparing a target once per judge rather than once per episode is most of
// the cost of Start. The cached values are read-only and shared by all
// episodes. A zero targetCache is ready; it is safe for concurrent use.
type targetCache[T any] struct {
	m sync.Map // string -> T
	n atomic.Int64
}

func (c *targetCache[T]) get(target string, prepare func() T) T {
	if v, ok := c.m.Load(target); ok {
		return v.(T)
	}
	v := prepare()
	if c.n.Add(1) <= targetCacheLimit {
		c.m.Store(target, v)
	}
	return v
}
