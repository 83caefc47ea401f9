// Package ollamatest runs a real Ollama server for tests: it finds an
// ollama binary (or builds one from the Ollama Go module, once, cached by
// version), starts it isolated on a free loopback port with its own model
// directory, registers a tiny random-weight llama model written as GGUF,
// and stops it cleanly (or kills it, to test failures).
//
// The build needs a C/C++ toolchain and two Debian packages
// (nlohmann-json3-dev, libstb-dev); the third header the Ollama module zip
// lacks, miniaudio.h, is a minimal stand-in embedded in this package. The
// binary is built with -O3 -march=native, so the cache is keyed by the
// Ollama version and the CPU.
//
// This package is for tests only; nothing outside _test files imports it.
package ollamatest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Version is the Ollama module version that [Binary] builds when no
// suitable binary is installed; it is the version go.mod requires.
const Version = "0.17.4"

// MinVersion is the oldest installed ollama that [Binary] accepts: the
// tests need token log-probabilities and model creation from blobs.
const MinVersion = "0.13.0"

// EnvBinary names an environment variable that, when set, is the ollama
// binary to use (its version is still checked).
const EnvBinary = "SPAG_OLLAMA_BIN"

//go:embed include/miniaudio/miniaudio.h
var includeFS embed.FS

// BuildTimeout bounds one build of the server (about 4 minutes on 2 cores
// without tuning, 10 with -O3 -march=native on a busy machine).
const BuildTimeout = 40 * time.Minute

// CacheDir is where built binaries are kept:
// ${XDG_CACHE_HOME:-$HOME/.cache}/spag.
func CacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("ollama cache dir: %w", err)
	}
	return filepath.Join(dir, "spag"), nil
}

// Binary returns the path of an ollama binary recent enough for the tests,
// and its version: the one named by $SPAG_OLLAMA_BIN, else `ollama` on
// PATH, else a cached build, else a new build from the Ollama Go module
// (progress goes to log). Only one process builds at a time; others wait
// for its result.
func Binary(ctx context.Context, log io.Writer) (path, version string, err error) {
	if p := os.Getenv(EnvBinary); p != "" {
		v, err := binaryVersion(ctx, p)
		if err != nil {
			return "", "", fmt.Errorf("$%s=%s: %w", EnvBinary, p, err)
		}
		if !atLeast(v, MinVersion) {
			return "", "", fmt.Errorf("$%s=%s is ollama %s; need %s or newer", EnvBinary, p, v, MinVersion)
		}
		return p, v, nil
	}
	if p, err := exec.LookPath("ollama"); err == nil {
		if v, err := binaryVersion(ctx, p); err == nil && atLeast(v, MinVersion) {
			return p, v, nil
		}
	}
	want := moduleVersion()
	dir, err := buildDir(want)
	if err != nil {
		return "", "", err
	}
	bin := filepath.Join(dir, "ollama")
	if v, err := binaryVersion(ctx, bin); err == nil {
		return bin, v, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("ollama cache: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, ".lock"))
	if err != nil {
		return "", "", err
	}
	defer unlock()
	// Another process may have built it while this one waited for the lock.
	if v, err := binaryVersion(ctx, bin); err == nil {
		return bin, v, nil
	}
	if err := build(ctx, want, dir, log); err != nil {
		return "", "", err
	}
	v, err := binaryVersion(ctx, bin)
	if err != nil {
		return "", "", fmt.Errorf("built ollama does not run: %w", err)
	}
	return bin, v, nil
}

// moduleVersion is the github.com/ollama/ollama version this binary was
// built with, or [Version].
func moduleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "github.com/ollama/ollama" && strings.HasPrefix(d.Version, "v") {
				return strings.TrimPrefix(d.Version, "v")
			}
		}
	}
	return Version
}

