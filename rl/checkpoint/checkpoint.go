// Package checkpoint saves and loads spag's native model checkpoints: the
// model configuration, the tokenizer, the float32 weights and, for a
// checkpoint written during training, the optimizer state, the step and
// the trainer's random-generator state. A file is written atomically
// (temporary file in the same directory, fsync, rename), so a crash never
// leaves a half-written checkpoint under the final name.
//
// File layout: the magic line "SPAGCKPT 1\n", a little-endian uint64 header
// length, the JSON [Header], then every tensor listed in the header as
// little-endian float32 in order, then a CRC-32 (IEEE) of everything before
// it. The package depends on rl/model and rl/tokenizer only.
//
// A model with a scalar head (a reward model's value head) has
// "score_head": true in the header's model configuration and two more
// tensors after output.weight, score_head.weight (dim) and score_head.bias
// (1), in the weights and in each optimizer moment alike. Files written
// before heads existed have neither and load as models without a head;
// a model without a head is written exactly as before.
package checkpoint

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
	"gorgonia.org/tensor"
)

const magic = "SPAGCKPT 1\n"

// Optimizer is the Adam state: first and second moments per parameter, in
// parameter order, and the number of updates applied.
type Optimizer struct {
	Step int
	M, V [][]float32
}

// Train is the trainer's resumable state. Config is the trainer's own
// configuration, compared on resume; the checkpoint package treats it as
// opaque JSON.
type Train struct {
	Step   int             `json:"step"`
	Total  int             `json:"total_steps"`
	Epoch  int             `json:"epoch"`
	Cursor int             `json:"cursor"` // position in Order
	Order  []int           `json:"order,omitempty"`
	RNG    []byte          `json:"rng,omitempty"` // math/rand/v2 PCG state
	Config json.RawMessage `json:"config,omitempty"`
	// Reference names the run's frozen reference model, so that resuming
	// the run uses the same one (nil when the objective uses none, and in
	// checkpoints written before it was recorded).
	Reference *Reference `json:"reference,omitempty"`
	// OldScores are the training examples' scores under the policy that
	// played them (the run's starting weights), which the zero-sum
	// objective's ratio compares with; a resumed run cannot recompute them
	// from its own, already trained, weights. Nil for other objectives.
	OldScores []float64 `json:"old_scores,omitempty"`
}

// Reference identifies a frozen reference model: the absolute path it was
// loaded from and the digest of its weights (see [WeightsDigest]).
type Reference struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
}

// WeightsDigest is "sha256:" and the hex digest of a model's configuration
// and float32 weights. It ignores the tokenizer and any optimizer state, so
// a checkpoint and its stripped copy have the same digest.
func WeightsDigest(p *model.Params) (string, error) {
	h := sha256.New()
	cfg, err := json.Marshal(p.Config)
	if err != nil {
		return "", fmt.Errorf("weights digest: %w", err)
	}
	h.Write(cfg)
	buf := make([]byte, 0, 1<<16)
	for _, t := range p.Tensors {
		d, ok := t.Data().([]float32)
		if !ok {
			return "", fmt.Errorf("weights digest: params are %v, want float32", t.Dtype())
		}
		writeFloats(h, buf, d)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Checkpoint is everything a file holds. Optimizer and Train are nil for a
// freshly initialised model.
type Checkpoint struct {
	Vocab     *tokenizer.Vocab
	Params    *model.Params
	Optimizer *Optimizer
	Train     *Train
	// Sampling are the model's own default decoding settings, as
	// key=value options of the native player (for example
	// "temperature=0.3"): a player of this checkpoint uses them unless
	// its spec or --option sets the key. spag's trainer keeps them, so a
	// policy trained from a model plays as the model does.
	Sampling []string
}

// Strip drops what only resuming a training run needs (the optimizer
// state, the data order and the random state) and keeps the weights, the
// tokenizer and the record of the training: what is left plays, exports
// and starts new training runs, at a third of the size.
func (c *Checkpoint) Strip() {
	c.Optimizer = nil
	if c.Train != nil {
		c.Train.Order, c.Train.RNG, c.Train.Cursor = nil, nil, 0
	}
}

// Header is the JSON part of a file.
type Header struct {
	Model     model.Config     `json:"model"`
	Vocab     *tokenizer.Vocab `json:"vocab"`
	Tensors   []TensorInfo     `json:"tensors"`
	Optimizer *struct {
		Step int `json:"step"`
	} `json:"optimizer,omitempty"`
	Train    *Train   `json:"train,omitempty"`
	Sampling []string `json:"sampling,omitempty"`
}

// TensorInfo names one stored tensor.
type TensorInfo struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// ErrFormat reports a file that is not a valid checkpoint.
var ErrFormat = errors.New("not a valid spag checkpoint")

// Save writes c to path atomically: a reader (or a crash) sees the old
// checkpoint or the whole new one.
func Save(path string, c *Checkpoint) error {
	if err := validate(c); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		if err := Write(w, c); err != nil {
			return fmt.Errorf("save checkpoint %s: %w", path, err)
		}
		return nil
	})
}

