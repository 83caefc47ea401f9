package ollamatest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
)

// ModelName is the tiny model that [Shared] registers.
const ModelName = "spag-tiny:latest"

// SharedParallel is OLLAMA_NUM_PARALLEL of the [Shared] server.
const SharedParallel = 4

// shared is the one server a test binary shares between its tests: starting
// a server and loading a model costs seconds, a test only milliseconds.
// This is the package's only mutable state; it lives as long as the test
// process, and [StopShared] (from TestMain) or the parent-death signal ends
// the server.
var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the test binary's shared server, starting it (and building
// ollama if needed) on first use, with [ModelName] registered. When no
// server can be had, the test is skipped, unless CI=true: then it fails,
// because CI must run these tests.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.once.Do(func() {
		ctx := context.Background()
		s, err := Start(ctx, Options{NumParallel: SharedParallel})
		if err != nil {
			shared.err = err
			return
		}
		if err := s.CreateModel(ctx, ModelName, TinyModel{Seed: 1}); err != nil {
			s.Close()
			shared.err = err
			return
		}
		shared.srv = s
	})
	if shared.err != nil {
		Unavailable(tb, shared.err)
	}
	return shared.srv
}

// Unavailable ends a test that could not get an ollama server: skipped
// normally, failed when CI=true.
func Unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("no ollama server (CI=true, so this fails instead of skipping): %v", err)
	}
	tb.Skipf("no ollama server: %v", err)
}

// StopShared stops the shared server if one was started; call it from
// TestMain after m.Run.
func StopShared() {
	if shared.srv != nil {
		if err := shared.srv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "ollamatest:", err)
		}
	}
}

// Fresh starts a server of the test's own (for tests that kill or restart
// it) with [ModelName] registered, and stops it when the test ends.
func Fresh(tb testing.TB, opts Options) *Server {
	tb.Helper()
	ctx := context.Background()
	if opts.Binary == "" {
		bin, _, err := Binary(ctx, os.Stderr)
		if err != nil {
			Unavailable(tb, err)
		}
		opts.Binary = bin
	}
	s, err := Start(ctx, opts)
	if err != nil {
		Unavailable(tb, err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.CreateModel(ctx, ModelName, TinyModel{Seed: 1}); err != nil {
		tb.Fatalf("%v\nserver log:\n%s", err, s.logTail(3000))
	}
	return s
}
