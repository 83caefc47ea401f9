package players_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo"
	_ "github.com/spag-go/spag/apo/apobuiltin"
	_ "github.com/spag-go/spag/apo/likelihood"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/players/ollama"
	_ "github.com/spag-go/spag/players/openai"
	"github.com/spag-go/spag/players/scripted"
	"github.com/spag-go/spag/rl/checkpoint"
	_ "github.com/spag-go/spag/taboo/taboobuiltin"
)

func seat(flag, raw, gameName, role string) players.Seat {
	s, err := players.Parse(raw)
	if err != nil {
		panic(err)
	}
	env := players.Env{Flag: flag, Game: gameName, Role: role}
	if gameName == "taboo" {
		env.Judge = judge.NewStrict()
	}
	return players.Seat{Spec: s, Env: env}
}

func TestOptionsGoToTheBackendsThatTakeThem(t *testing.T) {
	ctx := context.Background()
	// num_ctx is an Ollama option only: with a native attacker (the
	// default) it must reach the Ollama defender and leave native alone.
	opened, err := players.OpenAll(ctx, []players.Seat{
		seat("attacker", "native,temperature=0", "taboo", judge.Attacker),
		seat("defender", "ollama:qwen3:0.6b@http://127.0.0.1:1", "taboo", judge.Defender),
	}, []string{"num_ctx=4096", "temperature=0.7", "think=false", "top_logprobs=2"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { players.Close(opened) })
	if got := opened[0].Spec.Options; got["temperature"] != "0" || got["num_ctx"] != "" || got["think"] != "" {
		t.Errorf("native got options %v; want its own temperature=0 and no Ollama-only keys", got)
	}
	if got := opened[1].Spec.Options; got["num_ctx"] != "4096" || got["temperature"] != "0.7" || got["think"] != "false" {
		t.Errorf("ollama got options %v", got)
	}
	if _, ok := opened[0].Player.(*native.Player); !ok {
		t.Errorf("attacker is %T", opened[0].Player)
	}
	if _, ok := opened[1].Player.(*ollama.Player); !ok {
		t.Errorf("defender is %T", opened[1].Player)
	}

	// A key no player takes is an error that names --option.
	_, err = players.OpenAll(ctx, []players.Seat{
		seat("attacker", "native", "taboo", judge.Attacker), seat("defender", "builtin", "taboo", judge.Defender),
	}, []string{"num_ctx=4096"})
	var se *players.SpecError
	if !errors.As(err, &se) || se.Flag != "option" || !errors.Is(err, players.ErrUsage) ||
		!strings.Contains(err.Error(), `--option "num_ctx=4096"`) || !strings.Contains(err.Error(), "--attacker native") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestErrorsNameTheFlag(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		seat  players.Seat
		want  []string
		usage bool
	}{
		{seat("attacker", "native,temperature=-1", "taboo", judge.Attacker), []string{`--attacker "native,temperature=-1"`, "temperature"}, true},
		{seat("attacker", "native:temperature=0", "taboo", judge.Attacker), []string{`--attacker "native:temperature=0"`, "native,temperature=0"}, true},
		{seat("defender", "builtin,skill=2", "taboo", judge.Defender), []string{"--defender", "skill must be a number from 0 to 1"}, true},
		{seat("defender", "builtin,speed=2", "taboo", judge.Defender), []string{"--defender", `unknown option "speed"`}, true},
		{seat("reward-model", "builtin,skill=0.5", "apo", apo.RewardModel), []string{"--reward-model", `unknown option "skill"`}, true},
		{seat("generator", "likelihood:rm.ckpt", "apo", apo.Generator), []string{"--generator", "it can only be the --reward-model"}, true},
		{seat("defender", "ollama:@h", "taboo", judge.Defender), []string{"--defender", "no model named"}, true},
		{seat("attacker", "gpt9:big", "taboo", judge.Attacker), []string{"--attacker", `unknown backend "gpt9"`, "builtin ("}, true},
		{seat("attacker", "native:missing.ckpt", "taboo", judge.Attacker), []string{"--attacker", "missing.ckpt"}, false},
	} {
		_, err := players.OpenAll(ctx, []players.Seat{tt.seat}, nil)
		if err == nil {
			t.Errorf("%s: no error", tt.seat.Spec.Raw)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.seat.Spec.Raw, err, w)
			}
		}
		if errors.Is(err, players.ErrUsage) != tt.usage {
			t.Errorf("%s: usage error %v, want %v", tt.seat.Spec.Raw, !tt.usage, tt.usage)
		}
	}
}