func validate(c *Checkpoint) error {
	if c.Params == nil || c.Vocab == nil {
		return errors.New("checkpoint needs params and a vocabulary")
	}
	if c.Params.Config.Vocab != c.Vocab.Size() {
		return fmt.Errorf("model vocabulary %d differs from the tokenizer's %d pieces", c.Params.Config.Vocab, c.Vocab.Size())
	}
	if c.Params.Dtype() != tensor.Float32 {
		return fmt.Errorf("params are %v, checkpoints hold float32", c.Params.Dtype())
	}
	if o := c.Optimizer; o != nil && (len(o.M) != len(c.Params.Tensors) || len(o.V) != len(c.Params.Tensors)) {
		return fmt.Errorf("optimizer state has %d/%d moments for %d tensors", len(o.M), len(o.V), len(c.Params.Tensors))
	}
	return nil
}

// writeFloats writes d to w as little-endian float32, in chunks of buf's
// capacity; it ignores write errors (both callers' writers keep or never
// have them).
func writeFloats(w io.Writer, buf []byte, d []float32) {
	for len(d) > 0 {
		n := min(len(d), cap(buf)/4)
		buf = buf[:0]
		for _, v := range d[:n] {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		w.Write(buf)
		d = d[n:]
	}
}

// Write writes c in the file format to w (not atomically; see [Save]).
func Write(w io.Writer, c *Checkpoint) error {
	if err := validate(c); err != nil {
		return err
	}
	h := Header{Model: c.Params.Config, Vocab: c.Vocab, Train: c.Train, Sampling: c.Sampling}
	specs := c.Params.Config.ParamSpecs()
	for _, s := range specs {
		h.Tensors = append(h.Tensors, TensorInfo{Name: s.Name, Shape: s.Shape})
	}
	if c.Optimizer != nil {
		h.Optimizer = &struct {
			Step int `json:"step"`
		}{c.Optimizer.Step}
		for _, s := range specs {
			h.Tensors = append(h.Tensors, TensorInfo{Name: "adam.m." + s.Name, Shape: s.Shape})
		}
		for _, s := range specs {
			h.Tensors = append(h.Tensors, TensorInfo{Name: "adam.v." + s.Name, Shape: s.Shape})
		}
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode header: %w", err)
	}
	crc := crc32.NewIEEE()
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<20)
	bw.WriteString(magic)
	binary.Write(bw, binary.LittleEndian, uint64(len(hdr)))
	bw.Write(hdr)
	buf := make([]byte, 0, 1<<16)
	// bufio keeps the first write error; Flush reports it.
	writeF32 := func(d []float32) { writeFloats(bw, buf, d) }
	for _, t := range c.Params.Tensors {
		writeF32(t.Data().([]float32))
	}
	if o := c.Optimizer; o != nil {
		for _, m := range o.M {
			writeF32(m)
		}
		for _, v := range o.V {
			writeF32(v)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write tensors: %w", err)
	}
	if err := binary.Write(w, binary.LittleEndian, crc.Sum32()); err != nil {
		return fmt.Errorf("write checksum: %w", err)
	}
	return nil
}

// Load reads the checkpoint at path.
func Load(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load checkpoint: %w", err)
	}
	c, err := Read(data)
	if err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", path, err)
	}
	return c, nil
}

// ReadHeader reads the header of the checkpoint at path (for `spag model
// info`) and verifies the whole file as [Load] does, checksum and size,
// without keeping the tensors: it streams the file through the checksum in
// constant memory. A truncated or damaged file is an error wrapping
// [ErrFormat], never a plausible description.
func ReadHeader(path string) (*Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint header: %w", err)
	}
	defer f.Close()
	h, err := verify(f)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint header %s: %w", path, err)
	}
	return h, nil
}

