package loss

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/stylelab/stylelab/internal/blas"
	"github.com/stylelab/stylelab/ops"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Gram returns the scaled Gram matrix (C x C) of a C x M feature map.
func Gram(s Scaling, f []float32, c, m int) []float32 {
	g, _, _ := s.Factors(c, m)
	out := make([]float32, c*c)
	blas.Gram(runtime.GOMAXPROCS(0), c, m, float32(g), f, out)
	return out
}

// Content adds the content loss of feature node f against the target p
// (same shape) and returns its scalar node.
func Content(s Scaling, name string, f *G.Node, p []float32) (*G.Node, error) {
	c, h, w, err := ops.CHW(f.Shape())
	if err != nil || len(p) != c*h*w {
		return nil, fmt.Errorf("loss: content target for %s has %d values, want %v", name, len(p), f.Shape())
	}
	_, _, k := s.Factors(c, h*w)
	grad := func(dx, x []float32, g float32) {
		a := float32(2*k) * g
		for i, v := range x {
			dx[i] = a * (v - p[i])
		}
	}
	return scalarLoss("content_"+name, f,
		func(x []float32) float64 {
			var sum float64
			for i, v := range x {
				d := float64(v - p[i])
				sum += d * d
			}
			return k * sum
		},
		grad, func(x []float32, g float32) { grad(x, x, g) })
}

// Style adds the style loss E_l of feature node f against the target Gram
// matrix a (made by Gram with the same scaling) and returns its scalar node.
func Style(s Scaling, name string, f *G.Node, a []float32) (*G.Node, error) {
	c, h, w, err := ops.CHW(f.Shape())
	if err != nil || len(a) != c*c {
		return nil, fmt.Errorf("loss: style target for %s has %d values, want a %dx%d Gram matrix", name, len(a), c, c)
	}
	m := h * w
	gs, ss, _ := s.Factors(c, m)
	diff := make([]float32, c*c) // G - A of the last forward pass
	workers := runtime.GOMAXPROCS(0)
	var tmp [][]float32 // each worker's block of columns of the gradient, computed in place
	return scalarLoss("style_"+name, f,
		func(x []float32) float64 {
			blas.Gram(runtime.GOMAXPROCS(0), c, m, float32(gs), x, diff)
			var sum float64
			for i := range diff {
				diff[i] -= a[i]
				sum += float64(diff[i]) * float64(diff[i])
			}
			return ss * sum
		},
		func(dx, x []float32, g float32) {
			// dE/dF = 4 * style * gram * (G - A) F, as G - A is symmetric.
			blas.SgemmRows(workers, false, false, c, m, c, float32(4*ss*gs)*g, diff, c, x, m, 0, dx, m)
		},
		func(x []float32, g float32) {
			// Each worker replaces its columns of F, a block at a time, by
			// the gradient's, which depend only on those columns.
			const block = 256
			if tmp == nil {
				tmp = make([][]float32, workers)
				for k := range tmp {
					tmp[k] = make([]float32, c*block)
				}
			}
			alpha := float32(4*ss*gs) * g
			parallel(workers, m, func(k, lo, hi int) {
				for j0 := lo; j0 < hi; j0 += block {
					n := min(block, hi-j0)
					blas.Sgemm(false, false, c, n, c, alpha, diff, c, x[j0:], m, 0, tmp[k], n)
					for i := 0; i < c; i++ {
						copy(x[i*m+j0:i*m+j0+n], tmp[k][i*n:(i+1)*n])
					}
				}
			})
		})
}

// parallel splits [0,n) into one contiguous range per worker and runs
// f(worker, lo, hi) on each.
func parallel(workers, n int, f func(k, lo, hi int)) {
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(k, n*k/workers, n*(k+1)/workers)
		}()
	}
	wg.Wait()
}

// TotalVariation adds sum (x[i,j+1]-x[i,j])^2 + (x[i+1,j]-x[i,j])^2 over the
// image node x (C,H,W) and returns its scalar node.
func TotalVariation(x *G.Node) (*G.Node, error) {
	c, h, w, err := ops.CHW(x.Shape())
	if err != nil {
		return nil, fmt.Errorf("loss: total variation: %w", err)
	}
	return scalarLoss("tv", x,
		func(v []float32) float64 {
			var sum float64
			tvEach(v, c, h, w, func(i, j int, d float32) { sum += float64(d) * float64(d) })
			return sum
		},
		func(dx, v []float32, g float32) {
			clear(dx)
			tvEach(v, c, h, w, func(i, j int, d float32) {
				dx[j] += 2 * g * d
				dx[i] -= 2 * g * d
			})
		}, nil)
}

// scalarLoss makes a loss op of one tensor input: value computes the loss;
// grad writes g times the loss's gradient with respect to the input into dx.
// inPlace, if not nil, writes the same into x itself: the backward pass
// uses it when nothing reads the input afterwards (a feature map once its
// losses are differentiated), saving the gradient's memory. grad and
// inPlace run after value on the same input, so they may use what value kept.
func scalarLoss(name string, x *G.Node, value func(x []float32) float64, grad func(dx, x []float32, g float32), inPlace func(x []float32, g float32)) (*G.Node, error) {
	op := ops.NewOp(ops.Spec{
		Name: name, In: []bool{true}, Scalar: true,
		Do: func(_ []float32, _ tensor.Shape, in []G.Value) (float32, error) {
			v, err := ops.Floats(in[0])
			if err != nil {
				return 0, err
			}
			return float32(value(v)), nil
		},
		Grad: func(in G.Nodes, _, g *G.Node) (G.Nodes, error) {
			spec := ops.Spec{
				Name: name + "_grad", In: []bool{true, false}, Backward: true,
				Shape: func(s []tensor.Shape) (tensor.Shape, error) { return s[0], nil },
				Do: func(dx []float32, _ tensor.Shape, in []G.Value) (float32, error) {
					v, err := ops.Floats(in[0])
					if err != nil {
						return 0, err
					}
					scale, err := ops.Scalar(in[1])
					if err != nil {
						return 0, err
					}
					grad(dx, v, scale)
					return 0, nil
				},
			}
			if inPlace != nil {
				spec.InPlace = func(x []float32, in []G.Value) error {
					scale, err := ops.Scalar(in[1])
					if err != nil {
						return err
					}
					inPlace(x, scale)
					return nil
				}
			}
			back := ops.NewOp(spec)
			dx, err := back.Apply(in[0], g)
			return G.Nodes{dx}, err
		},
	})
	return op.Apply(x)
}

// tvEach calls f(i, j, v[j]-v[i]) for every horizontal and vertical neighbour pair.
func tvEach(v []float32, c, h, w int, f func(i, j int, d float32)) {
	for ch := 0; ch < c; ch++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				i := (ch*h+y)*w + x
				if x+1 < w {
					f(i, i+1, v[i+1]-v[i])
				}
				if y+1 < h {
					f(i, i+w, v[i+w]-v[i])
				}
			}
		}
	}
}
