package ollama

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spag-go/spag/players/internal/modelopt"
	"github.com/spag-go/spag/players/pool"
)

// Mode selects the Ollama endpoint a [Player] uses.
type Mode string

const (
	// Chat sends the prompt's messages to /api/chat; the model's chat
	// template renders them.
	Chat Mode = "chat"
	// Generate sends the flattened prompt ([game.Prompt.Text]) to
	// /api/generate, for base (completion) models.
	Generate Mode = "generate"
)

// Config configures a [Player]. Only Model is required.
type Config struct {
	// Model is the Ollama model name, for example "qwen2.5:7b".
	Model string
	// Hosts are the base URLs of the servers serving Model; empty means
	// $OLLAMA_HOST, or http://127.0.0.1:11434.
	Hosts []string
	// Mode is Chat (the default) or Generate.
	Mode Mode
	// Raw, in Generate mode, sends the prompt without the model's template.
	Raw bool
	// Options are Ollama's model options, sent as they are (temperature,
	// top_p, top_k, seed, num_predict, stop, num_ctx, ...). Without "seed",
	// each turn gets the seed the engine derives for it, so runs are
	// reproducible; without "num_predict", MaxTokens is sent.
	Options map[string]any
	// KeepAlive is how long the server keeps the model loaded after a call;
	// nil means the server's default.
	KeepAlive *time.Duration
	// Think switches a reasoning model's thinking: "" (server default),
	// "true", "false", or a level ("low", "medium", "high").
	Think string
	// Logprobs asks for each output token's log-probability, with the
	// TopLogprobs (0..20) most likely alternatives.
	Logprobs    bool
	TopLogprobs int
	// MaxTokens caps the output tokens of a turn (text and thinking); 0 means
	// 256, or num_predict when that is larger. It is also sent as
	// num_predict when Options has none. MaxBytes caps the bytes; 0 means
	// 16 KiB. A capped output is kept, truncated.
	MaxTokens, MaxBytes int
	// Stall ends an attempt whose stream has sent nothing for this long
	// after its first token (a transient error, retried); 0 means 60s, a
	// negative value no limit. The wait for the first token (a model may
	// be loading) is bounded only by the turn's context.
	Stall time.Duration
	// Pool sets balancing, per-host concurrency (Pool.PerHost) and the
	// retry policy; Classify and Health are set by [New].
	Pool pool.Config
}

// DefaultMaxTokens and DefaultMaxBytes are the output caps of a turn when
// the configuration sets none.
const (
	DefaultMaxTokens = 256
	DefaultMaxBytes  = 16 << 10
)

// optionKinds lists the Ollama model options [Config.Set] accepts, with
// their value kind.
var optionKinds = map[string]string{
	"temperature": "float", "top_p": "float", "min_p": "float", "typical_p": "float",
	"repeat_penalty": "float", "presence_penalty": "float", "frequency_penalty": "float",
	"top_k": "int", "seed": "int", "num_predict": "int", "num_ctx": "int", "repeat_last_n": "int",
	"num_keep": "int", "num_batch": "int", "num_gpu": "int", "num_thread": "int",
	"stop": "strings",
}

// settingHelp documents the keys of [Config.Set] besides the model options.
var settingHelp = map[string]string{
	"mode":         "chat or generate",
	"raw":          "true: generate mode sends the prompt without the model's template",
	"keep_alive":   "duration the model stays loaded, e.g. 10m, or -1 for ever",
	"think":        "true, false, low, medium or high",
	"logprobs":     "true or false",
	"top_logprobs": "0..20 alternatives per token",
	"max_tokens":   "output token cap per turn",
	"max_bytes":    "output byte cap per turn",
	"stall":        "give up on a stream silent this long, e.g. 60s",
	"parallel":     "calls in flight per host",
	"retries":      "attempts per call, first included",
}

// Keys lists every key [Config.Set] accepts, sorted.
func Keys() []string {
	var settings []string
	for k := range settingHelp {
		settings = append(settings, k)
	}
	return modelopt.SortedKeys(optionKinds, settings...)
}

// Set applies one key=value setting from the command line: an Ollama model
// option (temperature, top_p, top_k, seed, num_predict, stop (separated by
// |), num_ctx, ...) or one of mode, raw, keep_alive, think, logprobs,
// top_logprobs, max_tokens, max_bytes, stall, parallel, retries.
func (c *Config) Set(key, value string) error {
	bad := func(want string) error { return modelopt.Bad(key, value, want) }
	if handled, err := modelopt.SetParam(&c.Options, optionKinds, key, value); handled {
		return err
	}
	if handled, err := c.shared().Set(key, value); handled {
		return err
	}
	var err error
	switch key {
	case "mode":
		switch Mode(value) {
		case Chat, Generate:
			c.Mode = Mode(value)
		default:
			return bad("chat or generate")
		}
	case "raw":
		if c.Raw, err = strconv.ParseBool(value); err != nil {
			return bad("true or false")
		}
	case "keep_alive":
		d, err := parseDuration(value)
		if err != nil {
			return bad("a duration such as 10m, or -1")
		}
		c.KeepAlive = &d
	case "think":
		switch value {
		case "true", "false", "low", "medium", "high":
			c.Think = value
		default:
			return bad("true, false, low, medium or high")
		}
	default:
		return fmt.Errorf("unknown option %q (known: %s)", key, strings.Join(Keys(), ", "))
	}
	return err
}

// shared points at the settings every model backend reads the same way.
func (c *Config) shared() modelopt.Shared {
	return modelopt.Shared{Logprobs: &c.Logprobs, TopLogprobs: &c.TopLogprobs, MaxTokens: &c.MaxTokens,
		MaxBytes: &c.MaxBytes, Stall: &c.Stall, PerHost: &c.Pool.PerHost, Attempts: &c.Pool.Retry.Attempts}
}

// parseDuration accepts Go durations and plain seconds ("-1" keeps a
// model loaded for ever, as in Ollama).
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}
