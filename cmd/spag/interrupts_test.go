package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestInterrupts checks the one signal path: without a drainer the first
// signal cancels the context; a command that asked for Drain gets the
// drain channel first and the cancellation only at the second signal.
func TestInterrupts(t *testing.T) {
	t.Run("no drainer: first signal cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var stderr strings.Builder
		sig := newInterrupts(cancel, &stderr)
		defer sig.stop()
		sig.c <- os.Interrupt
		<-ctx.Done()
		if n := sig.Count(); n != 1 {
			t.Errorf("count = %d, want 1", n)
		}
		// Written before the cancellation, so read safely after it.
		if got := stderr.String(); got != "spag: interrupted: stopping; Ctrl-C again to stop now\n" || !sig.acknowledged() {
			t.Errorf("acknowledgment %q", got)
		}
	})
	t.Run("drainer: first drains, second cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var stderr strings.Builder
		sig := newInterrupts(cancel, &stderr)
		defer sig.stop()
		drain := sig.Drain()
		sig.c <- os.Interrupt
		<-drain
		if sig.Count() != 1 || ctx.Err() != nil {
			t.Fatalf("after one signal: count %d, context %v; want 1 and not cancelled", sig.Count(), ctx.Err())
		}
		// The drain is acknowledged before it starts, not when it ends.
		if got := stderr.String(); !strings.HasPrefix(got, "spag: interrupted: finishing the work in flight") || !strings.HasSuffix(got, "Ctrl-C again to stop now\n") {
			t.Errorf("acknowledgment %q", got)
		}
		sig.c <- os.Interrupt
		<-ctx.Done()
		if n := sig.Count(); n != 2 {
			t.Errorf("count = %d, want 2", n)
		}
	})
}
