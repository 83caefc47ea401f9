package loop

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/selfplay"
)

// File is a file a loop's configuration names: the setting that names it
// (as a command's flag), its path, and how to check its content (nil:
// that it exists is enough).
type File struct {
	Setting string
	Path    *string
	Check   func(path string) error
}

// PrepareFiles readies the paths of a new loop's configuration before the
// loop is recorded: out and every file named (an empty path names none)
// are made absolute, so that a loop resumed from another directory finds
// them, and each file must exist and pass its check, so that a damaged
// file is refused now rather than rounds later. Errors are
// [*selfplay.SettingError]s naming the setting ("out" for out).
func PrepareFiles(out *string, files ...File) error {
	var err error
	if *out, err = filepath.Abs(*out); err != nil {
		return &selfplay.SettingError{Setting: "out", Err: err}
	}
	for _, f := range files {
		if *f.Path == "" {
			continue
		}
		if *f.Path, err = filepath.Abs(*f.Path); err == nil {
			_, err = os.Stat(*f.Path)
		}
		if err == nil && f.Check != nil {
			err = f.Check(*f.Path)
		}
		if err != nil {
			return &selfplay.SettingError{Setting: f.Setting, Err: err}
		}
	}
	return nil
}

// MakeOut makes a new loop's directory, out, once its configuration is
// checked, but not its parents: a typo must not leave directories
// behind. An error is a [*selfplay.SettingError] naming out.
func MakeOut(out string) error {
	if err := atomicfile.Mkdir(out); err != nil {
		return &selfplay.SettingError{Setting: "out", Err: err}
	}
	return nil
}

// CheckTraining reports a training configuration of a loop's rounds that
// cannot run, before the loop is recorded: a bad number found only when
// the first training starts would cost the self-play before it and be
// stored with the loop, so that resuming could never help. Errors about a
// setting a command's flag sets are [*selfplay.SettingError]s naming the
// flag, prefix first ("rm-" gives rm-lr; apo-mu has none); steps may still be 0 when the
// loop derives them from epochs.
func CheckTraining(cfg train.Config, prefix string) error {
	bad := func(setting, want string, got any) error {
		return &selfplay.SettingError{Setting: prefix + setting, Err: fmt.Errorf("must be %s (got %v)", want, got)}
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case !(cfg.LR > 0) || !finite(cfg.LR):
		return bad("lr", "a positive number", cfg.LR)
	case cfg.BatchSize < 1:
		return bad("batch-size", "at least 1", cfg.BatchSize)
	case cfg.Steps < 0:
		return bad("steps", "at least 1", cfg.Steps)
	}
	if cfg.Objective == train.ObjectiveSPAG {
		switch p := cfg.SPAG; {
		case !(p.Beta >= 0) || !finite(p.Beta):
			return bad("beta", "0 or more", p.Beta)
		case !(p.Eps > 0) || !finite(p.Eps):
			return bad("clip-range", "a positive number", p.Eps)
		case !(p.Alpha >= 0) || !finite(p.Alpha):
			return bad("sft-coeff", "0 or more", p.Alpha)
		}
	}
	if p := cfg.APO; p != nil && (!(p.Mu >= 0) || !finite(p.Mu)) {
		// One flag of the loop sets it, not prefixed: only the reward
		// model has it.
		return &selfplay.SettingError{Setting: "apo-mu", Err: fmt.Errorf("must be 0 or more (got %v)", p.Mu)}
	}
	// The rest, which no loop flag sets, as the trainer will check it;
	// the model's context is not known yet, and buckets are checked
	// against it when training starts.
	cfg.Steps = max(cfg.Steps, 1)
	return cfg.Validate(model.Config{Context: math.MaxInt})
}

// CheckpointWhole verifies the native checkpoint at path whole, for a
// [File]'s check.
func CheckpointWhole(path string) error {
	_, err := checkpoint.ReadHeader(path)
	return err
}

// CopyShipped writes the shipped model into a new loop's directory out,
// once its configuration is checked, so that a trainer can start from it
// as from any checkpoint; it returns the checkpoint's path.
func CopyShipped(out string) (string, error) {
	path := filepath.Join(out, defaultmodel.Name+".ckpt")
	err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := defaultmodel.WriteTo(w)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("copy the shipped model: %w", err)
	}
	return path, nil
}
