package episodes

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestTrainingSteps(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t, Options{})
	tr := &Training{Objective: "sft", Config: json.RawMessage(`{"data":"train.json"}`), CodeVersion: "abc"}
	if err := s.CreateTraining(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tr.ID, "t") || tr.CreatedAt.IsZero() {
		t.Errorf("training = %+v", tr)
	}
	for step, loss := range []float64{3, 2.5, 2} {
		m, _ := json.Marshal(map[string]any{"step": step + 1, "loss": loss})
		if err := s.WriteTrainingStep(ctx, tr.ID, step+1, m); err != nil {
			t.Fatal(err)
		}
	}
	// Step 3 written again (a resumed training) replaces the first copy.
	if err := s.WriteTrainingStep(ctx, tr.ID, 3, json.RawMessage(`{"step":3,"loss":1.5}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteTrainingStep(ctx, tr.ID, 4, json.RawMessage(`{"step":`)); err == nil {
		t.Error("invalid metrics JSON accepted")
	}
	if err := s.WriteTrainingStep(ctx, "t-missing", 1, json.RawMessage(`{}`)); err == nil {
		t.Error("metrics of an unknown training accepted")
	}
	// A second store on the same file reads them back.
	s2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	steps, err := s2.TrainingSteps(ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range steps {
		got = append(got, string(m))
	}
	want := `{"loss":3,"step":1} {"loss":2.5,"step":2} {"step":3,"loss":1.5}`
	if strings.Join(got, " ") != want {
		t.Errorf("steps = %s\nwant    %s", strings.Join(got, " "), want)
	}
	if _, err := s2.TrainingSteps(ctx, "t-missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown training: %v, want ErrNotFound", err)
	}
}
