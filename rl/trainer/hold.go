package trainer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/spag-go/spag/episodes"
)

// HoldOutput takes the lease of a training's output checkpoint out for
// this process, so that two trainings cannot write one file at once: a
// second `spag train --resume x.ckpt --out x.ckpt` would otherwise train
// beside the first and the last writer would win. It fails at once with
// an [*episodes.BusyError] naming the holder.
//
// The lease is an exclusive lock on OUT.lock beside out, which the kernel
// lets go when the holder dies (kill -9 included), so that any two
// trainings on this host exclude each other whatever their databases;
// with a store it is also the store's lease of out
// ([episodes.Store.AcquireOutput]), which excludes trainings on other
// hosts that share the database. An output that is a device or a pipe
// takes no lock file. release unlocks and removes OUT.lock; it
// is safe to call more than once.
func HoldOutput(ctx context.Context, store *episodes.Store, out string) (release func() error, err error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil, fmt.Errorf("train: out: %w", err)
	}
	unlock := func() error { return nil }
	// A device or a pipe (/dev/null) is written through, never replaced:
	// no lock file goes beside it, where it would land in /dev.
	if st, err := os.Stat(abs); err != nil || st.Mode().IsRegular() {
		if unlock, err = lockFile(abs+".lock", "training output "+abs); err != nil {
			return nil, err
		}
	}
	releaseLease := func() error { return nil }
	if store != nil {
		if releaseLease, err = store.AcquireOutput(ctx, abs); err != nil {
			unlock()
			return nil, err
		}
	}
	var once sync.Once
	var rerr error
	return func() error {
		once.Do(func() { rerr = errors.Join(releaseLease(), unlock()) })
		return rerr
	}, nil
}
