package native

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Options configures a [Player]'s decoding. The option names of
// [Options.Set] are Ollama's where they mean the same thing.
type Options struct {
	// Temperature divides the logits before sampling; 0 decodes greedily
	// (the most likely token, ties to the lowest id).
	Temperature float64
	// TopK keeps the K most likely tokens before sampling; 0 keeps all.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability
	// (after TopK and Temperature) reaches P; 0 or 1 keeps all.
	TopP float64
	// Seed, when set, seeds every turn alike; nil uses each request's
	// [game.Request.Seed], so that runs are reproducible and turns differ.
	Seed *uint64
	// MaxTokens caps the tokens generated per turn; 0 means
	// [DefaultMaxTokens]. The model's context may cap them further.
	MaxTokens int
	// MaxBytes caps the bytes of a turn's text, cut at a UTF-8 boundary;
	// 0 means [DefaultMaxBytes].
	MaxBytes int
	// Stop ends a turn at the first occurrence of any of these strings,
	// which are not part of the reply.
	Stop []string
	// Batch is the most sequences decoded together, and the player's
	// [Player.Capacity]; 0 means [DefaultBatch].
	Batch int
}

// Defaults of [Options] fields left zero, and the sampling defaults of
// [DefaultOptions] (Ollama's). A batch of 32 streams reads each weight
// once for 32 rows, where 8 left the products bound by memory: self-play
// with the shipped model takes 0.7 – 0.8 of the CPU time per game it
// took with 8 (docs/benchmarks.md).
const (
	DefaultMaxTokens = 64
	DefaultMaxBytes  = 16 << 10
	DefaultBatch     = 32
)

// DefaultOptions returns the options a command-line player starts from:
// Ollama's sampling defaults (temperature 0.8, top_k 40, top_p 0.9).
func DefaultOptions() Options {
	return Options{Temperature: 0.8, TopK: 40, TopP: 0.9}
}

// optionHelp documents the keys of [Options.Set].
var optionHelp = map[string]string{
	"temperature": "sampling temperature, 0 for greedy",
	"top_k":       "keep the K most likely tokens, 0 for all",
	"top_p":       "nucleus probability, 0..1",
	"seed":        "fixed seed for every turn (default: the engine's per-turn seed)",
	"num_predict": "output token cap per turn",
	"max_tokens":  "same as num_predict",
	"max_bytes":   "output byte cap per turn",
	"stop":        "stop strings, separated by |",
	"batch":       "sequences decoded together (the player's capacity)",
}

// Keys lists every key [Options.Set] accepts, sorted.
func Keys() []string {
	keys := make([]string, 0, len(optionHelp))
	for k := range optionHelp {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Set applies one key=value setting from the command line: temperature,
// top_k, top_p, seed, num_predict (or max_tokens), max_bytes, stop (strings
// separated by |) or batch.
func (o *Options) Set(key, value string) error {
	bad := func(want string) error {
		return fmt.Errorf("option %s=%q: want %s", key, value, want)
	}
	atoi := func(min, max int) (int, error) {
		n, err := strconv.Atoi(value)
		if err != nil || n < min || n > max {
			return 0, bad(fmt.Sprintf("an integer from %d to %d", min, max))
		}
		return n, nil
	}
	var err error
	switch key {
	case "temperature":
		f, perr := strconv.ParseFloat(value, 64)
		if perr != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return bad("a number ≥ 0")
		}
		o.Temperature = f
	case "top_p":
		f, perr := strconv.ParseFloat(value, 64)
		if perr != nil || !(f >= 0 && f <= 1) {
			return bad("a number from 0 to 1")
		}
		o.TopP = f
	case "top_k":
		o.TopK, err = atoi(0, 1<<30)
	case "seed":
		n, perr := strconv.ParseUint(value, 10, 64)
		if perr != nil {
			return bad("a non-negative integer")
		}
		o.Seed = &n
	case "num_predict", "max_tokens":
		o.MaxTokens, err = atoi(1, 1<<20)
	case "max_bytes":
		o.MaxBytes, err = atoi(1, 1<<30)
	case "stop":
		o.Stop = nil
		for _, s := range strings.Split(value, "|") {
			if s != "" {
				o.Stop = append(o.Stop, s)
			}
		}
	case "batch":
		o.Batch, err = atoi(1, 4096)
	default:
		return fmt.Errorf("unknown option %q (known: %s)", key, strings.Join(Keys(), ", "))
	}
	return err
}

// check reports the first invalid field, for options built in code.
func (o Options) check() error {
	switch {
	case !(o.Temperature >= 0) || math.IsInf(o.Temperature, 0):
		return fmt.Errorf("temperature %v: want a number ≥ 0", o.Temperature)
	case !(o.TopP >= 0 && o.TopP <= 1):
		return fmt.Errorf("top_p %v: want a number from 0 to 1", o.TopP)
	case o.TopK < 0, o.MaxTokens < 0, o.MaxBytes < 0, o.Batch < 0:
		return fmt.Errorf("top_k %d, max tokens %d, max bytes %d and batch %d must not be negative", o.TopK, o.MaxTokens, o.MaxBytes, o.Batch)
	}
	for i, s := range o.Stop {
		if s == "" {
			return fmt.Errorf("stop string %d is empty", i)
		}
	}
	return nil
}
