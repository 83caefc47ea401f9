// Package modelopt parses the key=value settings (`--option`, spec options)
// that the model-server backends (players/ollama, players/openai) read the
// same way, so that both accept the same keys with the same checks and
// messages.
package modelopt

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spag-go/spag/players/pool"
)

// Shared points at a backend's fields for the settings every server backend
// has.
type Shared struct {
	Logprobs    *bool
	TopLogprobs *int
	MaxTokens   *int
	MaxBytes    *int
	Stall       *time.Duration
	PerHost     *int
	Attempts    *int
}

// Set applies key=value if key is a shared setting; handled reports whether
// it was one.
func (s Shared) Set(key, value string) (handled bool, err error) {
	switch key {
	case "logprobs":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return true, Bad(key, value, "true or false")
		}
		*s.Logprobs = b
	case "top_logprobs":
		n, err := Int(key, value, 0, 20)
		if err != nil {
			return true, err
		}
		*s.TopLogprobs = n
		if n > 0 {
			*s.Logprobs = true
		}
	case "max_tokens":
		return true, setInt(s.MaxTokens, key, value, 1, 1<<20)
	case "max_bytes":
		return true, setInt(s.MaxBytes, key, value, 1, 1<<30)
	case "stall":
		d, err := time.ParseDuration(value)
		if err != nil {
			return true, Bad(key, value, "a duration such as 60s")
		}
		*s.Stall = d
	case "parallel":
		return true, setInt(s.PerHost, key, value, 1, 4096)
	case "retries":
		return true, setInt(s.Attempts, key, value, 1, 100)
	default:
		return false, nil
	}
	return true, nil
}

// SharedKeys are the keys [Shared.Set] handles.
var SharedKeys = []string{"logprobs", "top_logprobs", "max_tokens", "max_bytes", "stall", "parallel", "retries"}

// Bad is the error for a value that is not what key wants.
func Bad(key, value, want string) error {
	return fmt.Errorf("option %s=%q: want %s", key, value, want)
}

// Int parses an integer in [min, max].
func Int(key, value string, min, max int) (int, error) {
	n, err := strconv.Atoi(value)
	if err != nil || n < min || n > max {
		return 0, Bad(key, value, fmt.Sprintf("an integer from %d to %d", min, max))
	}
	return n, nil
}

func setInt(dst *int, key, value string, min, max int) error {
	n, err := Int(key, value, min, max)
	if err == nil {
		*dst = n
	}
	return err
}

// Param parses a request parameter passed through to the server by its
// kind: "float", "int" or "strings" (separated by |).
func Param(kind, key, value string) (any, error) {
	switch kind {
	case "float":
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, Bad(key, value, "a number")
		}
		return f, nil
	case "int":
		n, err := strconv.Atoi(value)
		if err != nil {
			return nil, Bad(key, value, "an integer")
		}
		return n, nil
	case "strings":
		return strings.Split(value, "|"), nil
	}
	return nil, fmt.Errorf("option %s: unknown kind %q", key, kind)
}

// SetParam stores key=value in *params, parsed by its kind in kinds, when
// key is a pass-through request parameter; handled reports whether it was.
func SetParam(params *map[string]any, kinds map[string]string, key, value string) (handled bool, err error) {
	kind, ok := kinds[key]
	if !ok {
		return false, nil
	}
	v, err := Param(kind, key, value)
	if err != nil {
		return true, err
	}
	if *params == nil {
		*params = map[string]any{}
	}
	(*params)[key] = v
	return true, nil
}

// SortedKeys lists the keys of kinds and the extra keys, sorted: what a
// backend's Set accepts.
func SortedKeys(kinds map[string]string, extra ...string) []string {
	keys := append([]string(nil), extra...)
	for k := range kinds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Model splits a model server backend's ARG, MODEL[@HOST[,HOST...]], into
// the model and its hosts (none: the backend's default host). defaultPort,
// when not empty, is added to hosts without a port.
func Model(backend, arg, defaultPort string) (model string, hosts []string, err error) {
	model, list, hasHosts := strings.Cut(arg, "@")
	if model == "" {
		return "", nil, fmt.Errorf("no model named; use %s:MODEL[@HOST,...]", backend)
	}
	if hasHosts {
		if hosts, err = pool.ParseHosts(list, defaultPort); err != nil {
			return "", nil, err
		}
	}
	return model, hosts, nil
}

// Apply calls set for each option in key order, so that errors come in a
// stable order.
func Apply(options map[string]string, set func(key, value string) error) error {
	keys := make([]string, 0, len(options))
	for k := range options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := set(k, options[k]); err != nil {
			return err
		}
	}
	return nil
}
