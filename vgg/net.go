package vgg

import (
	"fmt"
	"strings"

	"github.com/stylelab/stylelab/ops"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Pooling is how the network reduces each 2x2 window between blocks:
// MaxPool or AvgPool.
type Pooling = ops.Pooling

// The two poolings, named here so that notebook cells can pass them to
// Features without importing ops.
const (
	MaxPool = ops.MaxPool // the original VGG-19's
	AvgPool = ops.AvgPool // Gatys et al.'s choice for style transfer
)

// Model is a VGG-19 ready to build graphs. It is not safe for concurrent use:
// its kernels share one workspace.
type Model struct {
	w  *Weights
	ws *ops.Workspace
}

// New checks w and returns its model.
func New(w *Weights) (*Model, error) {
	if w == nil {
		return nil, fmt.Errorf("vgg: no weights: load them with weights.Load")
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return &Model{w: w, ws: ops.NewWorkspace()}, nil
}

// Weights returns the model's weights.
func (m *Model) Weights() *Weights { return m.w }

// Workspace returns the scratch memory the model's ops share, for loss ops
// that run in the same graph.
func (m *Model) Workspace() *ops.Workspace { return m.ws }

// Layers lists every tap name in network order. convX_Y is the rectified
// response of that convolution (Caffe applies ReLU in place, so this is what
// Gatys et al. call conv1_1); reluX_Y names the same tensor.
func Layers() []string {
	var names []string
	for i, c := range ConvNames {
		names = append(names, c, "relu"+c[4:])
		if i+1 == len(ConvNames) || ConvNames[i+1][4] != c[4] {
			names = append(names, "pool"+c[4:5])
		}
	}
	return names
}

// layerIndex maps each tap to its position in the sequence of conv and pool
// stages (conv1_1=0, conv1_2=1, pool1=2, conv2_1=3 ...).
func layerIndex() map[string]int {
	idx := map[string]int{}
	stage := 0
	for _, name := range Layers() {
		if strings.HasPrefix(name, "relu") {
			idx[name] = idx["conv"+name[4:]]
			continue
		}
		idx[name] = stage
		stage++
	}
	return idx
}

// CheckLayers returns an error naming the first unknown layer and listing the valid ones.
func CheckLayers(names []string) error {
	idx := layerIndex()
	for _, n := range names {
		if _, ok := idx[n]; !ok {
			return fmt.Errorf("vgg: unknown layer %q: valid layers are %s", n, strings.Join(Layers(), ", "))
		}
	}
	return nil
}

// Build adds VGG-19 on top of x, a (3,H,W) node holding a preprocessed image,
// and returns the requested taps. Only the stages up to the deepest tap are built.
func (m *Model) Build(x *G.Node, taps []string, pooling Pooling) (map[string]*G.Node, error) {
	if err := CheckLayers(taps); err != nil {
		return nil, err
	}
	idx := layerIndex()
	deepest := -1
	for _, t := range taps {
		deepest = max(deepest, idx[t])
	}
	byStage := map[int]*G.Node{}
	h, conv, block := x, 0, 1
	for stage := 0; stage <= deepest; stage++ {
		var err error
		if conv < len(ConvNames) && ConvNames[conv][4]-'0' == byte(block) {
			p := m.w.Conv[conv]
			h, err = ops.ConvReLU(m.ws, ops.Conv{Name: p.Name, Cin: p.Cin, Cout: p.Cout, Kernel: p.Kernel, Bias: p.Bias}, h)
			conv++
		} else {
			h, err = ops.Pool2x2(m.ws, fmt.Sprintf("pool%d", block), pooling, h)
			block++
		}
		if err != nil {
			return nil, fmt.Errorf("vgg: %w", err)
		}
		byStage[stage] = h
	}
	out := make(map[string]*G.Node, len(taps))
	for _, t := range taps {
		out[t] = byStage[idx[t]]
	}
	for stage, n := range byStage {
		if !isTap(out, n) {
			if err := m.ws.Transient(n); err != nil {
				return nil, fmt.Errorf("vgg: stage %d: %w", stage, err)
			}
		}
	}
	return out, nil
}

// isTap reports whether n is one of the taps.
func isTap(taps map[string]*G.Node, n *G.Node) bool {
	for _, t := range taps {
		if t == n {
			return true
		}
	}
	return false
}

// Feature is one layer's response: C channels of H x W, channel-major.
type Feature struct {
	C, H, W int
	Data    []float32
}

// Features runs the network on a preprocessed (3,h,w) image (see
// Preprocessing.Preprocess) and returns a copy of each requested tap;
// pooling is MaxPool or AvgPool.
func (m *Model) Features(input []float32, h, w int, taps []string, pooling Pooling) (map[string]Feature, error) {
	if len(input) != 3*h*w {
		return nil, fmt.Errorf("vgg: input has %d values, want 3x%dx%d", len(input), h, w)
	}
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 3, G.WithShape(3, h, w), G.WithName("x"))
	nodes, err := m.Build(x, taps, pooling)
	if err != nil {
		return nil, err
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := G.Let(x, tensor.New(tensor.WithShape(3, h, w), tensor.WithBacking(input))); err != nil {
		return nil, fmt.Errorf("vgg: %w", err)
	}
	if err := vm.RunAll(); err != nil {
		return nil, fmt.Errorf("vgg: forward pass: %w", err)
	}
	out := make(map[string]Feature, len(nodes))
	for name, n := range nodes {
		data, err := ops.Floats(n.Value())
		if err != nil {
			return nil, fmt.Errorf("vgg: %s: %w", name, err)
		}
		s := n.Shape()
		out[name] = Feature{C: s[0], H: s[1], W: s[2], Data: append([]float32(nil), data...)}
	}
	released := make([]*G.Node, 0, len(nodes))
	for _, n := range nodes {
		released = append(released, n)
	}
	m.ws.Release(released...) // for the graphs that follow, at this image size
	return out, nil
}

// Preprocess maps an RGB image in [0,1] (channel-major, 3 x n) to the network's input.
func (p Preprocessing) Preprocess(rgb []float32) []float32 {
	out := make([]float32, len(rgb))
	n := len(rgb) / 3
	for c := 0; c < 3; c++ {
		for i, v := range rgb[c*n : (c+1)*n] {
			out[c*n+i] = (v*p.Scale - p.Mean[c]) / p.Std[c]
		}
	}
	return out
}

// Deprocess inverts Preprocess (without clamping).
func (p Preprocessing) Deprocess(x []float32) []float32 {
	out := make([]float32, len(x))
	n := len(x) / 3
	for c := 0; c < 3; c++ {
		for i, v := range x[c*n : (c+1)*n] {
			out[c*n+i] = (v*p.Std[c] + p.Mean[c]) / p.Scale
		}
	}
	return out
}

// PixelScale is how much one step of 1/255 in an RGB channel moves the
// network's input, averaged over channels: optimizers use it to express step
// sizes in pixel units whatever the preprocessing.
func (p Preprocessing) PixelScale() float32 {
	return p.Scale / 255 * (1/p.Std[0] + 1/p.Std[1] + 1/p.Std[2]) / 3
}

// LayerShape gives the channels and spatial size of a layer's response to an
// h x w input (each pooling halves both sides, rounding down).
func LayerShape(layer string, h, w int) (c, lh, lw int, err error) {
	if err := CheckLayers([]string{layer}); err != nil {
		return 0, 0, 0, err
	}
	block := int(layer[len(layer)-3] - '0')
	pools := block - 1
	if strings.HasPrefix(layer, "pool") {
		block = int(layer[4] - '0')
		pools = block
	}
	c = []int{64, 128, 256, 512, 512}[block-1]
	lh, lw = h, w
	for i := 0; i < pools; i++ {
		lh, lw = lh/2, lw/2
	}
	return c, lh, lw, nil
}

// Stages lists the conv and pool stages up to and including the deepest of layers.
func Stages(layers []string) ([]string, error) {
	if err := CheckLayers(layers); err != nil {
		return nil, err
	}
	idx := layerIndex()
	deepest := -1
	for _, l := range layers {
		deepest = max(deepest, idx[l])
	}
	var out []string
	for _, name := range Layers() {
		if !strings.HasPrefix(name, "relu") && idx[name] <= deepest {
			out = append(out, name)
		}
	}
	return out, nil
}
