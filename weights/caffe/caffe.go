package caffe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/stylelab/stylelab/vgg"
	"google.golang.org/protobuf/encoding/protowire"
)

// Load reads a Caffe VGG-19 .caffemodel (binary NetParameter) with
// layers in the V2 (`layer`), V1 (`layers`) or V0 layout: the original
// VGG_ILSVRC_19_layers.caffemodel or Gatys et al.'s vgg_normalised.caffemodel.
// Layers are matched by name (conv1_1 ... conv5_4 and, when present, fc6,
// fc7, fc8); others are ignored. Caffe reads BGR 0..255 minus the mean:
// Preprocess is vgg.CaffePreprocessing and conv1_1 is permuted to take RGB.
// Source is path; SHA256 is left to weights.Load.
func Load(path string) (*vgg.Weights, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("caffe: reading Caffe model: %w", err)
	}
	layers, err := caffeLayers(buf)
	if err != nil {
		return nil, fmt.Errorf("caffe: %s: %w (truncated or not a .caffemodel: re-download it)", path, err)
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("caffe: %s: no layers: not a Caffe NetParameter (.caffemodel)", path)
	}
	byName := map[string]*caffeLayer{}
	for i := range layers {
		l := &layers[i]
		if prev := byName[l.name]; prev == nil || len(prev.blobs) == 0 {
			byName[l.name] = l
		}
	}
	blobs := func(name string, shapes ...[]int64) ([]caffeBlob, error) {
		l := byName[name]
		if len(l.blobs) != len(shapes) {
			return nil, fmt.Errorf("caffe: %s: layer %s has %d blobs, want %d (weights and bias)", path, name, len(l.blobs), len(shapes))
		}
		out := make([]caffeBlob, len(shapes))
		for i, raw := range l.blobs {
			b, err := decodeBlob(raw)
			if err != nil {
				return nil, fmt.Errorf("caffe: %s: layer %s blob %d: %w", path, name, i, err)
			}
			if !caffeShapeIs(b.shape, shapes[i]) || int64(len(b.data)) != product(shapes[i]) {
				return nil, fmt.Errorf("caffe: %s: layer %s blob %d has shape %v and %d values, want shape %v (VGG-19)",
					path, name, i, b.shape, len(b.data), shapes[i])
			}
			out[i] = b
		}
		return out, nil
	}
	need := vgg.ConvNames
	if byName["fc6"] != nil {
		need = append(append([]string(nil), vgg.ConvNames...), "fc6", "fc7", "fc8")
	}
	for _, name := range need { // report a missing layer before decoding anything
		if byName[name] == nil {
			return nil, fmt.Errorf("caffe: %s: no layer named %s; a VGG-19 .caffemodel has conv1_1 ... conv5_4 (and optionally fc6, fc7, fc8), this file has %s",
				path, name, layerList(byName))
		}
	}
	w := &vgg.Weights{Source: path, Preprocess: vgg.CaffePreprocessing}
	for i, name := range vgg.ConvNames {
		cin, cout := vgg.ConvChannels(i)
		b, err := blobs(name, []int64{int64(cout), int64(cin), 3, 3}, []int64{int64(cout)})
		if err != nil {
			return nil, err
		}
		kernel := b[0].data
		if i == 0 {
			kernel = swapBGR(kernel, cout)
		}
		w.Conv = append(w.Conv, vgg.ConvParams{Name: name, Cin: cin, Cout: cout, Kernel: kernel, Bias: b[1].data})
	}
	if byName["fc6"] != nil {
		for _, fc := range []vgg.DenseParams{{Name: "fc6", In: 512 * 7 * 7, Out: 4096}, {Name: "fc7", In: 4096, Out: 4096}, {Name: "fc8", In: 4096, Out: 1000}} {
			b, err := blobs(fc.Name, []int64{int64(fc.Out), int64(fc.In)}, []int64{int64(fc.Out)})
			if err != nil {
				return nil, err
			}
			fc.Weight, fc.Bias = b[0].data, b[1].data
			w.FC = append(w.FC, fc)
		}
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return w, nil
}

// caffeLayer is a named layer and its undecoded BlobProto messages.
type caffeLayer struct {
	name  string
	blobs [][]byte
}

// caffeBlob is a decoded BlobProto.
type caffeBlob struct {
	shape []int64
	data  []float32
}

// swapBGR reverses the input-channel axis of a [cout][3][3][3] kernel.
func swapBGR(k []float32, cout int) []float32 {
	out := make([]float32, len(k))
	for o := 0; o < cout; o++ {
		for c := 0; c < 3; c++ {
			copy(out[(o*3+c)*9:(o*3+c+1)*9], k[(o*3+2-c)*9:(o*3+3-c)*9])
		}
	}
	return out
}

