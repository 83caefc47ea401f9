package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/players/ollama"
	"github.com/spag-go/spag/players/openai"
	"github.com/spag-go/spag/players/pool"
	"github.com/spag-go/spag/players/scripted"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/taboo"
)

// playerSpec is a parsed --attacker/--defender value:
// BACKEND[:ARG][,key=value...], for example "builtin", "builtin:skill=0.8",
// "ollama:qwen2.5:7b", "ollama:llama3.2:3b@http://gpu1:11434,http://gpu2:11434,temperature=0.7".
// For model backends ARG is MODEL[@HOST[,HOST...]]: parts after the host
// list without "=" are more hosts.
type playerSpec struct {
	raw     string
	backend string
	arg     string
	options map[string]string
}

// backends lists what --attacker and --defender accept, with a description
// for the error message.
var backendHelp = map[string]string{
	"builtin": "built-in lexicon player (options: skill=0..1)",
	"native":  "in-process native model: the shipped " + defaultmodel.Name + ", or native:CKPT (a checkpoint of spag model init/train); options temperature, top_k, top_p, seed, num_predict, max_bytes, stop, batch",
	"ollama":  "Ollama model, ollama:MODEL[@HOST,...] ($OLLAMA_HOST by default; options as --option)",
	"openai":  "OpenAI-compatible server (vLLM, SGLang, llama.cpp, LM Studio), openai:MODEL@URL[,URL...]",
}

// modelBackends are the backends that --option settings apply to.
var modelBackends = map[string]bool{"ollama": true, "openai": true, "native": true}

func parseSpec(flag, raw string) (playerSpec, error) {
	s := playerSpec{raw: raw, options: map[string]string{}}
	if strings.TrimSpace(raw) == "" {
		return s, usagef("--%s is empty; use one of: %s", flag, backendList())
	}
	backend, rest, _ := strings.Cut(raw, ":")
	s.backend = backend
	if _, ok := backendHelp[backend]; !ok {
		return s, usagef("--%s %q: unknown backend %q; use one of: %s", flag, raw, backend, backendList())
	}
	for _, part := range strings.Split(rest, ",") {
		if part == "" {
			continue
		}
		if k, v, ok := strings.Cut(part, "="); ok {
			s.options[k] = v
			continue
		}
		if s.arg != "" && modelBackends[backend] && strings.Contains(s.arg, "@") {
			s.arg += "," + part // another host of the pool
			continue
		}
		if s.arg != "" {
			return s, usagef("--%s %q: %q is neither the backend argument nor key=value", flag, raw, part)
		}
		s.arg = part
	}
	return s, nil
}

func backendList() string {
	names := make([]string, 0, len(backendHelp))
	for n := range backendHelp {
		names = append(names, n+" ("+backendHelp[n]+")")
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// addOptions applies --option key=value settings to a model backend's spec;
// the spec's own options win. Other backends ignore them.
func (s *playerSpec) addOptions(flag string, opts []string) error {
	if !modelBackends[s.backend] {
		return nil
	}
	for _, kv := range opts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usagef("--option %q: want key=value, for example --option temperature=0.7", kv)
		}
		if _, set := s.options[k]; !set {
			s.options[k] = v
		}
	}
	return nil
}

// modelConfig splits a model backend's argument MODEL[@HOST,...] and
// returns its settings in a stable order.
func modelConfig(flag string, spec playerSpec, defaultPort string) (model string, hosts []string, keys []string, err error) {
	model, hostList, hasHosts := strings.Cut(spec.arg, "@")
	if model == "" {
		return "", nil, nil, usagef("--%s %q: no model named; use %s:MODEL[@HOST,...]", flag, spec.raw, spec.backend)
	}
	if hasHosts {
		if hosts, err = pool.ParseHosts(hostList, defaultPort); err != nil {
			return "", nil, nil, usagef("--%s %q: %v", flag, spec.raw, err)
		}
	}
	for k := range spec.options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return model, hosts, keys, nil
}

