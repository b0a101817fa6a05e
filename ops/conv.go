package ops

import (
	"fmt"

	"github.com/stylelab/stylelab/internal/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv is a 3x3 convolution (stride 1, zero padding 1) with bias, followed by ReLU.
// Kernel is [Cout][Cin][3][3].
type Conv struct {
	Name      string
	Cin, Cout int
	Kernel    []float32
	Bias      []float32
}

// ConvReLU applies c to x, a (Cin,H,W) node, giving the rectified (Cout,H,W) response.
func ConvReLU(ws *Workspace, c Conv, x *G.Node) (*G.Node, error) {
	if len(c.Kernel) != c.Cout*c.Cin*9 || len(c.Bias) != c.Cout {
		return nil, fmt.Errorf("ops: %s: kernel %d and bias %d values, want %d and %d", c.Name, len(c.Kernel), len(c.Bias), c.Cout*c.Cin*9, c.Cout)
	}
	shape := func(in []tensor.Shape) (tensor.Shape, error) {
		ch, h, w, err := CHW(in[0])
		if err != nil || ch != c.Cin {
			return nil, fmt.Errorf("%s takes (%d,H,W), got %v", c.Name, c.Cin, in[0])
		}
		return tensor.Shape{c.Cout, h, w}, nil
	}
	fwd := NewOp(Spec{
		Name: c.Name, In: []bool{true}, Shape: shape,
		Do: func(out []float32, s tensor.Shape, in []G.Value) (float32, error) {
			x, err := Floats(in[0])
			if err != nil {
				return 0, err
			}
			ws.convForward(c, x, out, s[1], s[2])
			return 0, nil
		},
		Grad: func(in G.Nodes, y, dy *G.Node) (G.Nodes, error) {
			back := NewOp(Spec{
				Name: c.Name + "_grad", In: []bool{true, true},
				Shape: func(s []tensor.Shape) (tensor.Shape, error) {
					_, h, w, err := CHW(s[0])
					return tensor.Shape{c.Cin, h, w}, err
				},
				Do: func(dx []float32, s tensor.Shape, in []G.Value) (float32, error) {
					y, err := Floats(in[0])
					if err != nil {
						return 0, err
					}
					dy, err := Floats(in[1])
					if err != nil {
						return 0, err
					}
					ws.convBackward(c, y, dy, dx, s[1], s[2])
					return 0, nil
				},
			})
			dx, err := back.Apply(y, dy)
			return G.Nodes{dx}, err
		},
	})
	return fwd.Apply(x)
}

// tileRows is how many image rows of im2col columns fit a worker's buffer.
func tileRows(cin, h, w int) int {
	rows := colBudget / (cin * 9 * w)
	return max(1, min(rows, h))
}

// convForward computes out = relu(K * x + b). Each worker takes a band of
// image rows and runs im2col, sgemm, bias and ReLU on it, tile by tile.
func (ws *Workspace) convForward(c Conv, x, out []float32, h, w int) {
	hw, k := h*w, c.Cin*9
	rows := tileRows(c.Cin, h, w)
	ws.parallel(h, func(wk, lo, hi int) {
		for y0 := lo; y0 < hi; y0 += rows {
			y1 := min(hi, y0+rows)
			n := (y1 - y0) * w
			col := ws.col(wk, k*n)
			im2col(x, col, 0, c.Cin, h, w, y0, y1)
			blas.Sgemm(false, false, c.Cout, n, k, 1, c.Kernel, k, col, n, 0, out[y0*w:], hw)
			for o := 0; o < c.Cout; o++ {
				b, band := c.Bias[o], out[o*hw+y0*w:o*hw+y1*w]
				for i, v := range band {
					band[i] = max(v+b, 0)
				}
			}
		}
	})
}

// convBackward computes dx from the rectified output y and its gradient dy,
// which it masks in place by the ReLU's derivative. Each worker takes a
// range of input channels: its rows of K^T dy and their col2im touch only
// its own planes of dx.
func (ws *Workspace) convBackward(c Conv, y, dy, dx []float32, h, w int) {
	hw, k := h*w, c.Cin*9
	ws.parallel(c.Cout, func(_, lo, hi int) {
		for i := lo * hw; i < hi*hw; i++ {
			if y[i] <= 0 {
				dy[i] = 0
			}
		}
	})
	rows := tileRows(c.Cin, h, w)
	ws.parallel(c.Cin, func(wk, lo, hi int) {
		clear(dx[lo*hw : hi*hw])
		m := (hi - lo) * 9
		for y0 := 0; y0 < h; y0 += rows {
			y1 := min(h, y0+rows)
			n := (y1 - y0) * w
			col := ws.col(wk, m*n)
			blas.Sgemm(true, false, m, n, c.Cout, 1, c.Kernel[lo*9:], k, dy[y0*w:], hw, 0, col, n)
			col2im(col, dx, lo, hi, h, w, y0, y1)
		}
	})
}

// im2col fills the columns of output rows [y0,y1) for input channels [lo,hi):
// row ((ch-lo)*9 + kh*3 + kw) holds x[ch][y+kh-1][x+kw-1], zero outside the image.
func im2col(x, col []float32, lo, hi, h, w, y0, y1 int) {
	n := (y1 - y0) * w
	for ch := lo; ch < hi; ch++ {
		plane := x[ch*h*w : (ch+1)*h*w]
		for kh := 0; kh < 3; kh++ {
			for kw := 0; kw < 3; kw++ {
				row := col[((ch-lo)*9+kh*3+kw)*n:][:n]
				for y := y0; y < y1; y++ {
					dst := row[(y-y0)*w:][:w]
					iy := y + kh - 1
					if iy < 0 || iy >= h {
						clear(dst)
						continue
					}
					src := plane[iy*w:][:w]
					switch kw {
					case 0:
						dst[0] = 0
						copy(dst[1:], src[:w-1])
					case 1:
						copy(dst, src)
					case 2:
						copy(dst[:w-1], src[1:])
						dst[w-1] = 0
					}
				}
			}
		}
	}
}

// col2im adds the column gradients of output rows [y0,y1) into dx for input
// channels [lo,hi), whose rows start at ((ch-lo)*9) in col.
func col2im(col, dx []float32, lo, hi, h, w, y0, y1 int) {
	n := (y1 - y0) * w
	for ch := lo; ch < hi; ch++ {
		plane := dx[ch*h*w : (ch+1)*h*w]
		for kh := 0; kh < 3; kh++ {
			for kw := 0; kw < 3; kw++ {
				row := col[((ch-lo)*9+kh*3+kw)*n:][:n]
				for y := y0; y < y1; y++ {
					iy := y + kh - 1
					if iy < 0 || iy >= h {
						continue
					}
					src, dst := row[(y-y0)*w:][:w], plane[iy*w:][:w]
					switch kw {
					case 0:
						addTo(dst[:w-1], src[1:])
					case 1:
						addTo(dst, src)
					case 2:
						addTo(dst[1:], src[:w-1])
					}
				}
			}
		}
	}
}

func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}
