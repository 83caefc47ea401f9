package ollama

import (
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/internal/modelopt"
)

// init registers the "ollama" player backend: ollama:MODEL[@HOST,...].
func init() {
	players.Register("ollama", modelopt.Backend{
		Name:        "ollama",
		Description: "Ollama model, ollama:MODEL[@HOST,...] ($OLLAMA_HOST by default; options in docs/backends.md)",
		DefaultPort: "11434",
		Settings:    Keys,
		New: func(model string, hosts []string, options map[string]string) (game.Player, error) {
			// Log-probabilities are what training needs; logprobs=false
			// opts out.
			cfg := Config{Model: model, Hosts: hosts, Logprobs: true}
			if err := modelopt.Apply(options, cfg.Set); err != nil {
				return nil, err
			}
			return New(cfg)
		},
	})
}
