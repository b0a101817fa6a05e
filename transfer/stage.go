package transfer

import (
	"fmt"
	"image"
	"math"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/loss"
	"github.com/stylelab/stylelab/vgg"
)

// stage is the optimisation at one size: its targets, objective and start.
type stage struct {
	p    *Plan
	m    *vgg.Model
	w, h int
	obj  *objective
	x    []float32 // the network's input, preprocessed
	// content and styles as the network sees them (luminance-only transfer changes them)
	content image.Image
	styles  []image.Image
}

// newStage prepares scale si of plan p, starting from current (the previous
// scale's image) or from the plan's start.
func newStage(m *vgg.Model, p *Plan, si int, current *imaging.Planar) (*stage, error) {
	w, h := imaging.FitSize(p.Content.Image.Bounds(), p.Sizes[si])
	st, err := newStageAt(m, p, w, h)
	if err != nil {
		return nil, err
	}
	st.x = m.Weights().Preprocess.Preprocess(st.start(si, current).Pix)
	return st, nil
}

// newStageAt prepares the targets and objective of plan p for a w x h image.
func newStageAt(m *vgg.Model, p *Plan, w, h int) (*stage, error) {
	if err := checkMemory(p, w, h); err != nil {
		return nil, err
	}
	st, err := newInputs(m, p, w, h)
	if err != nil {
		return nil, err
	}
	t, err := st.targets()
	if err != nil {
		return nil, err
	}
	if st.obj, err = newObjective(m, p, h, w, t); err != nil {
		return nil, err
	}
	return st, nil
}

// newInputs is a stage without its objective yet, on the network's
// workspace set to the plan's convolution algorithm: the images as the
// network sees them at w x h.
func newInputs(m *vgg.Model, p *Plan, w, h int) (*stage, error) {
	if err := m.Workspace().SetAlgorithm(p.Convolution); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	st := &stage{p: p, m: m, w: w, h: h, content: p.Content.Image}
	for _, s := range p.Styles {
		st.styles = append(st.styles, s.Image)
	}
	if p.Colour == LuminanceOnly {
		st.content = imaging.Luminance(p.Content.Image)
		for i, s := range st.styles {
			st.styles[i] = imaging.MatchLuminance(s, p.Content.Image)
		}
	}
	return st, nil
}

func (st *stage) close() { st.obj.close() }

// start is where optimisation at scale si begins, in RGB [0,1].
func (st *stage) start(si int, current *imaging.Planar) *imaging.Planar {
	w, h := st.w, st.h
	switch {
	case si > 0 && current != nil:
		return imaging.ToPlanar(imaging.Resize(current.Image(), w, h))
	case st.p.Start == FromImage:
		return imaging.ToPlanar(imaging.Resize(st.p.Init.Image, w, h))
	case st.p.Start == FromContent:
		return imaging.ToPlanar(imaging.Resize(st.content, w, h))
	case st.p.Start == FromStyle:
		return imaging.ToPlanar(imaging.Resize(st.styles[0], w, h))
	}
	return imaging.Noise(w, h, st.p.Seed)
}

// image turns the network input x back into an image, applying the colour mode.
func (st *stage) image(x []float32) (*image.RGBA, error) {
	pre := st.m.Weights().Preprocess
	img := (&imaging.Planar{W: st.w, H: st.h, Pix: pre.Deprocess(x)}).Image()
	if st.p.Colour == TransferColours {
		return img, nil
	}
	out, err := imaging.KeepColours(img, imaging.Resize(st.p.Content.Image, st.w, st.h))
	if err != nil {
		return nil, fmt.Errorf("transfer: keeping the content's colours: %w", err)
	}
	return out, nil
}

// targets computes, for a w x h output, the content features and the
// blended style Gram matrices that the plan's terms need (none for a
// weight of 0), and the content and style features at the layers of its
// custom terms.
func (st *stage) targets() (targets, error) {
	m, p, w, h := st.m, st.p, st.w, st.h
	pre := m.Weights().Preprocess
	t := targets{content: map[string][]float32{}, style: map[string][]float32{},
		termContent: map[string]vgg.Feature{}, termStyles: map[string][]vgg.Feature{}}
	var contentTaps, styleTaps, termTaps []string
	if p.Alpha > 0 {
		contentTaps = p.ContentLayers
	}
	if p.Beta > 0 {
		styleTaps = p.StyleLayerNames()
	}
	for _, term := range p.Terms {
		termTaps = append(termTaps, term.Layer)
	}
	if len(contentTaps)+len(termTaps) > 0 {
		content := imaging.ToPlanar(imaging.Resize(st.content, w, h))
		feats, err := m.Features(pre.Preprocess(content.Pix), h, w, append(append([]string(nil), contentTaps...), termTaps...), p.Pooling)
		if err != nil {
			return t, fmt.Errorf("transfer: content features: %w", err)
		}
		for _, name := range contentTaps {
			t.content[name] = feats[name].Data
		}
		for _, name := range termTaps {
			t.termContent[name] = feats[name]
		}
	}
	if len(styleTaps)+len(termTaps) == 0 {
		return t, nil
	}
	longest := max(16, int(math.Round(p.StyleScale*float64(max(w, h)))))
	styleFeats := map[string][]vgg.Feature{}
	for i, s := range st.styles {
		style := imaging.ToPlanar(imaging.FitLongest(s, longest))
		feats, err := m.Features(pre.Preprocess(style.Pix), style.H, style.W, append(append([]string(nil), styleTaps...), termTaps...), p.Pooling)
		if err != nil {
			return t, fmt.Errorf("transfer: style %d features: %w", i+1, err)
		}
		for name, f := range feats {
			styleFeats[name] = append(styleFeats[name], f)
		}
	}
	for _, name := range styleTaps {
		c, lh, lw, err := vgg.LayerShape(name, h, w)
		if err != nil {
			return t, err
		}
		t.style[name] = gramTarget(p, styleFeats[name], c, lh*lw)
	}
	for _, name := range termTaps {
		t.termStyles[name] = styleFeats[name]
	}
	return t, nil
}

// gramTarget is the style target A_l of a layer with c channels and outM
// positions in the output: the blend of the style images' Gram matrices.
// With GramRescale each is rescaled from its image's size to the output's
// (by M_out/M_style), so that its statistics per position match whatever
// the two sizes.
func gramTarget(p *Plan, feats []vgg.Feature, c, outM int) []float32 {
	acc := make([]float32, c*c)
	gs, _, _ := p.Scaling.Factors(c, outM)
	for i, f := range feats {
		gStyle, _, _ := p.Scaling.Factors(f.C, f.H*f.W)
		gram := loss.Gram(p.Scaling, f.Data, f.C, f.H*f.W)
		k := p.Blend[i] * gs / gStyle
		if p.GramRescale {
			k *= float64(outM) / float64(f.H*f.W)
		}
		for j, v := range gram {
			acc[j] += float32(k) * v
		}
	}
	return acc
}