// newPlayer builds the player for a role from its spec.
func newPlayer(flag string, spec playerSpec, role string, lex func() (*scripted.Lexicon, error), j judge.Judge) (game.Player, error) {
	switch spec.backend {
	case "builtin":
		skill := scripted.DefaultSkill
		for k, v := range spec.options {
			switch k {
			case "skill":
				var err error
				if skill, err = parseSkill(flag, spec.raw, v); err != nil {
					return nil, err
				}
			default:
				return nil, usagef("--%s %q: unknown option %q for builtin (known: skill)", flag, spec.raw, k)
			}
		}
		if spec.arg != "" {
			return nil, usagef("--%s %q: builtin takes no argument, only options such as builtin:skill=0.7", flag, spec.raw)
		}
		l, err := lex()
		if err != nil {
			return nil, fmt.Errorf("load built-in lexicon: %w", err)
		}
		if role == judge.Attacker {
			return scripted.NewAttacker(l, j, skill), nil
		}
		return scripted.NewDefender(l, skill), nil
	case "ollama":
		model, hosts, keys, err := modelConfig(flag, spec, "11434")
		if err != nil {
			return nil, err
		}
		// Log-probabilities are what training needs; logprobs=false opts out.
		cfg := ollama.Config{Model: model, Hosts: hosts, Logprobs: true}
		for _, k := range keys {
			if err := cfg.Set(k, spec.options[k]); err != nil {
				return nil, usagef("--%s %q: %v", flag, spec.raw, err)
			}
		}
		p, err := ollama.New(cfg)
		if err != nil {
			return nil, usagef("--%s %q: %v", flag, spec.raw, err)
		}
		return p, nil
	case "openai":
		model, hosts, keys, err := modelConfig(flag, spec, "")
		if err != nil {
			return nil, err
		}
		cfg := openai.Config{Model: model, Hosts: hosts, Logprobs: true}
		for _, k := range keys {
			if err := cfg.Set(k, spec.options[k]); err != nil {
				return nil, usagef("--%s %q: %v", flag, spec.raw, err)
			}
		}
		p, err := openai.New(cfg)
		if err != nil {
			return nil, usagef("--%s %q: %v", flag, spec.raw, err)
		}
		return p, nil
	case "native":
		return newNativePlayer(flag, spec)
	}
	return nil, usagef("--%s %q: unknown backend %q", flag, spec.raw, spec.backend)
}

// parseSkill reads a built-in player's skill option: a number from 0 to 1.
func parseSkill(flag, raw, v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= 0 && f <= 1) { // NaN fails too
		return 0, usagef("--%s %q: skill must be a number from 0 to 1, got %q", flag, raw, v)
	}
	return f, nil
}

// loadNativeCheckpoint loads the checkpoint at path, or the shipped default
// model when path is empty.
func loadNativeCheckpoint(path string) (*checkpoint.Checkpoint, error) {
	if path == "" {
		return defaultmodel.Load()
	}
	return checkpoint.Load(path)
}

// checkpointLabel names a checkpoint in messages: its path, or the shipped
// model's name for an empty path.
func checkpointLabel(path string) string {
	if path == "" {
		return defaultmodel.Name
	}
	return path
}

// usesDefaultModel reports whether a player spec plays with the shipped
// model: "native" with no checkpoint, options allowed.
func usesDefaultModel(raw string) bool {
	spec, err := parseSpec("", raw)
	return err == nil && spec.backend == "native" && spec.arg == ""
}

// playerName is how runs record a player: its spec, and for the shipped
// model also the model's name and digest, which the spec alone does not
// pin down.
func playerName(raw string) string {
	if usesDefaultModel(raw) {
		return raw + " (" + defaultmodel.Name + " " + defaultmodel.Digest() + ")"
	}
	if backend, path, _ := strings.Cut(raw, ":"); backend == "likelihood" && path != "" {
		// The checkpoint may be retrained in place between a run and its
		// resume: its digest tells the two apart.
		return raw + " (" + fileDigest(path) + ")"
	}
	return raw
}

// fileDigest is "sha256:HEX" of a file, or a note that it cannot be read.
func fileDigest(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unreadable: " + err.Error()
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil))
}

// newNativePlayer loads the checkpoint that a native[:CKPT] spec names (the
// shipped model without one) and
// starts from Ollama's sampling defaults, which the spec's options
// override.
func newNativePlayer(flag string, spec playerSpec) (game.Player, error) {
	opts := native.DefaultOptions()
	keys := make([]string, 0, len(spec.options))
	for k := range spec.options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := opts.Set(k, spec.options[k]); err != nil {
			return nil, usagef("--%s %q: %v", flag, spec.raw, err)
		}
	}
	ck, err := loadNativeCheckpoint(spec.arg)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	m, err := native.NewModel(ck.Vocab, ck.Params)
	if err != nil {
		return nil, fmt.Errorf("--%s %s: %w", flag, spec.arg, err)
	}
	p, err := native.NewPlayer(m, opts)
	if err != nil {
		return nil, usagef("--%s %q: %v", flag, spec.raw, err)
	}
	return p, nil
}

// lazyLexicon loads the built-in players' lexicon on first use, so that
// runs without built-in players never parse it.
func lazyLexicon() func() (*scripted.Lexicon, error) {
	return sync.OnceValues(scripted.LoadLexicon)
}

// loadJudgeAndTemplates resolves the judge and template flags that several
// commands share; errors name the flag.
func loadJudgeAndTemplates(judgeFlag, judgeName, templatesDir string) (judge.Judge, *taboo.Templates, error) {
	j, err := judge.ByName(judgeName)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("--%s: %w", judgeFlag, err)}
	}
	if templatesDir == "" {
		return j, nil, nil
	}
	tmpl, err := taboo.LoadTemplates(templatesDir)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("--templates: %w", err)}
	}
	return j, tmpl, nil
}
