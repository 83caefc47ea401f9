package playrun

import (
	"fmt"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/selfplay"
)

// ResolvePlayers returns the player specs given to flags (flags[i] gave
// specs[i]) as a new run stores them (see players.ResolveFlag: a file by
// its absolute path, so that resuming from another directory finds the
// same one). The first bad spec's error names its flag.
func ResolvePlayers(flags []string, specs ...string) ([]string, error) {
	if len(flags) != len(specs) {
		panic(fmt.Sprintf("playrun: ResolvePlayers of %d flags and %d specs", len(flags), len(specs)))
	}
	out := make([]string, len(specs))
	for i, spec := range specs {
		var err error
		if out[i], err = players.ResolveFlag(flags[i], spec); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Subjects are what a game's runs draw their episodes from (Taboo's
// target words, APO's queries), named by the value of one flag that the
// run's configuration records, so that a resumed run loads them again.
type Subjects[S any] struct {
	// Flag is the flag that names them, without "--".
	Flag string
	// Load returns the subjects a value of the flag names.
	Load func(name string) ([]S, error)
}

// New loads the subjects that name, the flag's value, names; an error is
// a usage error naming the flag.
func (s Subjects[S]) New(name string) ([]S, error) {
	items, err := s.Load(name)
	if err != nil {
		return nil, cmdutil.UsageError{Err: fmt.Errorf("--%s: %w", s.Flag, err)}
	}
	return items, nil
}

// Stored decodes the configuration that run recorded into cfg (see
// selfplay.StoredConfig), then loads the subjects that *name, a field of
// cfg, names; an error names the run and the flag.
func (s Subjects[S]) Stored(run *episodes.Run, cfg any, name *string) ([]S, error) {
	if err := selfplay.StoredConfig(run, cfg); err != nil {
		return nil, err
	}
	items, err := s.Load(*name)
	if err != nil {
		return nil, fmt.Errorf("run %s: its --%s: %w", run.ID, s.Flag, err)
	}
	return items, nil
}
