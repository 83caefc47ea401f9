package native_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl/checkpoint"
)

func TestCheckpointOptions(t *testing.T) {
	def := native.DefaultOptions()
	for _, tt := range []struct {
		name     string
		sampling []string
		temp     float64
		topK     int
		err      string
	}{
		{name: "none: Ollama's defaults", temp: def.Temperature, topK: def.TopK},
		{name: "the model's own", sampling: []string{"temperature=0.3", "top_k=5"}, temp: 0.3, topK: 5},
		{name: "not key=value", sampling: []string{"temperature"}, err: `"temperature" is not key=value`},
		{name: "unknown key", sampling: []string{"tempo=1"}, err: `unknown option "tempo"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, err := native.CheckpointOptions(&checkpoint.Checkpoint{Sampling: tt.sampling})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil || o.Temperature != tt.temp || o.TopK != tt.topK {
				t.Errorf("options %+v, %v; want temperature %v, top_k %d", o, err, tt.temp, tt.topK)
			}
		})
	}
}

// TestPlayerUsesCheckpointSampling opens native:CKPT players of a
// checkpoint that carries its own temperature: the player starts from it,
// and the spec's option wins over it.
func TestPlayerUsesCheckpointSampling(t *testing.T) {
	ck, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	ck.Sampling = []string{"temperature=0.3"}
	path := filepath.Join(t.TempDir(), "m.ckpt")
	if err := checkpoint.Save(path, ck); err != nil {
		t.Fatal(err)
	}
	env := players.Env{Flag: "attacker", Game: "taboo", Role: judge.Attacker}
	for _, tt := range []struct {
		spec    string
		options []string
		temp    float64
	}{
		{"native:" + path, nil, 0.3},
		{"native:" + path + ",temperature=0.9", nil, 0.9},
		{"native:" + path, []string{"temperature=0"}, 0},
	} {
		spec, err := players.ParseFlag("attacker", tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		o, err := players.Open(context.Background(), spec, env, tt.options)
		if err != nil {
			t.Fatal(err)
		}
		if got := o.Player.(*native.Player).Options().Temperature; got != tt.temp {
			t.Errorf("%s --option %v: temperature %v, want %v", tt.spec, tt.options, got, tt.temp)
		}
		players.Close([]players.Opened{o})
	}
}

func TestOllamaParameters(t *testing.T) {
	got, err := native.OllamaParameters([]string{"temperature=0.3", "top_k=20", "max_tokens=32", "stop=END|Clue", "batch=4", "max_bytes=100"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"temperature": 0.3, "top_k": 20, "num_predict": 32, "stop": []string{"END", "Clue"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parameters %v, want %v (batch and max_bytes have no Ollama parameter)", got, want)
	}
	if got, err := native.OllamaParameters(nil); got != nil || err != nil {
		t.Errorf("no settings: %v, %v; want none", got, err)
	}
	if _, err := native.OllamaParameters([]string{"heat=1"}); err == nil || !strings.Contains(err.Error(), `"heat=1"`) {
		t.Errorf("unknown key: %v, want an error naming it", err)
	}
}
