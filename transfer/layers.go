package transfer

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/loss"
	"github.com/stylelab/stylelab/ops"
	"github.com/stylelab/stylelab/vgg"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LayerMap is where one style layer acts on an image: the gradient, with
// respect to the image's pixels, of that layer's part of the objective,
// beta * w_l * E_l. Gradients are per unit of pixel value in RGB [0,1].
type LayerMap struct {
	Layer  string
	Weight float64 // w_l
	W, H   int
	Loss   float64   // E_l at the image, before w_l and beta
	Norm   float64   // the gradient's L2 norm over every pixel and channel
	Values []float32 // per pixel, row by row (W*H): the gradient's magnitude over R, G and B
}

// LayerGradients returns one LayerMap per style layer of p for img, at
// img's own size and with the targets a run of p would use there. The
// network runs forward once; each layer's gradient then goes back from
// its own loss to the image alone (one backward pass per layer, through
// the layers below it), all in one graph. The plan's beta must be > 0.
func LayerGradients(m *vgg.Model, p *Plan, img image.Image) ([]LayerMap, error) {
	maps, _, err := layerGradients(m, p, img)
	return maps, err
}

// layerGradients is LayerGradients with each layer's gradient with respect
// to the network's input x as well.
func layerGradients(m *vgg.Model, p *Plan, img image.Image) ([]LayerMap, [][]float32, error) {
	if p.Beta == 0 {
		return nil, nil, errors.New("transfer: the plan's beta is 0: there is no style term to map (set Beta or Ratio)")
	}
	if img == nil || img.Bounds().Empty() {
		return nil, nil, errors.New("transfer: LayerGradients needs an image with pixels")
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if w < 16 || h < 16 {
		return nil, nil, fmt.Errorf("transfer: a %dx%d image is too small for VGG-19: use 16 px a side or more", w, h)
	}
	if err := checkLayerMemory(p, w, h); err != nil {
		return nil, nil, err
	}
	st, err := newInputs(m, p, w, h)
	if err != nil {
		return nil, nil, err
	}
	t, err := st.targets()
	if err != nil {
		return nil, nil, err
	}
	layers := p.StyleLayerNames()
	stages, err := vgg.Stages(layers)
	if err != nil {
		return nil, nil, err
	}
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 3, G.WithShape(3, h, w), G.WithName("x"))
	nodes, err := m.Build(x, append(stages, layers...), p.Pooling)
	if err != nil {
		return nil, nil, err
	}
	// VGG-19 is a chain: x, then one node per stage.
	chain := []*G.Node{x}
	for _, s := range stages {
		chain = append(chain, nodes[s])
	}
	position := func(n *G.Node) int {
		for i, c := range chain {
			if c == n {
				return i
			}
		}
		return -1
	}
	lossNodes := make([]*G.Node, len(p.StyleLayers))
	gradNodes := make([]*G.Node, len(p.StyleLayers))
	for i, l := range p.StyleLayers {
		f := nodes[l.Layer]
		e, err := loss.Style(p.Scaling, l.Layer, f, t.style[l.Layer])
		if err != nil {
			return nil, nil, err
		}
		d, err := backward(e, f, G.NewConstant(float32(p.Beta*l.Weight)))
		if err != nil {
			return nil, nil, err
		}
		for k := position(f); k > 0; k-- {
			if d, err = backward(chain[k], chain[k-1], d); err != nil {
				return nil, nil, err
			}
		}
		lossNodes[i], gradNodes[i] = e, d
	}
	input := m.Weights().Preprocess.Preprocess(imaging.ToPlanar(img).Pix)
	if err := G.Let(x, tensor.New(tensor.WithShape(3, h, w), tensor.WithBacking(input))); err != nil {
		return nil, nil, fmt.Errorf("transfer: %w", err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		return nil, nil, fmt.Errorf("transfer: layer gradients: %w", err)
	}
	pre := m.Weights().Preprocess
	var perRGB [3]float64 // d input / d pixel value, by channel
	for c := range perRGB {
		perRGB[c] = float64(pre.Scale / pre.Std[c])
	}
	maps := make([]LayerMap, len(p.StyleLayers))
	raw := make([][]float32, len(p.StyleLayers))
	n := w * h
	for i, l := range p.StyleLayers {
		d, err := ops.Floats(gradNodes[i].Value())
		if err != nil {
			return nil, nil, fmt.Errorf("transfer: gradient of %s: %w", l.Layer, err)
		}
		raw[i] = append([]float32(nil), d...)
		lm := LayerMap{Layer: l.Layer, Weight: l.Weight, W: w, H: h, Loss: scalar(lossNodes[i]), Values: make([]float32, n)}
		var sum float64
		for j := 0; j < n; j++ {
			var s float64
			for c := 0; c < 3; c++ {
				v := float64(d[c*n+j]) * perRGB[c]
				s += v * v
			}
			lm.Values[j] = float32(math.Sqrt(s))
			sum += s
		}
		lm.Norm = math.Sqrt(sum)
		maps[i] = lm
	}
	return maps, raw, nil
}

// backward is the gradient with respect to in, the single input of the op
// that made out, given out's gradient dy: the op's own symbolic derivative.
func backward(out, in, dy *G.Node) (*G.Node, error) {
	op, ok := out.Op().(G.SDOp)
	if !ok {
		return nil, fmt.Errorf("transfer: %s is not differentiable", out.Name())
	}
	d, err := op.SymDiff(G.Nodes{in}, out, dy)
	if err != nil {
		return nil, fmt.Errorf("transfer: differentiating %s: %w", out.Name(), err)
	}
	return d[0], nil
}

// checkLayerMemory refuses a size whose layer gradients would not fit: the
// forward responses once, and a gradient per stage for each layer's pass.
func checkLayerMemory(p *Plan, w, h int) error {
	stages, err := vgg.Stages(p.StyleLayerNames())
	if err != nil {
		return err
	}
	var floats int64
	for _, l := range p.StyleLayerNames() {
		below, err := vgg.Stages([]string{l})
		if err != nil {
			return err
		}
		for _, s := range below {
			c, lh, lw, _ := vgg.LayerShape(s, h, w)
			floats += int64(c * lh * lw)
		}
	}
	for _, s := range stages {
		c, lh, lw, _ := vgg.LayerShape(s, h, w)
		floats += int64(c * lh * lw)
	}
	need := 4*floats + 200<<20
	if avail, ok := availableBytes(); ok && need > avail {
		return fmt.Errorf("transfer: layer gradients of a %dx%d image need about %.1f GiB but %.1f GiB are available: use a smaller image",
			w, h, float64(need)/(1<<30), float64(avail)/(1<<30))
	}
	return nil
}