func layerList(byName map[string]*caffeLayer) string {
	var names []string
	for n, l := range byName {
		if len(l.blobs) > 0 {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "no layer with weights"
	}
	sort.Strings(names)
	return "layers with weights " + strings.Join(names, ", ")
}

func product(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}

// caffeShapeIs compares a blob's shape to want, ignoring the leading 1s of
// the legacy 4-D num/channels/height/width form.
func caffeShapeIs(shape, want []int64) bool {
	for len(shape) > len(want) && shape[0] == 1 {
		shape = shape[1:]
	}
	return slices.Equal(shape, want)
}

// caffeLayers lists NetParameter's layers: field 100 (V2) and field 2 (V1).
func caffeLayers(buf []byte) ([]caffeLayer, error) {
	var out []caffeLayer
	err := walkFields(buf, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType || (num != 100 && num != 2) {
			return nil
		}
		var l caffeLayer
		var err error
		if num == 100 {
			l, err = parseLayer(v, 1, 7, nil)
		} else {
			l, err = parseLayer(v, 4, 6, func(v0 []byte) (caffeLayer, error) { return parseLayer(v0, 1, 50, nil) })
		}
		if err != nil {
			if l.name != "" {
				return fmt.Errorf("layer %d (%s): %w", len(out)+1, l.name, err)
			}
			return fmt.Errorf("layer %d: %w", len(out)+1, err)
		}
		out = append(out, l)
		return nil
	})
	return out, err
}

// parseLayer reads a layer message's name and blobs by field number; v0
// decodes V1LayerParameter's embedded V0 layer (field 1) when given.
func parseLayer(buf []byte, nameField, blobField protowire.Number, v0 func([]byte) (caffeLayer, error)) (caffeLayer, error) {
	var l caffeLayer
	err := walkFields(buf, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch {
		case num == nameField:
			l.name = string(v)
		case num == blobField:
			l.blobs = append(l.blobs, v)
		case num == 1 && v0 != nil:
			old, err := v0(v)
			if err != nil {
				return err
			}
			if l.name == "" {
				l.name = old.name
			}
			l.blobs = append(l.blobs, old.blobs...)
		}
		return nil
	})
	return l, err
}

// decodeBlob decodes a BlobProto's shape (or legacy 4-D dims) and data.
func decodeBlob(buf []byte) (caffeBlob, error) {
	var b caffeBlob
	var legacy [4]int64
	var haveShape bool
	err := walkFields(buf, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num >= 1 && num <= 4 && typ == protowire.VarintType:
			x, _ := protowire.ConsumeVarint(v)
			legacy[num-1] = int64(x)
		case num == 7 && typ == protowire.BytesType:
			haveShape = true
			return walkFields(v, func(n protowire.Number, t protowire.Type, d []byte) error {
				if n != 1 {
					return nil
				}
				dims, err := varints(t, d)
				b.shape = append(b.shape, dims...)
				return err
			})
		case num == 5 || num == 8:
			vals, err := floats(typ, v, num == 8)
			if err != nil {
				return err
			}
			if b.data == nil {
				b.data = vals
			} else {
				b.data = append(b.data, vals...)
			}
		}
		return nil
	})
	if !haveShape {
		b.shape = legacy[:]
	}
	return b, err
}

// walkFields calls f with each field of a protobuf message; v is the raw
// field value (the payload for bytes fields, the encoding otherwise). A
// length is checked against the bytes that remain before it is used, and
// values are slices of buf: nothing is allocated for what a length claims.
func walkFields(buf []byte, f func(protowire.Number, protowire.Type, []byte) error) error {
	for off := 0; off < len(buf); {
		num, typ, n := protowire.ConsumeTag(buf[off:])
		if n < 0 {
			return fmt.Errorf("bad protobuf tag at byte %d: %w", off, protowire.ParseError(n))
		}
		if typ == protowire.BytesType {
			length, k := protowire.ConsumeVarint(buf[off+n:])
			if rest := uint64(len(buf) - off - n - max(k, 0)); k >= 0 && length > rest {
				return fmt.Errorf("protobuf field %d at byte %d claims %d bytes, %d remain", num, off, length, rest)
			}
		}
		m := protowire.ConsumeFieldValue(num, typ, buf[off+n:])
		if m < 0 {
			return fmt.Errorf("bad protobuf field %d at byte %d: %w", num, off, protowire.ParseError(m))
		}
		v := buf[off+n : off+n+m]
		if typ == protowire.BytesType {
			v, _ = protowire.ConsumeBytes(v)
		}
		if err := f(num, typ, v); err != nil {
			return err
		}
		off += n + m
	}
	return nil
}

// varints decodes a packed or single varint field.
func varints(typ protowire.Type, v []byte) ([]int64, error) {
	if typ == protowire.VarintType {
		x, _ := protowire.ConsumeVarint(v)
		return []int64{int64(x)}, nil
	}
	if typ != protowire.BytesType {
		return nil, errors.New("blob shape with a non-integer dimension")
	}
	var out []int64
	for len(v) > 0 {
		x, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return nil, fmt.Errorf("blob shape: %w", protowire.ParseError(n))
		}
		out, v = append(out, int64(x)), v[n:]
	}
	return out, nil
}

// floats decodes a packed or single float (or double) field as float32.
func floats(typ protowire.Type, v []byte, double bool) ([]float32, error) {
	size := 4
	if double {
		size = 8
	}
	switch {
	case typ == protowire.BytesType && len(v)%size == 0:
	case typ == protowire.Fixed32Type && !double, typ == protowire.Fixed64Type && double:
	default:
		return nil, fmt.Errorf("blob data field of wire type %d and %d bytes is not a list of %d-byte floats", typ, len(v), size)
	}
	out := make([]float32, len(v)/size)
	for i := range out {
		if double {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(v[8*i:])))
		} else {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(v[4*i:]))
		}
	}
	return out, nil
}
