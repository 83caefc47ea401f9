package selfplay

import (
	"encoding/json"
	"fmt"

	"github.com/spag-go/spag/episodes"
)

// A SettingError is a setting of a run's configuration that cannot be
// used: what the user chose, so that a command reports it as a usage
// error, naming its flag after Setting.
type SettingError struct {
	// Setting is the setting's name in the stored configuration (commands
	// name their flags after it); empty when the settings together cannot
	// make the game.
	Setting string
	Err     error
}

func (e *SettingError) Error() string {
	if e.Setting == "" {
		return e.Err.Error()
	}
	return e.Setting + ": " + e.Err.Error()
}

func (e *SettingError) Unwrap() error { return e.Err }

// StoredConfig decodes into v the configuration that the command which
// made run stored with it ([Plan.Config]).
func StoredConfig(run *episodes.Run, v any) error {
	if err := json.Unmarshal(run.Config, v); err != nil {
		return fmt.Errorf("run %s: stored configuration unreadable: %w", run.ID, err)
	}
	return nil
}

// Draw returns the subjects of a run of games episodes drawn from items
// (each played repeats times in a row, see [Shuffle]) and their digest,
// which a run stores in its configuration. A new run (run nil) draws them;
// a resumed run draws them again and must find the digest it stored, so
// that an edited word list cannot change the subjects of a run half
// played. A run of an earlier build that stored its subjects one by one
// plays those.
func Draw(items []string, games, repeats int, seed uint64, run *episodes.Run, digest string) (Subjects, string, error) {
	if run != nil && len(run.Subjects) > 0 {
		return List(run.Subjects), digest, nil
	}
	s, err := Shuffle(items, games, repeats, seed)
	if err != nil {
		return nil, "", err
	}
	if run != nil && digest != s.Digest() {
		return nil, "", fmt.Errorf("run %s: its words or queries changed since it started (subjects %s, now %s); restore them or start a new run", run.ID, digest, s.Digest())
	}
	return s, s.Digest(), nil
}
