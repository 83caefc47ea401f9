package trainer

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/rl/train"
)

func TestSamplesPerQuery(t *testing.T) {
	ex := func(item int, adv bool) train.Example { return train.Example{Item: item, Adversarial: adv} }
	tests := []struct {
		data []train.Example
		want int
	}{
		{[]train.Example{ex(0, true), ex(0, true), ex(0, true), ex(1, true), ex(1, true)}, 2},
		{[]train.Example{ex(0, false), ex(0, false), ex(0, false)}, 1},
		{nil, 1},
	}
	for _, tt := range tests {
		if got := samplesPerQuery(tt.data); got != tt.want {
			t.Errorf("samplesPerQuery(%v) = %d, want %d", tt.data, got, tt.want)
		}
	}
}

// TestReadDataPreferenceItems: the definitions task's preference items are
// reward-model items as the apo objective reads them.
func TestReadDataPreferenceItems(t *testing.T) {
	entries, err := definitions.Entries(definitions.SourceHeldOut)
	if err != nil {
		t.Fatal(err)
	}
	prefs, err := definitions.Preferences(entries[:20], definitions.PreferenceOptions{Hard: 1, Easy: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, p := range prefs {
		if err := enc.Encode(p); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "prefs.jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	examples, items, err := ReadData(path, train.ObjectiveAPO)
	if err != nil {
		t.Fatal(err)
	}
	if items != len(prefs) || len(examples) != 2*len(prefs) {
		t.Fatalf("%d items, %d examples; want %d and %d", items, len(examples), len(prefs), 2*len(prefs))
	}
	for k, e := range examples {
		p := prefs[k/2]
		want := train.Example{Query: apo.ScoringText(p.Query), Target: p.Responses[k%2], Weight: 1, Item: k / 2, Pref: float64(1 - k%2)}
		if e != want {
			t.Fatalf("example %d = %+v, want %+v", k, e, want)
		}
	}
}

// TestEvaluateRewardModelNamesItsWork reports a missing items file as the
// evaluation's, naming the file, not as a training's.
func TestEvaluateRewardModelNamesItsWork(t *testing.T) {
	dir, _, init := fixture(t)
	missing := filepath.Join(dir, "nosuch.jsonl")
	_, err := EvaluateRewardModel(context.Background(), init, missing)
	if err == nil || !strings.HasPrefix(err.Error(), "evaluate reward model: items: open "+missing) {
		t.Fatalf("EvaluateRewardModel of a missing file: %v", err)
	}
}
