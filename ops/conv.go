package ops

import (
	"fmt"

	"github.com/stylelab/stylelab/internal/blas"
	"github.com/stylelab/stylelab/internal/winograd"
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

// ConvReLU applies c to x, a (Cin,H,W) node, giving the rectified (Cout,H,W)
// response, computed with the workspace's algorithm. The forward pass keeps
// one bit per output (is it positive) for the backward pass, which needs
// nothing else.
func ConvReLU(ws *Workspace, c Conv, x *G.Node) (*G.Node, error) {
	if len(c.Kernel) != c.Cout*c.Cin*9 || len(c.Bias) != c.Cout {
		return nil, fmt.Errorf("ops: %s: kernel %d and bias %d values, want %d and %d", c.Name, len(c.Kernel), len(c.Bias), c.Cout*c.Cin*9, c.Cout)
	}
	var mask []byte   // the ReLU's derivative, a bit per output
	needMask := false // whether a backward pass was built
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
			if n := winograd.MaskBytes(c.Cout, s[1], s[2]); needMask && len(mask) != n {
				mask = make([]byte, n)
			}
			return 0, ws.convForward(c, x, out, mask, s[1], s[2])
		},
		Grad: func(in G.Nodes, y, dy *G.Node) (G.Nodes, error) {
			needMask = true
			back := NewOp(Spec{
				Name: c.Name + "_grad", In: []bool{true}, Backward: true,
				Shape: func(s []tensor.Shape) (tensor.Shape, error) {
					_, h, w, err := CHW(s[0])
					return tensor.Shape{c.Cin, h, w}, err
				},
				Do: func(dx []float32, s tensor.Shape, in []G.Value) (float32, error) {
					dy, err := Floats(in[0])
					if err != nil {
						return 0, err
					}
					if len(mask) != winograd.MaskBytes(c.Cout, s[1], s[2]) {
						return 0, fmt.Errorf("the backward pass ran before the forward pass at %dx%d", s[2], s[1])
					}
					return 0, ws.convBackward(c, dy, mask, dx, s[1], s[2])
				},
			})
			// The gradient of an intermediate layer is read only by the
			// previous layer's backward pass.
			back.ws, back.transient = ws, in[0].Op() != nil
			dx, err := back.Apply(dy)
			return G.Nodes{dx}, err
		},
	})
	fwd.ws = ws
	return fwd.Apply(x)
}

// convForward computes out = relu(K * x + b) and its mask.
func (ws *Workspace) convForward(c Conv, x, out []float32, mask []byte, h, w int) error {
	if ws.algo == GEMM {
		ws.gemmForward(c, x, out, mask, h, w)
		return nil
	}
	f, err := ws.filter(c, ws.algo.tile())
	if err != nil {
		return err
	}
	f.Forward(&ws.runner, x, c.Bias, out, mask, h, w)
	return nil
}

// convBackward computes dx from dy, the gradient of the rectified output,
// which it zeroes in place where the mask is clear.
func (ws *Workspace) convBackward(c Conv, dy []float32, mask []byte, dx []float32, h, w int) error {
	if ws.algo == GEMM {
		ws.gemmBackward(c, dy, mask, dx, h, w)
		return nil
	}
	f, err := ws.filter(c, ws.algo.tile())
	if err != nil {
		return err
	}
	f.Backward(&ws.runner, dy, mask, dx, h, w)
	return nil
}

// tileRows is how many image rows of im2col columns fit a worker's buffer.
func tileRows(cin, h, w int) int {
	rows := colBudget / (cin * 9 * w)
	return max(1, min(rows, h))
}

// gemmForward computes out = relu(K * x + b) and its mask. Each worker takes
// a band of image rows and runs im2col, sgemm, bias and ReLU on it, tile by tile.
func (ws *Workspace) gemmForward(c Conv, x, out []float32, mask []byte, h, w int) {
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
				if mask != nil {
					setMask(mask, out, o, h, w, y0, y1)
				}
			}
		}
	})
}

// setMask sets the mask bits of channel o's rows [y0,y1): bit x%8 of byte
// x/8 of each row is whether out is positive there.
func setMask(mask []byte, out []float32, o, h, w, y0, y1 int) {
	stride := (w + 7) / 8
	for y := y0; y < y1; y++ {
		row, bits := out[(o*h+y)*w:][:w], mask[(o*h+y)*stride:][:stride]
		clear(bits)
		for x, v := range row {
			if v > 0 {
				bits[x>>3] |= 1 << (x & 7)
			}
		}
	}
}

// applyMask zeroes dy where its mask bit is clear.
func applyMask(dy []float32, mask []byte, c, h, w int) {
	stride := (w + 7) / 8
	for r := 0; r < c*h; r++ {
		row, bits := dy[r*w:][:w], mask[r*stride:][:stride]
		for x := range row {
			if bits[x>>3]>>(x&7)&1 == 0 {
				row[x] = 0
			}
		}
	}
}

// gemmBackward computes dx from dy, which it masks in place by the ReLU's
// derivative. Each worker takes a range of input channels: its rows of
// K^T dy and their col2im touch only its own planes of dx.
func (ws *Workspace) gemmBackward(c Conv, dy []float32, mask []byte, dx []float32, h, w int) {
	hw, k := h*w, c.Cin*9
	ws.parallel(c.Cout, func(_, lo, hi int) {
		stride := (w + 7) / 8
		applyMask(dy[lo*hw:hi*hw], mask[lo*h*stride:hi*h*stride], hi-lo, h, w)
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
