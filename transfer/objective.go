package transfer

import (
	"fmt"
	"math"

	"github.com/stylelab/stylelab/loss"
	"github.com/stylelab/stylelab/ops"
	"github.com/stylelab/stylelab/vgg"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Losses are one evaluation's loss values. Content and Style are the
// unweighted sums (Style = sum_l w_l E_l); Terms is the weighted sum of the
// custom terms; Total = Alpha*Content + Beta*Style + TVWeight*TV + Terms.
// Layers holds each term by name: "content/conv4_2", "style/conv1_1" (E_l,
// before w_l), "term/NAME" (before its weight). A weight of 0 (alpha or
// beta) leaves its terms out of the objective: they are neither computed
// nor reported.
type Losses struct {
	Total, Content, Style, TV, Terms float64
	Layers                           map[string]float64
}

// targets are what the image is pulled towards at one size.
type targets struct {
	content     map[string][]float32     // feature maps P_l
	style       map[string][]float32     // Gram matrices A_l
	termContent map[string]vgg.Feature   // the content image's features at the custom terms' layers
	termStyles  map[string][]vgg.Feature // each style image's features at those layers
}

// objective evaluates the total loss and its gradient for one image size.
type objective struct {
	p            *Plan
	vm           G.VM
	input        []float32
	grad         *G.Node
	contentNodes map[string]*G.Node
	styleNodes   map[string]*G.Node
	tvNode       *G.Node
	termNodes    []*G.Node // the plan's custom terms, in order
	styleWeights map[string]float64
	h, w, evals  int
	last         Losses
	recent       []Losses // the last evaluations, newest last (a line search's trials)
}

func newObjective(m *vgg.Model, p *Plan, h, w int, t targets) (*objective, error) {
	scaling := p.Scaling
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 3, G.WithShape(3, h, w), G.WithName("x"))
	feats, err := m.Build(x, p.Taps(), p.Pooling)
	if err != nil {
		return nil, err
	}
	o := &objective{p: p, h: h, w: w, input: make([]float32, 3*h*w),
		contentNodes: map[string]*G.Node{}, styleNodes: map[string]*G.Node{}, styleWeights: map[string]float64{}}
	var terms []*G.Node
	var coefs []float64
	for _, l := range p.ContentLayers {
		if p.Alpha == 0 {
			break
		}
		n, err := loss.Content(scaling, l, feats[l], t.content[l])
		if err != nil {
			return nil, err
		}
		o.contentNodes[l] = n
		terms, coefs = append(terms, n), append(coefs, p.Alpha)
	}
	for _, l := range p.StyleLayers {
		if p.Beta == 0 {
			break
		}
		n, err := loss.Style(scaling, l.Layer, feats[l.Layer], t.style[l.Layer])
		if err != nil {
			return nil, err
		}
		o.styleNodes[l.Layer], o.styleWeights[l.Layer] = n, l.Weight
		terms, coefs = append(terms, n), append(coefs, p.Beta*l.Weight)
	}
	if len(p.Terms) > 0 {
		fixed, err := fixedNodes(g, t)
		if err != nil {
			return nil, err
		}
		for _, term := range p.Terms {
			n, err := buildTerm(p, term, feats[term.Layer], fixed[term.Layer])
			if err != nil {
				return nil, err
			}
			o.termNodes = append(o.termNodes, n)
			terms, coefs = append(terms, n), append(coefs, term.Weight)
		}
	}
	if p.TVWeight > 0 {
		if o.tvNode, err = loss.TotalVariation(x); err != nil {
			return nil, err
		}
		terms, coefs = append(terms, o.tvNode), append(coefs, p.TVWeight)
	}
	total, err := weightedSum(terms, coefs)
	if err != nil {
		return nil, err
	}
	grads, err := G.Grad(total, x)
	if err != nil {
		return nil, fmt.Errorf("transfer: building the gradient: %w", err)
	}
	o.grad = grads[0]
	if err := G.Let(x, tensor.New(tensor.WithShape(3, h, w), tensor.WithBacking(o.input))); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	o.vm = G.NewTapeMachine(g)
	return o, nil
}

// eval computes the losses at x and writes the gradient of the total into grad.
func (o *objective) eval(x, grad []float32) (float64, error) {
	copy(o.input, x)
	o.vm.Reset()
	if err := o.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("transfer: evaluating the loss: %w", err)
	}
	o.evals++
	g, err := ops.Floats(o.grad.Value())
	if err != nil {
		return 0, fmt.Errorf("transfer: gradient: %w", err)
	}
	copy(grad, g)
	l := Losses{Layers: map[string]float64{}}
	for name, n := range o.contentNodes {
		v := scalar(n)
		l.Layers["content/"+name] = v
		l.Content += v
	}
	for name, n := range o.styleNodes {
		v := scalar(n)
		l.Layers["style/"+name] = v
		l.Style += o.styleWeights[name] * v
	}
	for i, n := range o.termNodes {
		term := o.p.Terms[i]
		v := scalar(n)
		l.Layers["term/"+term.Name] = v
		l.Terms += term.Weight * v
	}
	if o.tvNode != nil {
		l.TV = scalar(o.tvNode)
	}
	l.Total = o.p.Alpha*l.Content + o.p.Beta*l.Style + o.p.TVWeight*l.TV + l.Terms
	o.last = l
	if len(o.recent) == 32 {
		o.recent = o.recent[1:]
	}
	o.recent = append(o.recent, l)
	if math.IsNaN(l.Total) || math.IsInf(l.Total, 0) {
		return l.Total, fmt.Errorf("transfer: the loss became %v: lower the learning rate or the weights", l.Total)
	}
	return l.Total, nil
}

func (o *objective) close() { o.vm.Close() }

// at returns the losses of the recent evaluation whose total is f: the point
// an optimizer accepted, which need not be the last one a line search tried.
func (o *objective) at(f float64) Losses {
	for i := len(o.recent) - 1; i >= 0; i-- {
		if o.recent[i].Total == f {
			return o.recent[i]
		}
	}
	return o.last
}

func scalar(n *G.Node) float64 {
	v, err := ops.Scalar(n.Value())
	if err != nil {
		return math.NaN()
	}
	return float64(v)
}

// weightedSum returns the node sum_i coefs[i]*terms[i] of scalar nodes.
func weightedSum(terms []*G.Node, coefs []float64) (*G.Node, error) {
	in := make([]bool, len(terms))
	op := ops.NewOp(ops.Spec{
		Name: "weighted_sum", In: in, Scalar: true,
		Do: func(_ []float32, _ tensor.Shape, vs []G.Value) (float32, error) {
			var sum float64
			for i, v := range vs {
				f, err := ops.Scalar(v)
				if err != nil {
					return 0, err
				}
				sum += coefs[i] * float64(f)
			}
			return float32(sum), nil
		},
		Grad: func(ins G.Nodes, _, grad *G.Node) (G.Nodes, error) {
			out := make(G.Nodes, len(ins))
			for i := range ins {
				c := float32(coefs[i])
				scale := ops.NewOp(ops.Spec{
					Name: fmt.Sprintf("scale_%d", i), In: []bool{false}, Scalar: true,
					Do: func(_ []float32, _ tensor.Shape, vs []G.Value) (float32, error) {
						g, err := ops.Scalar(vs[0])
						return c * g, err
					},
				})
				n, err := scale.Apply(grad)
				if err != nil {
					return nil, err
				}
				out[i] = n
			}
			return out, nil
		},
	})
	return op.Apply(terms...)
}
