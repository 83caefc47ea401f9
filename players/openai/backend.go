package openai

import (
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/internal/modelopt"
)

// init registers the "openai" player backend: openai:MODEL@URL[,URL...].
func init() {
	players.Register("openai", modelopt.Backend{
		Name:        "openai",
		Description: "OpenAI-compatible server (vLLM, SGLang, llama.cpp, LM Studio), openai:MODEL@URL[,URL...] (options in docs/backends.md)",
		Settings:    Keys,
		New: func(model string, hosts []string, options map[string]string) (game.Player, error) {
			cfg := Config{Model: model, Hosts: hosts, Logprobs: true}
			if err := modelopt.Apply(options, cfg.Set); err != nil {
				return nil, err
			}
			return New(cfg)
		},
	})
}