// buildDir is the cache folder of a build: the version and a short hash of
// the CPU model and flags, since the build is tuned for this CPU.
func buildDir(version string) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintln(h, runtime.GOOS, runtime.GOARCH)
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") || strings.HasPrefix(line, "flags") {
				fmt.Fprintln(h, line)
			}
			if line == "" {
				break // the first processor is enough
			}
		}
	}
	return filepath.Join(cache, "ollama-v"+version+"-native-"+hex.EncodeToString(h.Sum(nil))[:8]), nil
}

var versionRE = regexp.MustCompile(`version is (\d+\.\d+\.\d+)`)

// binaryVersion runs `ollama --version` against an address where no server
// listens, so that it reports its own (client) version.
func binaryVersion(ctx context.Context, bin string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--version")
	cmd.Env = append(cleanEnv(), "OLLAMA_HOST=127.0.0.1:1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w: %s", bin, err, bytes.TrimSpace(out))
	}
	m := versionRE.FindAllSubmatch(out, -1)
	if len(m) == 0 {
		return "", fmt.Errorf("%s --version printed no version: %q", bin, out)
	}
	return string(m[len(m)-1][1]), nil
}

// atLeast compares dotted versions numerically.
func atLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := 0; i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		y, _ = strconv.Atoi(b[i])
		if x != y {
			return x > y
		}
	}
	return true
}

// build installs github.com/ollama/ollama@version into dir.
func build(ctx context.Context, version, dir string, log io.Writer) error {
	if _, err := exec.LookPath("go"); err != nil {
		return fmt.Errorf("build ollama: no go toolchain on PATH: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return fmt.Errorf("build ollama: %w", err)
	}
	defer os.RemoveAll(tmp)
	inc := filepath.Join(tmp, "include")
	hdr, err := includeFS.ReadFile("include/miniaudio/miniaudio.h")
	if err != nil {
		return fmt.Errorf("build ollama: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(inc, "miniaudio"), 0o755); err != nil {
		return fmt.Errorf("build ollama: %w", err)
	}
	if err := os.WriteFile(filepath.Join(inc, "miniaudio", "miniaudio.h"), hdr, 0o644); err != nil {
		return fmt.Errorf("build ollama: %w", err)
	}
	for _, h := range []string{"/usr/include/nlohmann/json.hpp", "/usr/include/stb/stb_image.h"} {
		if _, err := os.Stat(h); err != nil {
			return fmt.Errorf("build ollama: %s is missing (install it with: apt-get install nlohmann-json3-dev libstb-dev)", h)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, BuildTimeout)
	defer cancel()
	fmt.Fprintf(log, "ollamatest: building ollama %s with -O3 -march=native into %s (several minutes, once)\n", version, dir)
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "install",
		"-ldflags=-X github.com/ollama/ollama/version.Version="+version,
		"github.com/ollama/ollama@v"+version)
	cmd.Dir = tmp
	env := []string{}
	for _, kv := range os.Environ() {
		// The project's GOFLAGS (-mod=...) do not apply to a module built by
		// path@version.
		if strings.HasPrefix(kv, "GOFLAGS=") || strings.HasPrefix(kv, "GOBIN=") {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, "GOBIN="+tmp, "CGO_ENABLED=1",
		"CGO_CPPFLAGS=-I"+inc,
		"CGO_CFLAGS=-O3 -march=native", "CGO_CXXFLAGS=-O3 -march=native")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tail := out.Bytes()
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		return fmt.Errorf("build ollama %s: %w\n%s", version, err, tail)
	}
	if err := os.Rename(filepath.Join(tmp, "ollama"), filepath.Join(dir, "ollama")); err != nil {
		return fmt.Errorf("build ollama: %w", err)
	}
	fmt.Fprintf(log, "ollamatest: built ollama %s in %s\n", version, time.Since(start).Round(time.Second))
	return nil
}

// cleanEnv is the environment without OLLAMA_* variables, so that a user's
// settings never leak into a test server.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OLLAMA_") {
			env = append(env, kv)
		}
	}
	return env
}

// errUnsupported is returned on systems where the harness cannot manage
// process groups.
var errUnsupported = errors.New("ollamatest: unsupported on " + runtime.GOOS)
