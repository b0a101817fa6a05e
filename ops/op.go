package ops

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Spec describes an operation for Op.
type Spec struct {
	Name string
	// In lists the inputs' kinds: true for a (C,H,W) tensor, false for a scalar.
	In []bool
	// Scalar says the output is a float32 scalar instead of a tensor.
	Scalar bool
	// Shape gives the output shape from the input shapes (tensor outputs only).
	Shape func(in []tensor.Shape) (tensor.Shape, error)
	// Do computes the output from the inputs' data. For a tensor output, out
	// is a buffer of the output's size (reused between calls); for a scalar
	// output, out is nil and Do returns the value.
	Do func(out []float32, outShape tensor.Shape, in []G.Value) (float32, error)
	// Grad builds the nodes of the gradients with respect to the inputs
	// (nil for inputs that are not differentiated). Optional.
	Grad func(in G.Nodes, output, grad *G.Node) (G.Nodes, error)
	// Backward says the op is part of a backward pass: it runs after every
	// forward op, and reads its inputs' values.
	Backward bool
	// InPlace, optional for a backward op whose output has the shape of its
	// first input, computes what Do does into the first input's memory,
	// which it may read as it goes. The op uses it instead of Do when no
	// other backward op reads that input, saving the output's memory: the
	// input's value is then lost after the run.
	InPlace func(inout []float32, in []G.Value) error
}

// Op adapts a Spec to gorgonia's Op and SDOp interfaces.
type Op struct {
	spec Spec
	out  *tensor.Dense
	// ws, when set, is where the output's memory comes from: its pool, or
	// for a transient op, the slot its inputs (after the first shapeOnly,
	// read only for their shapes) are not in.
	ws        *Workspace
	transient bool
	shapeOnly int
	inputs    G.Nodes // as applied
	inPlace   int     // whether InPlace is safe: 0 not yet known, 1 yes, -1 no
}

// NewOp returns an op computing spec.
func NewOp(spec Spec) *Op { return &Op{spec: spec} }

// Apply adds the op to the graph of its inputs.
func (o *Op) Apply(in ...*G.Node) (*G.Node, error) {
	o.inputs = in
	n, err := G.ApplyOp(o, in...)
	if err != nil {
		return nil, fmt.Errorf("ops: %s: %w", o.spec.Name, err)
	}
	return n, nil
}

// Tensor3 is the type of a float32 (C,H,W) tensor.
var tensor3 = G.TensorType{Dims: 3, Of: tensor.Float32}

func (o *Op) Arity() int { return len(o.spec.In) }

func (o *Op) Type() hm.Type {
	ts := make([]hm.Type, 0, len(o.spec.In)+1)
	for _, isTensor := range o.spec.In {
		ts = append(ts, kind(isTensor))
	}
	ts = append(ts, kind(!o.spec.Scalar))
	return hm.NewFnType(ts...)
}

func kind(isTensor bool) hm.Type {
	if isTensor {
		return tensor3
	}
	return tensor.Float32
}

func (o *Op) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if o.spec.Scalar {
		return tensor.ScalarShape(), nil
	}
	shapes := make([]tensor.Shape, len(ds))
	for i, d := range ds {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("ops: %s: input %d has no shape", o.spec.Name, i)
		}
		shapes[i] = s
	}
	return o.spec.Shape(shapes)
}

