package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Pooling selects how 2x2 windows are reduced.
type Pooling int

const (
	// MaxPool keeps each window's largest value, as in the original VGG-19.
	MaxPool Pooling = iota
	// AvgPool averages each window; Gatys et al. found it gives smoother results.
	AvgPool
)

func (p Pooling) String() string {
	if p == AvgPool {
		return "avg"
	}
	return "max"
}

// ParsePooling reads "max" or "avg" (also "average").
func ParsePooling(s string) (Pooling, error) {
	switch s {
	case "max", "":
		return MaxPool, nil
	case "avg", "average":
		return AvgPool, nil
	}
	return 0, fmt.Errorf("ops: unknown pooling %q: use \"max\" or \"avg\"", s)
}

// Pool2x2 reduces x, a (C,H,W) node, by 2x2 windows with stride 2 to
// (C, H/2, W/2); a trailing odd row or column is dropped, as in Caffe's
// and PyTorch's floor mode.
func Pool2x2(ws *Workspace, name string, kind Pooling, x *G.Node) (*G.Node, error) {
	var argmax []int32 // input index of each output's maximum, for max pooling
	shape := func(in []tensor.Shape) (tensor.Shape, error) {
		c, h, w, err := CHW(in[0])
		if err != nil || h < 2 || w < 2 {
			return nil, fmt.Errorf("%s needs at least 2x2 inputs, got %v: use a larger image", name, in[0])
		}
		return tensor.Shape{c, h / 2, w / 2}, nil
	}
	fwd := NewOp(Spec{
		Name: name, In: []bool{true}, Shape: shape,
		Do: func(out []float32, s tensor.Shape, in []G.Value) (float32, error) {
			x, err := Floats(in[0])
			if err != nil {
				return 0, err
			}
			is := in[0].Shape()
			c, h, w := s[0], s[1], s[2]
			if kind == MaxPool && len(argmax) != len(out) {
				argmax = make([]int32, len(out))
			}
			ws.parallel(c, func(_, lo, hi int) { pool(kind, x, out, argmax, lo, hi, is[1], is[2], h, w) })
			return 0, nil
		},
		Grad: func(in G.Nodes, y, dy *G.Node) (G.Nodes, error) {
			back := NewOp(Spec{
				Name: name + "_grad", In: []bool{true, true},
				Shape: func(s []tensor.Shape) (tensor.Shape, error) { return s[0], nil },
				Do: func(dx []float32, s tensor.Shape, in []G.Value) (float32, error) {
					dy, err := Floats(in[1])
					if err != nil {
						return 0, err
					}
					c, ih, iw := s[0], s[1], s[2]
					clear(dx)
					ws.parallel(c, func(_, lo, hi int) { unpool(kind, dy, dx, argmax, lo, hi, ih, iw, ih/2, iw/2) })
					return 0, nil
				},
			})
			// Read only by the previous layer's backward pass; in[0] gives
			// just the shape.
			back.ws, back.transient, back.shapeOnly = ws, in[0].Op() != nil, 1
			dx, err := back.Apply(in[0], dy)
			return G.Nodes{dx}, err
		},
	})
	fwd.ws = ws
	return fwd.Apply(x)
}

// pool computes output channels [lo,hi) (h x w) from x (ih x iw).
func pool(kind Pooling, x, out []float32, argmax []int32, lo, hi, ih, iw, h, w int) {
	for c := lo; c < hi; c++ {
		in, o := x[c*ih*iw:], out[c*h*w:]
		for y := 0; y < h; y++ {
			r0, r1 := in[2*y*iw:], in[(2*y+1)*iw:]
			for xo := 0; xo < w; xo++ {
				a, b, d, e := r0[2*xo], r0[2*xo+1], r1[2*xo], r1[2*xo+1]
				if kind == AvgPool {
					o[y*w+xo] = (a + b + d + e) * 0.25
					continue
				}
				best, at := a, 2*y*iw+2*xo
				if b > best {
					best, at = b, 2*y*iw+2*xo+1
				}
				if d > best {
					best, at = d, (2*y+1)*iw+2*xo
				}
				if e > best {
					best, at = e, (2*y+1)*iw+2*xo+1
				}
				o[y*w+xo], argmax[c*h*w+y*w+xo] = best, int32(at)
			}
		}
	}
}

// unpool routes the gradient dy (h x w per channel) back to dx (ih x iw).
func unpool(kind Pooling, dy, dx []float32, argmax []int32, lo, hi, ih, iw, h, w int) {
	for c := lo; c < hi; c++ {
		g, d := dy[c*h*w:][:h*w], dx[c*ih*iw:][:ih*iw]
		if kind == MaxPool {
			for i, v := range g {
				d[argmax[c*h*w+i]] += v
			}
			continue
		}
		for y := 0; y < h; y++ {
			for xo := 0; xo < w; xo++ {
				v := g[y*w+xo] * 0.25
				d[2*y*iw+2*xo] += v
				d[2*y*iw+2*xo+1] += v
				d[(2*y+1)*iw+2*xo] += v
				d[(2*y+1)*iw+2*xo+1] += v
			}
		}
	}
}
