package native

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/internal/modelopt"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl/checkpoint"
)

func init() { players.Register("native", backend{}) }

// backend is the "native" player backend: the shipped model, or
// native:CKPT.
type backend struct{}

func (backend) Help() string {
	return "in-process native model: the shipped " + defaultmodel.Name +
		", or native:CKPT (a checkpoint of spag model init/train); options " + strings.Join(Keys(), ", ")
}

func (backend) Keys(players.Env) []string { return Keys() }

// ShareAcrossRoles: one spec for two roles is one model and one decoding
// batch.
func (backend) ShareAcrossRoles() bool { return true }

// Resolve pins down the weights: the shipped model by its name and digest,
// a checkpoint by its absolute path and its file's digest.
func (backend) Resolve(spec players.Spec) (players.Spec, string, error) {
	if spec.Arg == "" {
		return spec, spec.Text() + " (" + defaultmodel.Name + " " + defaultmodel.Digest() + ")", nil
	}
	return players.ResolveFile(spec)
}

func (backend) Open(ctx context.Context, spec players.Spec, env players.Env) (game.Player, error) {
	// Check the spec's options before loading a model; they are applied
	// again below, over the checkpoint's own defaults.
	check := DefaultOptions()
	if err := modelopt.Apply(spec.Options, check.Set); err != nil {
		return nil, players.Usagef("%v", err)
	}
	var ck *checkpoint.Checkpoint
	var err error
	if spec.Arg == "" {
		ck, err = defaultmodel.Load()
	} else {
		ck, err = checkpoint.Load(spec.Arg)
	}
	if err != nil {
		// native:temperature=0 names a file (which [players.Resolve] made
		// absolute); the option was meant.
		if base := filepath.Base(spec.Arg); knownKey(strings.SplitN(base, "=", 2)[0]) && strings.Contains(base, "=") {
			return nil, players.Usagef("%v (the part after \"native:\" is a checkpoint path; options follow a comma: native,%s)", err, base)
		}
		return nil, err
	}
	opts, err := CheckpointOptions(ck)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", defaultmodel.Label(spec.Arg), err)
	}
	if err := modelopt.Apply(spec.Options, opts.Set); err != nil {
		return nil, players.Usagef("%v", err)
	}
	m, err := NewModel(ck.Vocab, ck.Params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Arg, err)
	}
	p, err := NewPlayer(m, opts)
	if err != nil {
		return nil, players.Usagef("%v", err)
	}
	return p, nil
}

func knownKey(k string) bool {
	for _, known := range Keys() {
		if k == known {
			return true
		}
	}
	return false
}

// CheckpointOptions are the options a player of ck starts from: Ollama's
// defaults ([DefaultOptions]) with the checkpoint's own sampling settings
// over them (checkpoint.Checkpoint.Sampling).
func CheckpointOptions(ck *checkpoint.Checkpoint) (Options, error) {
	opts := DefaultOptions()
	for _, kv := range ck.Sampling {
		if _, err := setSampling(&opts, kv); err != nil {
			return opts, err
		}
	}
	return opts, nil
}

// setSampling applies one stored key=value sampling setting to o and
// returns its key.
func setSampling(o *Options, kv string) (string, error) {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return "", fmt.Errorf("sampling setting %q is not key=value", kv)
	}
	if err := o.Set(k, v); err != nil {
		return "", fmt.Errorf("sampling setting %q: %w", kv, err)
	}
	return k, nil
}

// OllamaParameters translates a checkpoint's sampling settings
// (checkpoint.Checkpoint.Sampling) into the default parameters of an
// Ollama model made from it, so that Ollama samples the exported model as
// a native player does. Settings Ollama has no parameter for (max_bytes,
// batch) are left out.
func OllamaParameters(sampling []string) (map[string]any, error) {
	var o Options
	params := map[string]any{}
	for _, kv := range sampling {
		k, err := setSampling(&o, kv)
		if err != nil {
			return nil, err
		}
		switch k {
		case "temperature":
			params[k] = o.Temperature
		case "top_p":
			params[k] = o.TopP
		case "top_k":
			params[k] = o.TopK
		case "seed":
			params[k] = *o.Seed
		case "num_predict", "max_tokens":
			params["num_predict"] = o.MaxTokens
		case "stop":
			params[k] = o.Stop
		}
	}
	if len(params) == 0 {
		return nil, nil
	}
	return params, nil
}
