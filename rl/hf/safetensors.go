package hf

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"sort"
)

// ErrSafetensors reports a file that is not valid safetensors.
var ErrSafetensors = errors.New("not a valid safetensors file")

// maxHeader bounds the JSON header, as the reference implementation does
// (100 MB), so that a corrupt length cannot make a reader allocate the
// whole address space.
const maxHeader = 100 << 20

// Tensor is one named float32 tensor, row-major, in PyTorch's (out, in)
// layout for matrices.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// TensorInfo is one entry of a safetensors header: the element type, the
// shape and the byte range in the data section (after the header).
type TensorInfo struct {
	Name  string
	DType string
	Shape []int
	Begin uint64
	End   uint64
}

// headerEntry is the JSON form of one tensor in the header.
type headerEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// dtypeSize is the element size of the dtypes the format defines.
var dtypeSize = map[string]uint64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

// WriteSafetensors writes tensors as F32 in the safetensors format: an
// 8-byte little-endian header length, the JSON header (padded with spaces
// to a multiple of 8, so the data is aligned) and the raw little-endian
// data, in the order given. meta becomes the header's "__metadata__".
func WriteSafetensors(w io.Writer, ts []Tensor, meta map[string]string) error {
	header := make(map[string]any, len(ts)+1)
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	off := uint64(0)
	for _, t := range ts {
		n := 1
		for _, d := range t.Shape {
			n *= d
		}
		if n != len(t.Data) {
			return fmt.Errorf("write safetensors: tensor %s has shape %v but %d elements", t.Name, t.Shape, len(t.Data))
		}
		if _, dup := header[t.Name]; dup {
			return fmt.Errorf("write safetensors: tensor %s twice", t.Name)
		}
		end := off + 4*uint64(n)
		header[t.Name] = headerEntry{DType: "F32", Shape: append([]int{}, t.Shape...), DataOffsets: []uint64{off, end}}
		off = end
	}
	js, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("write safetensors: %w", err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(len(js)))
	bw.Write(b[:])
	bw.Write(js)
	for _, t := range ts {
		for _, f := range t.Data {
			binary.LittleEndian.PutUint32(b[:4], math.Float32bits(f))
			bw.Write(b[:4])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write safetensors: %w", err)
	}
	return nil
}

// ParseHeader checks a safetensors JSON header against a data section of
// dataSize bytes and returns its tensors ordered by offset, and its
// metadata. Every tensor must have a known dtype, a non-negative shape
// whose size matches its byte range, and ranges must cover the data
// section exactly, without overlaps or holes (the format's rule).
func ParseHeader(header []byte, dataSize uint64) ([]TensorInfo, map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, nil, fmt.Errorf("%w: header: %v", ErrSafetensors, err)
	}
	var meta map[string]string
	var infos []TensorInfo
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("%w: __metadata__ must map strings to strings: %v", ErrSafetensors, err)
			}
			continue
		}
		var e headerEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, nil, fmt.Errorf("%w: tensor %q: %v", ErrSafetensors, name, err)
		}
		size, ok := dtypeSize[e.DType]
		if !ok {
			return nil, nil, fmt.Errorf("%w: tensor %q: unknown dtype %q", ErrSafetensors, name, e.DType)
		}
		if len(e.DataOffsets) != 2 || e.DataOffsets[0] > e.DataOffsets[1] {
			return nil, nil, fmt.Errorf("%w: tensor %q: data_offsets %v must be [begin, end]", ErrSafetensors, name, e.DataOffsets)
		}
		n := size
		for _, d := range e.Shape {
			if d < 0 {
				return nil, nil, fmt.Errorf("%w: tensor %q: negative dimension in shape %v", ErrSafetensors, name, e.Shape)
			}
			hi, lo := bits.Mul64(n, uint64(d))
			if hi != 0 {
				return nil, nil, fmt.Errorf("%w: tensor %q: shape %v overflows", ErrSafetensors, name, e.Shape)
			}
			n = lo
		}
		if e.DataOffsets[1]-e.DataOffsets[0] != n {
			return nil, nil, fmt.Errorf("%w: tensor %q: %s shape %v needs %d bytes, data_offsets %v hold %d", ErrSafetensors, name, e.DType, e.Shape, n, e.DataOffsets, e.DataOffsets[1]-e.DataOffsets[0])
		}
		infos = append(infos, TensorInfo{Name: name, DType: e.DType, Shape: e.Shape, Begin: e.DataOffsets[0], End: e.DataOffsets[1]})
	}
	sort.Slice(infos, func(i, j int) bool {
		if infos[i].Begin != infos[j].Begin {
			return infos[i].Begin < infos[j].Begin
		}
		return infos[i].End < infos[j].End
	})
	at := uint64(0)
	for _, t := range infos {
		if t.Begin != at {
			return nil, nil, fmt.Errorf("%w: tensor %q starts at byte %d of the data, want %d (no holes or overlaps)", ErrSafetensors, t.Name, t.Begin, at)
		}
		at = t.End
	}
	if at != dataSize {
		return nil, nil, fmt.Errorf("%w: tensors cover %d bytes of data, the file holds %d", ErrSafetensors, at, dataSize)
	}
	return infos, meta, nil
}

// ReadSafetensors reads every tensor of a safetensors file as float32.
// F32 and BF16 (widened exactly) are read; other dtypes are refused, with
// the tensor's name.
func ReadSafetensors(path string) (map[string]Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) < 8 {
		return nil, fmt.Errorf("%s: %w: %d bytes, shorter than the header length", path, ErrSafetensors, len(data))
	}
	hlen := binary.LittleEndian.Uint64(data)
	if hlen > maxHeader || hlen > uint64(len(data)-8) {
		return nil, fmt.Errorf("%s: %w: header length %d does not fit the file's %d bytes", path, ErrSafetensors, hlen, len(data))
	}
	body := data[8+hlen:]
	infos, _, err := ParseHeader(data[8:8+hlen], uint64(len(body)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make(map[string]Tensor, len(infos))
	for _, t := range infos {
		b := body[t.Begin:t.End]
		var f []float32
		switch t.DType {
		case "F32":
			f = make([]float32, len(b)/4)
			for i := range f {
				f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		case "BF16":
			f = make([]float32, len(b)/2)
			for i := range f {
				f[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
			}
		default:
			return nil, fmt.Errorf("%s: tensor %s is %s: spag reads F32 and BF16 weights (convert the model with torch_dtype float32)", path, t.Name, t.DType)
		}
		out[t.Name] = Tensor{Name: t.Name, Shape: t.Shape, Data: f}
	}
	return out, nil
}
