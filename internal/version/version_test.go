package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	digest := func() string { return "sha256:ab" }
	vcs := func(rev, modified string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}}
	}
	for _, tt := range []struct {
		name  string
		stamp string
		info  *debug.BuildInfo
		ok    bool
		want  string
	}{
		{"stamped, with VCS", "v0.2.0", vcs("abc123", "false"), true, "v0.2.0 (abc123)"},
		{"stamped, no VCS (-buildvcs=false)", "v0.2.0", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "v0.2.0"},
		{"git checkout", "", vcs("abc123", "false"), true, "abc123"},
		{"dirty checkout", "", vcs("abc123", "true"), true, "abc123+dirty"},
		{"go install @version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.1"}}, true, "v0.3.1"},
		{"go run: nothing recorded", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "devel sha256:ab"},
		{"no build info", "", nil, false, "devel sha256:ab"},
	} {
		if got := describe(tt.stamp, tt.info, tt.ok, digest); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestCodeIsNeverDevelAlone: a test binary has no VCS stamp, so Code
// falls back to the executable's digest, never the bare "(devel)" runs
// used to record.
func TestCodeIsNeverDevelAlone(t *testing.T) {
	c := Code()
	if c == "(devel)" || c == "" || (strings.HasPrefix(c, "devel") && !strings.Contains(c, "sha256:")) {
		t.Errorf("Code() = %q", c)
	}
}
