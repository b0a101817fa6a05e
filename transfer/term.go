package transfer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/stylelab/stylelab/loss"
	"github.com/stylelab/stylelab/ops"
	"github.com/stylelab/stylelab/vgg"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Term is a loss term on one layer's features, written as a gorgonia
// expression, so that a notebook cell can define a new loss (each
// channel's mean and standard deviation, another kernel between features)
// and run it beside or in place of the paper's terms. It enters the total
// as Weight times its value, whatever alpha and beta are; its value is
// logged as "term/<Name>" and its gradient comes from gorgonia's autodiff.
// Build only the loss on the features: gorgonia's elementwise and reduction
// ops (Sub, Square, Mean, Sum, Reshape, Mul ...) on Float32; the network
// stays on Stylelab's own ops.
type Term struct {
	Name   string  // unique among a run's terms: letters, digits, '_', '-', '.'
	Layer  string  // the tapped layer, e.g. "conv3_1"
	Weight float64 // its coefficient in the total loss
	// Source is the code that defines Build, recorded with the run (its
	// sha256 is part of the run's identity; a Lab saves the text as an
	// artifact). In a notebook, display.CellSource(ctx) gives the cell's text.
	Source string
	// Build returns the term's scalar (float32) node for in.Features.
	Build func(in TermInput) (*G.Node, error)
}

// TermInput is what a Term's Build receives for its layer.
type TermInput struct {
	Layer    string
	Features *G.Node   // the generated image's features at Layer, (C,H,W): what the term differentiates
	Styles   []*G.Node // each style image's features at Layer (C,Hs,Ws), held fixed
	Blend    []float64 // each style image's share of the style target (they sum to 1)
	Content  *G.Node   // the content image's features at Layer (C,H,W), held fixed
	Plan     *Plan     // the run's settings (Scaling, GramRescale ...)

	fixed fixedFeatures // the uncopied fixed nodes, whose values are there at build time
}

// GramTerm is the paper's style term E_l at one layer as a Term: the
// squared distance between the image's Gram matrix and the blend of the
// style images' (under the plan's scaling and Gram rescaling), exactly as
// Config.StyleLayers computes it. Mix it with custom terms in a cell.
func GramTerm(layer string, weight float64) Term {
	return Term{Name: "gram_" + layer, Layer: layer, Weight: weight,
		Source: fmt.Sprintf("transfer.GramTerm(%q, %s)", layer, formatFloat(weight)),
		Build: func(in TermInput) (*G.Node, error) {
			c, h, w, err := ops.CHW(in.Features.Shape())
			if err != nil {
				return nil, fmt.Errorf("transfer: gram term at %s: %w", in.Layer, err)
			}
			feats := make([]vgg.Feature, len(in.fixed.styles))
			for i, n := range in.fixed.styles {
				if feats[i], err = nodeFeature(n); err != nil {
					return nil, fmt.Errorf("transfer: gram term at %s: %w", in.Layer, err)
				}
			}
			target := gramTarget(in.Plan, feats, c, h*w)
			return loss.Style(in.Plan.Scaling, in.Layer, in.Features, target)
		}}
}

// ContentTerm is the paper's content term at one layer as a Term: the
// squared distance between the image's features and the content image's,
// under the plan's scaling.
func ContentTerm(layer string, weight float64) Term {
	return Term{Name: "content_" + layer, Layer: layer, Weight: weight,
		Source: fmt.Sprintf("transfer.ContentTerm(%q, %s)", layer, formatFloat(weight)),
		Build: func(in TermInput) (*G.Node, error) {
			f, err := nodeFeature(in.fixed.content)
			if err != nil {
				return nil, fmt.Errorf("transfer: content term at %s: %w", in.Layer, err)
			}
			return loss.Content(in.Plan.Scaling, in.Layer, in.Features, f.Data)
		}}
}

// SourceSHA256 is the sha256 of the term's Source, in hex.
func (t Term) SourceSHA256() string {
	sum := sha256.Sum256([]byte(t.Source))
	return hex.EncodeToString(sum[:])
}

// checkTerms reports every problem with a run's terms.
func checkTerms(terms []Term) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("transfer: "+format, a...)) }
	seen := map[string]bool{}
	for i, t := range terms {
		name := t.Name
		switch {
		case name == "":
			bad("term %d has no Name: give each term a short unique name such as \"meanstd_conv3_1\"", i+1)
			name = fmt.Sprintf("#%d", i+1)
		case strings.IndexFunc(name, func(r rune) bool { return !nameRune(r) }) >= 0:
			bad("term name %q: use letters, digits, '_', '-' and '.' only (it names a metric and a file)", name)
		case seen[name]:
			bad("term %q is listed twice: give each term its own name", name)
		}
		seen[name] = true
		if err := vgg.CheckLayers([]string{t.Layer}); err != nil {
			bad("term %s: %w", name, err)
		}
		if !validWeight(t.Weight) {
			bad("term %s has weight %v: it must be finite and >= 0", name, t.Weight)
		}
		if t.Build == nil {
			bad("term %s has no Build function: set Build to the func that makes its loss node", name)
		}
		if strings.TrimSpace(t.Source) == "" {
			bad("term %s has no Source: set Source to the code of its Build (display.CellSource(ctx) in a notebook), so that the run records what it optimised", name)
		}
	}
	return errs
}

func nameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.'
}

// termsParam is the "terms" parameter recorded with a run: each term's
// name, layer, weight and the sha256 of its source (first 16 hex digits).
func termsParam(terms []Term) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = fmt.Sprintf("%s:%s:%s:%s", t.Name, t.Layer, formatFloat(t.Weight), t.SourceSHA256()[:16])
	}
	return strings.Join(parts, ",")
}

// buildTerm builds term t on the features f of the graph's image, with the
// fixed features of layer t.Layer.
func buildTerm(p *Plan, t Term, f *G.Node, fixed fixedFeatures) (n *G.Node, err error) {
	defer func() {
		if r := recover(); r != nil { // gorgonia's Must panics on a shape mismatch
			err = fmt.Errorf("transfer: term %s panicked while building: %v", t.Name, r)
		}
	}()
	// gorgonia's ops may work in place on their inputs (a Reshape shares its
	// input's data): the term gets copies, so that it cannot change the
	// network's responses, which the backward pass reads.
	if f, err = copyNode(f); err != nil {
		return nil, err
	}
	in := TermInput{Layer: t.Layer, Features: f, Blend: p.Blend, Plan: p, fixed: fixed}
	if in.Content, err = copyNode(fixed.content); err != nil {
		return nil, err
	}
	for _, s := range fixed.styles {
		c, err := copyNode(s)
		if err != nil {
			return nil, err
		}
		in.Styles = append(in.Styles, c)
	}
	n, err = t.Build(in)
	if err != nil {
		return nil, fmt.Errorf("transfer: term %s: %w", t.Name, err)
	}
	if n == nil || !n.IsScalar() || n.Dtype() != tensor.Float32 {
		desc := "nil"
		if n != nil {
			desc = fmt.Sprintf("a %v node of shape %v", n.Dtype(), n.Shape())
		}
		return nil, fmt.Errorf("transfer: term %s returned %s: return a float32 scalar (for example gorgonia.Sum of the squared differences)", t.Name, desc)
	}
	return n, nil
}

// fixedFeatures are one layer's features of the content and style images
// as input nodes of a graph, bound to their values.
type fixedFeatures struct {
	content *G.Node
	styles  []*G.Node
}

// fixedNodes adds each term layer's fixed features to g.
func fixedNodes(g *G.ExprGraph, t targets) (map[string]fixedFeatures, error) {
	out := map[string]fixedFeatures{}
	node := func(name string, f vgg.Feature) (*G.Node, error) {
		if len(f.Data) == 0 {
			return nil, errors.New("transfer: no features for " + name)
		}
		v := tensor.New(tensor.WithShape(f.C, f.H, f.W), tensor.WithBacking(f.Data))
		return G.NewTensor(g, tensor.Float32, 3, G.WithShape(f.C, f.H, f.W), G.WithName(name), G.WithValue(v)), nil
	}
	for layer, c := range t.termContent {
		ff := fixedFeatures{}
		var err error
		if ff.content, err = node("content/"+layer, c); err != nil {
			return nil, err
		}
		for i, s := range t.termStyles[layer] {
			n, err := node(fmt.Sprintf("style%d/%s", i+1, layer), s)
			if err != nil {
				return nil, err
			}
			ff.styles = append(ff.styles, n)
		}
		out[layer] = ff
	}
	return out, nil
}

// nodeFeature reads a (C,H,W) node's value.
func nodeFeature(n *G.Node) (vgg.Feature, error) {
	if n == nil || n.Value() == nil {
		return vgg.Feature{}, errors.New("no value")
	}
	c, h, w, err := ops.CHW(n.Shape())
	if err != nil {
		return vgg.Feature{}, err
	}
	data, err := ops.Floats(n.Value())
	if err != nil {
		return vgg.Feature{}, err
	}
	return vgg.Feature{C: c, H: h, W: w, Data: data}, nil
}

// copyNode is a copy of a (C,H,W) node, its gradient passed through.
func copyNode(x *G.Node) (*G.Node, error) {
	same := func(s []tensor.Shape) (tensor.Shape, error) { return s[0], nil }
	op := ops.NewOp(ops.Spec{
		Name: "copy", In: []bool{true}, Shape: same,
		Do: func(out []float32, _ tensor.Shape, in []G.Value) (float32, error) {
			v, err := ops.Floats(in[0])
			copy(out, v)
			return 0, err
		},
		Grad: func(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
			back := ops.NewOp(ops.Spec{
				Name: "copy_grad", In: []bool{true}, Shape: same,
				Do: func(out []float32, _ tensor.Shape, in []G.Value) (float32, error) {
					v, err := ops.Floats(in[0])
					copy(out, v)
					return 0, err
				},
			})
			d, err := back.Apply(dy)
			return G.Nodes{d}, err
		},
	})
	return op.Apply(x)
}
