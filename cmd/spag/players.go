package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players/scripted"
)

// playerSpec is a parsed --attacker/--defender value:
// BACKEND[:ARG][,key=value...], for example "builtin", "builtin:skill=0.8".
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
}

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

// newPlayer builds the player for a role from its spec.
func newPlayer(flag string, spec playerSpec, role string, lex func() (*scripted.Lexicon, error), j judge.Judge) (game.Player, error) {
	switch spec.backend {
	case "builtin":
		skill := scripted.DefaultSkill
		for k, v := range spec.options {
			switch k {
			case "skill":
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || f < 0 || f > 1 {
					return nil, usagef("--%s %q: skill must be a number from 0 to 1, got %q", flag, spec.raw, v)
				}
				skill = f
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
	}
	return nil, usagef("--%s %q: unknown backend %q", flag, spec.raw, spec.backend)
}
