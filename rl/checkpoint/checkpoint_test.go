package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

func testCheckpoint(t *testing.T, withState bool) *Checkpoint {
	t.Helper()
	v, err := tokenizer.Train(context.Background(), []string{"hello world", "hello there"}, tokenizer.TrainOptions{VocabSize: 280})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := model.Preset("tiny")
	cfg.Vocab = v.Size()
	cfg.Layers = 1
	p, err := model.Init(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	c := &Checkpoint{Vocab: v, Params: p}
	if withState {
		o := &Optimizer{Step: 5}
		for i, w := range p.Tensors {
			n := w.Shape().TotalSize()
			m, vv := make([]float32, n), make([]float32, n)
			for j := range m {
				m[j], vv[j] = float32(i+j), float32(j)*0.5
			}
			o.M, o.V = append(o.M, m), append(o.V, vv)
		}
		c.Optimizer = o
		c.Train = &Train{Step: 5, Total: 9, Epoch: 1, Cursor: 2, Order: []int{2, 0, 1}, RNG: []byte{1, 2, 3}, Config: json.RawMessage(`{"lr":0.001}`)}
	}
	return c
}

func TestRoundTrip(t *testing.T) {
	for _, withState := range []bool{false, true} {
		t.Run(map[bool]string{false: "weights only", true: "with training state"}[withState], func(t *testing.T) {
			c := testCheckpoint(t, withState)
			c.Sampling = []string{"temperature=0.3", "top_k=20"}
			dir := t.TempDir()
			path := filepath.Join(dir, "m.ckpt")
			if err := Save(path, c); err != nil {
				t.Fatal(err)
			}
			got, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if got.Params.Config != c.Params.Config || !reflect.DeepEqual(got.Vocab.Pieces(), c.Vocab.Pieces()) {
				t.Error("config or vocabulary changed")
			}
			for i := range c.Params.Tensors {
				if !reflect.DeepEqual(got.Params.Tensors[i].Data(), c.Params.Tensors[i].Data()) {
					t.Errorf("tensor %d changed", i)
				}
			}
			if !reflect.DeepEqual(got.Optimizer, c.Optimizer) || !reflect.DeepEqual(got.Train, c.Train) {
				t.Error("optimizer or train state changed")
			}
			if !reflect.DeepEqual(got.Sampling, c.Sampling) {
				t.Errorf("sampling %q, want %q", got.Sampling, c.Sampling)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries, want only the checkpoint", len(entries))
			}
			h, err := ReadHeader(path)
			if err != nil || h.Model != c.Params.Config {
				t.Errorf("ReadHeader: %v", err)
			}
		})
	}
}

func TestCorruption(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.ckpt")
	if err := Save(path, testCheckpoint(t, true)); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	tests := []struct {
		name string
		data []byte
	}{
		{"truncated", data[:len(data)/2]},
		{"flipped byte", func() []byte { d := append([]byte(nil), data...); d[len(d)/2] ^= 1; return d }()},
		{"last tensor byte flipped", func() []byte { d := append([]byte(nil), data...); d[len(d)-5] ^= 0x80; return d }()},
		{"trailing byte", append(append([]byte(nil), data...), 0)},
		{"not a checkpoint", []byte("hello, this is not a checkpoint at all")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Read(tc.data); !errors.Is(err, ErrFormat) {
				t.Errorf("Read error = %v, want ErrFormat", err)
			}
			// spag model info reads the header alone: it must not describe
			// a damaged file as if it were sound.
			bad := filepath.Join(t.TempDir(), "bad.ckpt")
			if err := os.WriteFile(bad, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if h, err := ReadHeader(bad); !errors.Is(err, ErrFormat) {
				t.Errorf("ReadHeader of a damaged file: header %v, error %v; want ErrFormat", h != nil, err)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.ckpt")); err == nil {
		t.Error("missing file loaded")
	}
}

// TestWeightsDigest: the digest follows the weights, not the optimizer
// state or the copy, and changes with any single weight.
func TestWeightsDigest(t *testing.T) {
	c := testCheckpoint(t, true)
	d1, err := WeightsDigest(c.Params)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := WeightsDigest(c.Params.Clone())
	if err != nil || d2 != d1 {
		t.Fatalf("clone digest %s (%v), want %s", d2, err, d1)
	}
	p := c.Params.Clone()
	p.Tensors[len(p.Tensors)-1].Data().([]float32)[0] += 1e-6
	if d3, _ := WeightsDigest(p); d3 == d1 {
		t.Fatalf("digest %s did not change with a weight", d3)
	}
	if len(d1) != len("sha256:")+64 {
		t.Fatalf("digest %q", d1)
	}
}

func TestStrip(t *testing.T) {
	for _, tt := range []struct {
		name      string
		withState bool
	}{
		{"a run's checkpoint", true},
		{"a fresh one", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := testCheckpoint(t, tt.withState)
			step, config := 0, json.RawMessage(nil)
			if c.Train != nil {
				step, config = c.Train.Step, c.Train.Config
			}
			c.Strip()
			if c.Optimizer != nil {
				t.Error("the optimizer state is kept")
			}
			if tt.withState && (c.Train == nil || c.Train.Order != nil || c.Train.RNG != nil || c.Train.Cursor != 0 ||
				c.Train.Step != step || string(c.Train.Config) != string(config)) {
				t.Errorf("training record %+v: want the step and configuration without the data order and random state", c.Train)
			}
			path := filepath.Join(t.TempDir(), "weights.ckpt")
			if err := Save(path, c); err != nil {
				t.Fatal(err)
			}
			back, err := Load(path)
			if err != nil || back.Optimizer != nil || !reflect.DeepEqual(back.Params.Config, c.Params.Config) {
				t.Fatalf("the stripped checkpoint reads back as %+v, %v", back, err)
			}
		})
	}
}

// TestScoreHead: a model with a scalar head round-trips with it (weights
// and optimizer moments), the header says so, and a model without one
// writes the header it wrote before heads existed (no score_head field).
func TestScoreHead(t *testing.T) {
	dir := t.TempDir()
	plain := testCheckpoint(t, false)
	if err := Save(filepath.Join(dir, "plain.ckpt"), plain); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "plain.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("score_head")) {
		t.Error("a checkpoint without a head mentions score_head")
	}
	c := testCheckpoint(t, true)
	c.Params = model.WithScoreHead(c.Params, 4)
	n := len(c.Params.Tensors)
	c.Params.Tensors[n-1].Data().([]float32)[0] = 0.25 // a bias to keep
	c.Optimizer.M = append(c.Optimizer.M, make([]float32, c.Params.Config.Dim), []float32{1})
	c.Optimizer.V = append(c.Optimizer.V, make([]float32, c.Params.Config.Dim), []float32{2})
	path := filepath.Join(dir, "head.ckpt")
	if err := Save(path, c); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Params.Config.ScoreHead || len(got.Params.Tensors) != n {
		t.Fatalf("loaded %d tensors, head %v; want %d with a head", len(got.Params.Tensors), got.Params.Config.ScoreHead, n)
	}
	for i := range c.Params.Tensors {
		if !reflect.DeepEqual(got.Params.Tensors[i].Data(), c.Params.Tensors[i].Data()) {
			t.Errorf("tensor %d changed", i)
		}
	}
	if !reflect.DeepEqual(got.Optimizer, c.Optimizer) {
		t.Error("optimizer state changed")
	}
	h, err := ReadHeader(path)
	if err != nil || !h.Model.ScoreHead || h.Tensors[n-2].Name != model.ScoreHeadWeight {
		t.Errorf("header: %v, %+v", err, h)
	}
}
