package analysis

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
	"github.com/stylelab/stylelab/vgg"
)

// Shares is each layer's share of a quantity at a sequence of steps.
type Shares struct {
	Of     string // what is shared, e.g. "weighted style loss"
	Layers []string
	Steps  []int
	Values [][]float64 // Values[l][i] is layer l's share at Steps[i]; the shares at a step sum to 1
}

// At returns each layer's share at step index i.
func (s *Shares) At(i int) []float64 {
	out := make([]float64, len(s.Layers))
	for l := range s.Layers {
		out[l] = s.Values[l][i]
	}
	return out
}

// LossShares is each style layer's share of a logged run's style loss at
// every step: w_l E_l / sum_k w_k E_k, from the per-step metrics
// style/<layer> and the run's params style_layers and style_layer_weights.
func LossShares(rec *store.RunRecord) (*Shares, error) {
	if rec == nil {
		return nil, errors.New("analysis: LossShares needs a run record (lab.Store.Get(ctx, id))")
	}
	layersParam, ok := rec.Param("style_layers")
	if !ok {
		return nil, fmt.Errorf("analysis: run %d has no style_layers parameter", rec.ID)
	}
	layers := transfer.SplitList(layersParam)
	weights := make([]float64, len(layers))
	if wp, ok := rec.Param("style_layer_weights"); ok {
		parts := transfer.SplitList(wp)
		if len(parts) != len(layers) {
			return nil, fmt.Errorf("analysis: run %d has %d style layer weights for %d layers", rec.ID, len(parts), len(layers))
		}
		for i, p := range parts {
			v, err := strconv.ParseFloat(p, 64)
			if err != nil {
				return nil, fmt.Errorf("analysis: run %d: style layer weight %q: %w", rec.ID, p, err)
			}
			weights[i] = v
		}
	} else {
		for i := range weights {
			weights[i] = 1 / float64(len(layers))
		}
	}
	byStep := map[int][]float64{}
	for l, layer := range layers {
		steps, values := rec.Series("style/" + layer)
		if len(steps) == 0 {
			return nil, fmt.Errorf("analysis: run %d logged no style/%s (a run with beta 0 has no style terms)", rec.ID, layer)
		}
		for i, st := range steps {
			if byStep[st] == nil {
				byStep[st] = make([]float64, len(layers))
				for k := range byStep[st] {
					byStep[st][k] = math.NaN()
				}
			}
			byStep[st][l] = weights[l] * values[i]
		}
	}
	var steps []int
	for st, v := range byStep {
		if !hasNaN(v) {
			steps = append(steps, st)
		}
	}
	sort.Ints(steps)
	s := &Shares{Of: "weighted style loss", Layers: layers, Steps: steps, Values: make([][]float64, len(layers))}
	for _, st := range steps {
		s.add(byStep[st])
	}
	return s, nil
}

// GradientShares is each style layer's share of the style gradient at
// each of images (a run's snapshots, say, at steps), under plan p: the
// norm of the gradient of beta w_l E_l with respect to the pixels, over
// the sum of those norms. The layers' gradients are vectors that partly
// cancel, so the shares say how hard each layer pulls, not how much of
// the total gradient it makes.
func GradientShares(m *vgg.Model, p *transfer.Plan, steps []int, images []image.Image) (*Shares, error) {
	if len(steps) != len(images) {
		return nil, fmt.Errorf("analysis: %d steps for %d images: give one step per image", len(steps), len(images))
	}
	s := &Shares{Of: "style gradient norm", Layers: p.StyleLayerNames(), Steps: append([]int(nil), steps...), Values: make([][]float64, len(p.StyleLayers))}
	for i, img := range images {
		maps, err := transfer.LayerGradients(m, p, img)
		if err != nil {
			return nil, fmt.Errorf("analysis: image at step %d: %w", steps[i], err)
		}
		norms := make([]float64, len(maps))
		for l, lm := range maps {
			norms[l] = lm.Norm
		}
		s.add(norms)
	}
	return s, nil
}

// add appends one step's values, normalised to sum to 1.
func (s *Shares) add(v []float64) {
	var sum float64
	for _, x := range v {
		sum += x
	}
	for l, x := range v {
		share := 0.0
		if sum > 0 {
			share = x / sum
		}
		s.Values[l] = append(s.Values[l], share)
	}
}

func hasNaN(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) {
			return true
		}
	}
	return false
}

// Snapshots reads a run's snapshot images in step order, and its final
// image as the last step: the images GradientShares measures.
func Snapshots(rec *store.RunRecord) (steps []int, images []image.Image, err error) {
	if rec == nil {
		return nil, nil, errors.New("analysis: Snapshots needs a run record")
	}
	type shot struct {
		step int
		path string
	}
	var shots []shot
	final := shot{step: -1}
	for _, a := range rec.Artifacts {
		switch a.Kind {
		case store.KindSnapshot:
			shots = append(shots, shot{a.Step, a.Path})
		case store.KindFinal:
			final = shot{a.Step, a.Path}
		}
	}
	sort.Slice(shots, func(i, j int) bool { return shots[i].step < shots[j].step })
	if final.step >= 0 && (len(shots) == 0 || shots[len(shots)-1].step < final.step) {
		shots = append(shots, final)
	}
	if len(shots) == 0 {
		return nil, nil, fmt.Errorf("analysis: run %d has no snapshots or final image (run with SnapshotEvery > 0)", rec.ID)
	}
	for _, s := range shots {
		img, err := imaging.Load(s.path)
		if err != nil {
			return nil, nil, fmt.Errorf("analysis: run %d: %w", rec.ID, err)
		}
		steps, images = append(steps, s.step), append(images, img)
	}
	return steps, images, nil
}

// String lists the shares at the first and last step.
func (s *Shares) String() string {
	if len(s.Steps) == 0 {
		return "no steps"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "share of the %s", s.Of)
	for _, i := range []int{0, len(s.Steps) - 1} {
		fmt.Fprintf(&b, "\nstep %d:", s.Steps[i])
		for l, layer := range s.Layers {
			fmt.Fprintf(&b, " %s %.3f", layer, s.Values[l][i])
		}
	}
	return b.String()
}
