// Package defaultmodel holds the native model that spag ships: the small
// preset trained by imitation of the built-in players' winning turns in
// the compact prompt style (SPAG's imitation stage, at small scale), with
// stages on one-clue games of the built-in players that teach it both
// dictionaries of the game: which word a clue means (the defenders' right
// guesses) and which clues fit a word (the attacker's clues that led to
// them). It is what `spag selfplay` plays with when no players are named, what the
// spec "native" without a checkpoint loads, and what `spag model export`
// writes without --ckpt.
//
// scripts/build-default-model.sh reproduces model.ckpt from scratch with
// the exact commands and seeds; docs/native.md describes how it plays.
package defaultmodel

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/spag-go/spag/rl/checkpoint"
)

// Name identifies the model in run records, `spag stats` and exports.
const Name = "spag-taboo-small-v3"

// Style is the prompt style the model was trained on (taboo.StyleCompact);
// other styles give it prompts it has never seen.
const Style = "compact"

// checkpointFile is model.ckpt, a weights-only checkpoint (spag model strip).
// It is read, never written.
//
//go:embed model.ckpt
var checkpointFile []byte

// Load decodes the shipped checkpoint. Each call returns a fresh copy that
// the caller may train or modify.
func Load() (*checkpoint.Checkpoint, error) {
	c, err := checkpoint.Read(checkpointFile)
	if err != nil {
		return nil, fmt.Errorf("default model %s: %w", Name, err)
	}
	return c, nil
}

// LoadPath loads the checkpoint at path, or the shipped one when path is
// empty (as commands read --ckpt).
func LoadPath(path string) (*checkpoint.Checkpoint, error) {
	if path == "" {
		return Load()
	}
	return checkpoint.Load(path)
}

// Label names the checkpoint [LoadPath] loads from path, for messages: the
// path, or [Name] for the shipped one.
func Label(path string) string {
	if path == "" {
		return Name
	}
	return path
}

// Digest is "sha256:" and the hex digest of the checkpoint file, which
// names this exact set of weights.
func Digest() string { return digest() }

// digest hashes the 17 MB file once, on first use: runs name the model
// several times while they start.
var digest = sync.OnceValue(func() string {
	sum := sha256.Sum256(checkpointFile)
	return "sha256:" + hex.EncodeToString(sum[:])
})

// Size is the checkpoint file's size in bytes.
func Size() int { return len(checkpointFile) }

// WriteTo writes the shipped checkpoint file to w, so that it can start a
// training run (spag iterate's default initial policy).
func WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(checkpointFile)
	return int64(n), err
}