func (o *Op) Do(in ...G.Value) (G.Value, error) {
	if o.spec.Scalar {
		v, err := o.spec.Do(nil, nil, in)
		if err != nil {
			return nil, fmt.Errorf("ops: %s: %w", o.spec.Name, err)
		}
		return G.NewF32(v), nil
	}
	if o.spec.InPlace != nil && o.mayOverwrite() {
		x, err := Floats(in[0])
		if err != nil {
			return nil, fmt.Errorf("ops: %s: %w", o.spec.Name, err)
		}
		if err := o.spec.InPlace(x, in); err != nil {
			return nil, fmt.Errorf("ops: %s: %w", o.spec.Name, err)
		}
		return in[0], nil
	}
	shapes := make([]tensor.Shape, len(in))
	for i, v := range in {
		shapes[i] = v.Shape()
	}
	shape, err := o.spec.Shape(shapes)
	if err != nil {
		return nil, fmt.Errorf("ops: %s: %w", o.spec.Name, err)
	}
	switch {
	case o.transient:
		data := o.ws.slot(shape.TotalSize(), in[o.shapeOnly:])
		if o.out == nil || !o.out.Shape().Eq(shape) || &o.out.Data().([]float32)[0] != &data[0] {
			o.out = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
		}
	case o.out == nil || !o.out.Shape().Eq(shape):
		o.release()
		if o.ws != nil {
			o.out = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(o.ws.take(shape.TotalSize())))
		} else {
			o.out = tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
		}
	}
	if _, err := o.spec.Do(o.out.Data().([]float32), shape, in); err != nil {
		return nil, fmt.Errorf("ops: %s: %w", o.spec.Name, err)
	}
	return o.out, nil
}

// release gives the op's own output memory back to its workspace's pool.
func (o *Op) release() {
	if o.out != nil && o.ws != nil && !o.transient {
		o.ws.give(o.out.Data().([]float32))
	}
	o.out = nil
}

func (o *Op) ReturnsPtr() bool     { return true }
func (o *Op) CallsExtern() bool    { return false }
func (o *Op) OverwritesInput() int { return -1 }

// mayOverwrite reports whether the backward op o may overwrite its first
// input: the input is made by a Stylelab op (not given to the graph), and
// every other op reading it is a Stylelab forward op, which runs before any
// backward op, or reads only its shape. The answer is found once, when the
// graph is complete.
func (o *Op) mayOverwrite() bool {
	if o.inPlace != 0 {
		return o.inPlace > 0
	}
	o.inPlace = -1
	x := o.inputs[0]
	if _, ok := x.Op().(*Op); !ok || !o.spec.Backward {
		return false
	}
	users := x.Graph().To(x.ID())
	for users.Next() {
		u := users.Node().(*G.Node)
		op, ok := u.Op().(*Op)
		if !ok {
			return false
		}
		if op == o || !op.spec.Backward {
			continue
		}
		for i, in := range op.inputs {
			if in == x && i >= op.shapeOnly {
				return false
			}
		}
	}
	o.inPlace = 1
	return true
}

func (o *Op) String() string { return o.spec.Name }

// WriteHash makes every instance distinct: two convolutions with the same
// shapes but different weights must never be merged by the graph.
func (o *Op) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s@%p", o.spec.Name, o) }

func (o *Op) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

func (o *Op) DiffWRT(n int) []bool {
	wrt := make([]bool, n)
	for i := range wrt {
		wrt[i] = o.spec.Grad != nil
	}
	return wrt
}

func (o *Op) SymDiff(in G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if o.spec.Grad == nil {
		return nil, fmt.Errorf("ops: %s is not differentiable", o.spec.Name)
	}
	return o.spec.Grad(in, output, grad)
}

// Floats returns a tensor value's float32 data.
func Floats(v G.Value) ([]float32, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("want a dense tensor, got %T", v)
	}
	f, ok := d.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("want float32 data, got %T", d.Data())
	}
	return f, nil
}

// Scalar returns a scalar value as float32.
func Scalar(v G.Value) (float32, error) {
	switch s := v.(type) {
	case *G.F32:
		return float32(*s), nil
	case *G.F64:
		return float32(*s), nil
	case *tensor.Dense:
		if s.Size() == 1 {
			if f, ok := s.Data().([]float32); ok {
				return f[0], nil
			}
			if f, ok := s.Data().(float32); ok {
				return f, nil
			}
		}
	}
	return 0, fmt.Errorf("want a float32 scalar, got %T", v)
}

// CHW returns the channels, height and width of a (C,H,W) shape.
func CHW(s tensor.Shape) (c, h, w int, err error) {
	if len(s) != 3 {
		return 0, 0, 0, fmt.Errorf("want a (C,H,W) tensor, got shape %v", s)
	}
	return s[0], s[1], s[2], nil
}
