package trainer_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/rl/trainer"
)

func TestParsePolicyArgAndLabel(t *testing.T) {
	for _, tt := range []struct {
		arg   string
		want  trainer.Policy
		label string
		err   string
	}{
		{arg: "sft.ckpt", want: trainer.Policy{Checkpoint: "sft.ckpt"}, label: "native:sft.ckpt"},
		{arg: "native:/m/sft.ckpt", want: trainer.Policy{Checkpoint: "/m/sft.ckpt"}, label: "native:/m/sft.ckpt"},
		{arg: "native:sft.ckpt", want: trainer.Policy{Checkpoint: "sft.ckpt"}, label: "native:sft.ckpt"},
		{arg: "gguf:/m/model.gguf", want: trainer.Policy{GGUF: "/m/model.gguf"}, label: "gguf:/m/model.gguf"},
		{arg: "ollama:qwen2.5:0.5b", want: trainer.Policy{Ollama: "qwen2.5:0.5b"}, label: "ollama:qwen2.5:0.5b"},
		{arg: "gguf:", err: "want native:PATH, gguf:PATH, hf:DIR or ollama:NAME"},
		// A path with a colon that names no kind is a checkpoint.
		{arg: "runs/a:b.ckpt", want: trainer.Policy{Checkpoint: "runs/a:b.ckpt"}, label: "native:runs/a:b.ckpt"},
	} {
		t.Run(tt.arg, func(t *testing.T) {
			p, err := trainer.ParsePolicyArg(tt.arg)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParsePolicyArg(%q) = %+v, %v; want an error containing %q", tt.arg, p, err, tt.err)
				}
				return
			}
			if err != nil || p != tt.want || p.Label() != tt.label {
				t.Fatalf("ParsePolicyArg(%q) = %+v (%q), %v; want %+v (%q)", tt.arg, p, p.Label(), err, tt.want, tt.label)
			}
		})
	}
	if p, _ := trainer.ParsePolicyArg("native:x.ckpt"); filepath.IsAbs(p.Checkpoint) {
		t.Errorf("a relative path became %q; trainers resolve it against the working directory", p.Checkpoint)
	}
}

// ExampleParsePolicyArg reads --init and --ref as spag train does: a
// checkpoint path, or a policy of another kind for an external trainer.
func ExampleParsePolicyArg() {
	for _, arg := range []string{"sft.ckpt", "gguf:/models/sft.gguf", "ollama:qwen2.5:0.5b"} {
		p, err := trainer.ParsePolicyArg(arg)
		fmt.Printf("%+v %v\n", p, err)
	}
	// Output:
	// {Checkpoint:sft.ckpt GGUF: Ollama: HF:} <nil>
	// {Checkpoint: GGUF:/models/sft.gguf Ollama: HF:} <nil>
	// {Checkpoint: GGUF: Ollama:qwen2.5:0.5b HF:} <nil>
}

// ExamplePolicy_Label names trained policies for people.
func ExamplePolicy_Label() {
	fmt.Println(trainer.Policy{Checkpoint: "/loop/round-1/policy.ckpt"}.Label())
	fmt.Println(trainer.Policy{GGUF: "/out/policy.gguf"}.Label())
	// Output:
	// native:/loop/round-1/policy.ckpt
	// gguf:/out/policy.gguf
}
