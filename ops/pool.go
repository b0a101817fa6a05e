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
				Name: name + "_grad", In: []bool{true, true}, Backward: true,
				Shape: func(s []tensor.Shape) (tensor.Shape, error) { return s[0], nil },
				Do: func(dx []float32, s tensor.Shape, in []G.Value) (float32, error) {
					dy, err := Floats(in[1])
					if err != nil {
						return 0, err
					}
					c, ih, iw := s[0], s[1], s[2]
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
		for y := 0; y < h; y++ {
			at := c*ih*iw + 2*y*iw // index of row 2y in x
			r0, r1 := x[at:][:2*w], x[at+iw:][:2*w]
			o := out[(c*h+y)*w:][:w]
			if kind == AvgPool {
				for xo := range o {
					o[xo] = (r0[2*xo] + r0[2*xo+1] + r1[2*xo] + r1[2*xo+1]) * 0.25
				}
				continue
			}
			am := argmax[(c*h+y)*w:][:w]
			for xo := range o {
				best, i := r0[2*xo], 2*xo
				if v := r0[2*xo+1]; v > best {
					best, i = v, 2*xo+1
				}
				if v := r1[2*xo]; v > best {
					best, i = v, iw+2*xo
				}
				if v := r1[2*xo+1]; v > best {
					best, i = v, iw+2*xo+1
				}
				o[xo], am[xo] = best, int32(2*y*iw+i)
			}
		}
	}
}

// unpool writes the gradient dx (ih x iw per channel) of channels [lo,hi)
// from dy (h x w): a quarter of each output's gradient to its window for
// average pooling, all of it to the maximum for max pooling, and zero
// elsewhere (the odd last row and column).
func unpool(kind Pooling, dy, dx []float32, argmax []int32, lo, hi, ih, iw, h, w int) {
	for c := lo; c < hi; c++ {
		g, d := dy[c*h*w:][:h*w], dx[c*ih*iw:][:ih*iw]
		if kind == MaxPool {
			clear(d)
			for i, v := range g {
				d[argmax[c*h*w+i]] += v
			}
			continue
		}
		for y := 0; y < h; y++ {
			gr := g[y*w:][:w]
			d0, d1 := d[2*y*iw:][:iw], d[(2*y+1)*iw:][:iw]
			for xo, v := range gr {
				v *= 0.25
				d0[2*xo], d0[2*xo+1] = v, v
				d1[2*xo], d1[2*xo+1] = v, v
			}
			if iw > 2*w {
				d0[iw-1], d1[iw-1] = 0, 0
			}
		}
		if ih > 2*h {
			clear(d[(ih-1)*iw:])
		}
	}
}