// verify reads a whole checkpoint from r, returning its header after
// checking the body's length against the tensors it lists and the
// trailing CRC-32 against the body.
func verify(r io.Reader) (*Header, error) {
	crc := crc32.NewIEEE()
	br := bufio.NewReaderSize(r, 1<<20)
	h, err := readHeader(io.TeeReader(br, crc))
	if err != nil {
		return nil, err
	}
	var data int64
	for _, t := range h.Tensors {
		n := int64(4)
		for _, d := range t.Shape {
			n *= int64(d)
		}
		data += n
	}
	got, err := io.Copy(crc, io.LimitReader(br, data))
	if err != nil {
		return nil, err
	}
	if got < data {
		return nil, fmt.Errorf("%w: truncated: %d of the %d tensor bytes the header lists", ErrFormat, got, data)
	}
	var sum uint32
	if err := binary.Read(br, binary.LittleEndian, &sum); err != nil {
		return nil, fmt.Errorf("%w: truncated: no checksum after the tensors", ErrFormat)
	}
	if crc.Sum32() != sum {
		return nil, fmt.Errorf("%w: checksum mismatch (file truncated or corrupted)", ErrFormat)
	}
	if n, _ := io.Copy(io.Discard, br); n > 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrFormat, n)
	}
	return h, nil
}

func readHeader(r io.Reader) (*Header, error) {
	m := make([]byte, len(magic))
	if _, err := io.ReadFull(r, m); err != nil || string(m) != magic {
		return nil, fmt.Errorf("%w: bad magic (is this a spag checkpoint written by `spag model init` or `spag train`?)", ErrFormat)
	}
	var n uint64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || n > 1<<30 {
		return nil, fmt.Errorf("%w: bad header length", ErrFormat)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("%w: truncated header", ErrFormat)
	}
	var h Header
	if err := json.Unmarshal(hdr, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	if err := h.Model.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if h.Vocab == nil {
		return nil, fmt.Errorf("%w: no vocabulary", ErrFormat)
	}
	return &h, nil
}

// Read decodes a whole checkpoint file's bytes.
func Read(data []byte) (*Checkpoint, error) {
	if len(data) < len(magic)+12 {
		return nil, fmt.Errorf("%w: file of %d bytes is too short", ErrFormat, len(data))
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch (file truncated or corrupted)", ErrFormat)
	}
	r := bytes.NewReader(body)
	h, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	specs := h.Model.ParamSpecs()
	want := len(specs)
	if h.Optimizer != nil {
		want *= 3
	}
	if len(h.Tensors) != want {
		return nil, fmt.Errorf("%w: %d tensors listed, the model needs %d", ErrFormat, len(h.Tensors), want)
	}
	readF32 := func(i int) ([]float32, error) {
		info := h.Tensors[i]
		s := specs[i%len(specs)]
		if fmt.Sprint(info.Shape) != fmt.Sprint(s.Shape) {
			return nil, fmt.Errorf("%w: tensor %s has shape %v, model needs %v", ErrFormat, info.Name, info.Shape, s.Shape)
		}
		n := 1
		for _, d := range s.Shape {
			n *= d
		}
		raw := make([]byte, 4*n)
		if _, err := io.ReadFull(r, raw); err != nil {
			return nil, fmt.Errorf("%w: tensor %s truncated", ErrFormat, info.Name)
		}
		out := make([]float32, n)
		for j := range out {
			out[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		}
		return out, nil
	}
	c := &Checkpoint{Vocab: h.Vocab, Params: &model.Params{Config: h.Model}, Train: h.Train, Sampling: h.Sampling}
	for i, s := range specs {
		d, err := readF32(i)
		if err != nil {
			return nil, err
		}
		c.Params.Tensors = append(c.Params.Tensors, tensor.New(tensor.WithShape(s.Shape...), tensor.WithBacking(d)))
	}
	if h.Optimizer != nil {
		c.Optimizer = &Optimizer{Step: h.Optimizer.Step}
		for i := range specs {
			d, err := readF32(len(specs) + i)
			if err != nil {
				return nil, err
			}
			c.Optimizer.M = append(c.Optimizer.M, d)
		}
		for i := range specs {
			d, err := readF32(2*len(specs) + i)
			if err != nil {
				return nil, err
			}
			c.Optimizer.V = append(c.Optimizer.V, d)
		}
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrFormat, r.Len())
	}
	if err := validate(c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return c, nil
}
