// Package version says which code a spag binary is, for `spag version` and
// for the code_version every run records.
//
// In order of preference: a version stamped at build time
// (-ldflags "-X github.com/spag-go/spag/internal/version.stamp=v1.2.3"),
// the git commit that `go build` records in a checkout (vcs.revision, with
// "+dirty" for uncommitted changes; absent under -buildvcs=false and in
// `go run` and `go test` binaries, which Go never stamps), the module
// version of `go install …@version`, and last "devel" with the SHA-256 of
// the executable, which still tells two builds apart.
package version

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
)

// stamp is set at link time; see the package doc.
var stamp string

// Code is the version of the running code (see the package doc). It is
// computed once.
func Code() string { return code() }

var code = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	return describe(stamp, info, ok, executableDigest)
})

// describe picks the version from what the build recorded; digest is
// consulted only when nothing else names the code.
func describe(stamp string, info *debug.BuildInfo, ok bool, digest func() string) string {
	var rev, modified string
	if ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
	}
	if rev != "" && modified == "true" {
		rev += "+dirty"
	}
	switch {
	case stamp != "" && rev != "":
		return stamp + " (" + rev + ")"
	case stamp != "":
		return stamp
	case rev != "":
		return rev
	case ok && info.Main.Version != "" && info.Main.Version != "(devel)":
		return info.Main.Version
	}
	return "devel " + digest()
}

// executableDigest is "sha256:HEX" of the running binary, or why not.
func executableDigest() string {
	path, err := os.Executable()
	if err != nil {
		return "(executable unknown: " + err.Error() + ")"
	}
	f, err := os.Open(path)
	if err != nil {
		return "(executable unreadable: " + err.Error() + ")"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "(executable unreadable: " + err.Error() + ")"
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil))
}

// Go is the Go version and platform the binary was built for.
func Go() string { return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH }
