package players_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/native/defaultmodel"
)

func TestResolveFlagAndName(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "m.ckpt")
	if err := os.WriteFile(ckpt, []byte("weights"), 0o666); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, tt := range []struct {
		name, raw string
		// resolved is the spec a run stores, name a prefix of the name it
		// records, and digest what the name must also hold.
		resolved, prefix, digest string
		err                      string
	}{
		{name: "builtin as written", raw: "builtin,skill=0.9", resolved: "builtin,skill=0.9", prefix: "builtin,skill=0.9"},
		{name: "shipped model by digest", raw: "native", resolved: "native", prefix: "native (" + defaultmodel.Name, digest: defaultmodel.Digest()},
		{name: "checkpoint by absolute path", raw: "native:m.ckpt,top_k=5", resolved: "native:" + ckpt + ",top_k=5", prefix: "native:" + ckpt, digest: "sha256:"},
		{name: "unknown backend", raw: "nonsense:x", err: `--attacker "nonsense:x": unknown backend "nonsense"`},
		{name: "bad spec", raw: "", err: `--attacker "": `},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := players.ResolveFlag("attacker", tt.raw)
			if tt.err != "" {
				var se *players.SpecError
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) || !errors.As(err, &se) || !errors.Is(err, players.ErrUsage) {
					t.Fatalf("ResolveFlag(%q) = %q, %v; want a usage *SpecError starting %q", tt.raw, got, err, tt.err)
				}
				if name := players.Name(tt.raw); name != tt.raw {
					t.Errorf("Name(%q) = %q, want the spec as written", tt.raw, name)
				}
				return
			}
			if err != nil || got != tt.resolved {
				t.Fatalf("ResolveFlag(%q) = %q, %v; want %q", tt.raw, got, err, tt.resolved)
			}
			name := players.Name(tt.raw)
			if !strings.HasPrefix(name, tt.prefix) || !strings.Contains(name, tt.digest) {
				t.Errorf("Name(%q) = %q, want it to start %q and hold %q", tt.raw, name, tt.prefix, tt.digest)
			}
		})
	}
}

// ExampleResolveFlag shows what a run stores for a player flag: the spec
// checked, with a checkpoint by its absolute path; a bad spec's error names
// the flag.
func ExampleResolveFlag() {
	spec, err := players.ResolveFlag("defender", "builtin,skill=0.2")
	fmt.Println(spec, err)
	_, err = players.ResolveFlag("defender", "nonsense:x")
	fmt.Println(strings.SplitN(err.Error(), ";", 2)[0])
	// Output:
	// builtin,skill=0.2 <nil>
	// --defender "nonsense:x": unknown backend "nonsense"
}

// ExampleName shows how a run names its players: the shipped native model
// by its name and digest, so that a resumed run notices other weights.
func ExampleName() {
	fmt.Println(players.Name("builtin"))
	fmt.Println(players.Name("native") == "native ("+defaultmodel.Name+" "+defaultmodel.Digest()+")")
	// Output:
	// builtin
	// true
}

func TestOpenRoles(t *testing.T) {
	ctx := context.Background()
	envs := []players.Env{
		{Flag: "attacker", Game: "taboo", Role: judge.Attacker, Judge: judge.NewStrict()},
		{Flag: "defender", Game: "taboo", Role: judge.Defender, Judge: judge.NewStrict()},
	}
	for _, tt := range []struct {
		name    string
		specs   []string
		options []string
		names   map[string]string
		err     string
	}{
		{name: "two built-in players", specs: []string{"builtin,skill=0.9", "builtin"},
			names: map[string]string{judge.Attacker: "builtin,skill=0.9", judge.Defender: "builtin"}},
		{name: "a bad spec names its flag", specs: []string{"builtin", "nonsense:x"}, err: `--defender "nonsense:x"`},
		{name: "an option no player takes", specs: []string{"builtin", "builtin"}, options: []string{"num_ctx=4096"}, err: `--option "num_ctx=4096"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ps, names, err := players.OpenRoles(ctx, tt.specs, envs, tt.options)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) || !errors.Is(err, players.ErrUsage) {
					t.Fatalf("OpenRoles: %v; want a usage error starting %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 2 || ps[0] == nil || ps[1] == nil || !maps.Equal(names, tt.names) {
				t.Fatalf("OpenRoles = %v, %v; want two players named %v", ps, names, tt.names)
			}
		})
	}
}

// ExampleOpenRoles opens the two players of an APO run as its plan does:
// the players in role order, and the names the run records by role.
func ExampleOpenRoles() {
	ps, names, err := players.OpenRoles(context.Background(), []string{"builtin:skill=0.9", "builtin"}, []players.Env{
		{Flag: "generator", Game: "apo", Role: "generator"},
		{Flag: "reward-model", Game: "apo", Role: "reward_model"},
	}, nil)
	fmt.Println(len(ps), names, err)
	// Output:
	// 2 map[generator:builtin:skill=0.9 reward_model:builtin] <nil>
}

// TestCanonical spells specs that name one player alike, as typed and as
// runs record them.
func TestCanonical(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	ckpt := filepath.Join(dir, "m.ckpt")
	for _, tt := range []struct {
		name string
		a, b string
		same bool
	}{
		{"builtin's older form", "builtin:skill=0.9", "builtin,skill=0.9", true},
		{"options in any order", "native,top_k=5,temperature=0", "native,temperature=0,top_k=5", true},
		{"a relative checkpoint and its recorded name", "native:m.ckpt", "native:" + ckpt + " (sha256:0123)", true},
		{"the shipped model and its recorded name", "native", "native (spag-taboo-small-v3 sha256:0123)", true},
		{"other skills", "builtin,skill=0.9", "builtin,skill=0.5", false},
		{"other checkpoints", "native:m.ckpt", "native:n.ckpt", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, b := players.Canonical(tt.a), players.Canonical(tt.b)
			if (a == b) != tt.same {
				t.Errorf("Canonical(%q) = %q, Canonical(%q) = %q; same: %v, want %v", tt.a, a, tt.b, b, a == b, tt.same)
			}
		})
	}
}