func TestBuiltinPlayersPerGameAndTheOlderForm(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		seat players.Seat
		want any
	}{
		{seat("attacker", "builtin,skill=0.9", "taboo", judge.Attacker), &scripted.Attacker{}},
		{seat("defender", "builtin:skill=0.2", "taboo", judge.Defender), &scripted.Defender{}},
		{seat("generator", "builtin:skill=0.9", "apo", apo.Generator), apo.BuiltinGenerator{Skill: 0.9}},
		{seat("generator", "builtin", "apo", apo.Generator), apo.BuiltinGenerator{Skill: apo.DefaultGeneratorSkill}},
		{seat("reward-model", "builtin", "apo", apo.RewardModel), apo.BuiltinRewardModel{}},
	} {
		o, err := players.Open(ctx, tt.seat.Spec, tt.seat.Env, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.seat.Spec.Raw, err)
			continue
		}
		switch want := tt.want.(type) {
		case *scripted.Attacker, *scripted.Defender:
			if got, wantT := fmt.Sprintf("%T", o.Player), fmt.Sprintf("%T", want); got != wantT {
				t.Errorf("%s: %s, want %s", tt.seat.Spec.Raw, got, wantT)
			}
		default:
			if o.Player != want {
				t.Errorf("%s: %#v, want %#v", tt.seat.Spec.Raw, o.Player, want)
			}
		}
		if o.Name != tt.seat.Spec.Raw {
			t.Errorf("%s recorded as %q", tt.seat.Spec.Raw, o.Name)
		}
	}
}

// TestCheckpointProvenance: a native:CKPT player is recorded by absolute
// path and file digest, so that a resumed run finds the file from any
// directory and notices weights overwritten since.
func TestCheckpointProvenance(t *testing.T) {
	dir := t.TempDir()
	ck, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "lr=3e-3.ckpt")
	if err := checkpoint.Save(path, ck); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	spec, err := players.Parse("native:lr=3e-3.ckpt,temperature=0")
	if err != nil {
		t.Fatal(err)
	}
	resolved, name, err := players.Resolve(spec)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := players.FileDigest(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "native:" + path + ",temperature=0"; resolved.Text() != want || name != want+" ("+digest+")" {
		t.Errorf("resolved %q, name %q; want %q with its digest", resolved.Text(), name, want)
	}
	o, err := players.Open(context.Background(), spec, players.Env{Flag: "attacker", Game: "taboo", Role: judge.Attacker}, nil)
	if err != nil {
		t.Fatal(err)
	}
	players.Close([]players.Opened{o})
	if o.Name != name {
		t.Errorf("Open records %q, Resolve %q", o.Name, name)
	}
	// Overwrite the weights: the recorded name changes.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 1
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, again, _ := players.Resolve(spec); again == name {
		t.Errorf("overwritten weights keep the name %q", again)
	}
	// The shipped model is named by its name and digest.
	if _, n, _ := players.Resolve(players.Spec{Backend: "native"}); !strings.Contains(n, defaultmodel.Name+" "+defaultmodel.Digest()) {
		t.Errorf("shipped model named %q", n)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func TestSameSpecSharesOnePlayer(t *testing.T) {
	opened, err := players.OpenAll(context.Background(), []players.Seat{
		seat("attacker", "native", "taboo", judge.Attacker), seat("defender", "native", "taboo", judge.Defender),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if opened[0].Player != opened[1].Player {
		t.Error("one native spec for both roles must be one player (one decoding batch)")
	}
	if err := players.Close(opened); err != nil {
		t.Error(err)
	}
	opened, err = players.OpenAll(context.Background(), []players.Seat{
		seat("attacker", "builtin", "taboo", judge.Attacker), seat("defender", "builtin", "taboo", judge.Defender),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := opened[1].Player.(*scripted.Defender); !ok {
		t.Errorf("built-in players differ per role; defender is %T", opened[1].Player)
	}
}
