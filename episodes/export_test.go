package episodes

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestExportJSONL(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t, Options{})
	run := createRun(t, s)
	for i := range 3 {
		ep := sampleEpisode(i, 2)
		if i == 2 {
			ep.Err = "model call failed"
		}
		if err := s.Write(ctx, run.ID, ep); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := s.ExportJSONL(ctx, Filter{RunID: run.ID}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), out.String())
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"run_id", "id", "index", "subject", "seed", "started_at", "finished_at", "turns", "verdict", "err"} {
		if _, ok := first[k]; !ok {
			t.Errorf("line has no %q: %s", k, lines[0])
		}
	}
	// Decoding into typed values checks the field names and values.
	var got struct {
		RunID     string `json:"run_id"`
		Index     int    `json:"index"`
		Seed      uint64 `json:"seed"`
		StartedAt string `json:"started_at"`
		Turns     []struct {
			N        int    `json:"n"`
			Role     string `json:"role"`
			Text     string `json:"text"`
			Thinking string `json:"thinking"`
			Usage    struct {
				PromptTokens int   `json:"prompt_tokens"`
				OutputTokens int   `json:"output_tokens"`
				LatencyNS    int64 `json:"latency_ns"`
			} `json:"usage"`
			Logprobs []struct {
				Token   string  `json:"token"`
				Logprob float64 `json:"logprob"`
			} `json:"logprobs"`
		} `json:"turns"`
		Verdict struct {
			Outcome   string `json:"outcome"`
			DecidedAt int    `json:"decided_at"`
			Rule      string `json:"rule"`
			Evidence  struct {
				Turn, Start, End int
				Text             string
			} `json:"evidence"`
			Judge string `json:"judge"`
		} `json:"verdict"`
		Err string `json:"err"`
	}
	if err := json.Unmarshal([]byte(lines[2]), &got); err != nil {
		t.Fatal(err)
	}
	ep := sampleEpisode(2, 2)
	if got.RunID != run.ID || got.Index != 2 || got.Seed != ep.Seed || got.Err != "model call failed" ||
		got.StartedAt != "2026-11-26T15:12:02.000000123Z" || len(got.Turns) != 2 ||
		got.Turns[0].Usage.LatencyNS != int64(ep.Turns[0].Usage.Latency) || got.Turns[0].Logprobs[0].Token != "Hi" ||
		got.Turns[1].Thinking != "let me think" || got.Verdict.Judge != "strict@1" || got.Verdict.Evidence.End != 9 {
		t.Errorf("line 3 decoded to %+v", got)
	}
}
