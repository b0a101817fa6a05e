#!/usr/bin/python3
"""Writes the notebooks in this folder from the cells below (without outputs).

Run it after editing a notebook here: code cells whose source is unchanged keep
their outputs; execute the notebooks with run.sh for the others.
"""
import json
import pathlib

HERE = pathlib.Path(__file__).parent

SETUP = '''import (
	"fmt"
	"os"
	"time"

	"github.com/stylelab/stylelab/compare"
	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/kernel/display"
	"github.com/stylelab/stylelab/transfer"
)

// The shared data (weights, images) is found at ../../shared from this folder,
// or where STYLELAB_SHARED points. STYLELAB_QUICK=1 shrinks every run (CI does).
shared := os.Getenv("STYLELAB_SHARED")
if shared == "" {
	shared = "../../shared"
}
quick := os.Getenv("STYLELAB_QUICK") != ""
image := func(name string) string { return shared + "/images/" + name }
started := time.Now()
lab, err := display.OpenLab(ctx, shared+"/weights/vgg19-imagenet-tfjs-uint8", "") // shows its progress
if err != nil {
	panic(err)
}'''

CREDIT = ("*Neckarfront, Tübingen: photo by Andreas Praefcke, CC BY 3.0. Paintings: The Starry Night (van Gogh, 1889), "
          "The Shipwreck of the Minotaur (Turner, c. 1805), The Scream (Munch, 1893), Composition VII (Kandinsky, 1913), "
          "all public domain.*")

FINDINGS_07 = """## What the runs show

At 256 px, 100 iterations, with the shared (ImageNet, not rescaled) VGG-19 weights and the paper's loss scaling:

- **One layer carries the style loss.** With the paper's equal weights, `conv4_1` holds 90 to 96% of the
  weighted style loss through the whole run (95.5% at the first iteration, 89.8% at the last); `conv2_1` and
  `conv3_1` share the rest (6% and 4% at the end); `conv1_1` and `conv5_1` stay under 0.2% each. The gradient
  says the same: `conv4_1`'s share of the summed gradient norms is 95% on the noise image and 92% at the end,
  `conv1_1`'s and `conv5_1`'s under 0.1%. A likely reason, not tested here: the paper used a VGG-19 whose filters
  were rescaled to mean activation 1, while these weights are not, and E_l grows with the fourth power of a
  layer's responses.
- **Where the layers act.** On the noise image `conv1_1` and `conv2_1` pull everywhere in a fine grain,
  `conv3_1` in blobs a few pixels wide, `conv4_1` everywhere in a coarser grain, and `conv5_1` in a few large
  patches (the bottom right corner, the top). On the result, `conv1_1`'s map traces the outlines of the painted
  structures, `conv3_1` acts in separate blobs, and `conv5_1` in broad patches on the right and at the top.
- **Distances between the paintings depend on the layer.** At `conv1_1` The Starry Night is nearest the
  Tübingen photo (0.63; both are mostly blue) and farthest from The Scream (1.21). At `conv2_1`, `conv3_1` and
  `conv4_1` its nearest is Composition VII (0.43, 0.55, 0.72) and the photo is the farthest of all (0.94 to
  1.31), while the Shipwreck is nearest the photo at `conv2_1` (0.37). At `conv5_1` every pair is 1.0 to 1.5
  apart: the deepest layer sets every image about equally far from every other.
- **Each layer alone.** With the same α/β, `conv1_1`, `conv2_1`, `conv3_1` or `conv5_1` alone leave the photo
  nearly as it was (a bluer tint and a faint grain from `conv2_1` and `conv3_1`); `conv4_1` alone turns it into
  the painting's swirls and strokes, and the houses all but disappear.
- **Tilting the weights changes little.** Fine-heavy (0.52 ... 0.03), equal and coarse-heavy (0.03 ... 0.52)
  weights give three similar images (the fine-heavy one keeps a little more of the houses on the right), and
  `conv4_1`'s share of the style loss at the end stays at 0.90, 0.90 and 0.93: a factor of 16 between the end
  weights does not outweigh the gap between `conv4_1`'s loss and the others'.
- **Mean and standard deviation instead of Gram matrices.** With each layer's mean/std term weighted to match
  its Gram term on the noise image, the run reaches a lower total loss (1.30e10 against 1.72e10) with a lower
  content loss (1.12e10 against 1.35e10). Each result matches its own statistics better: by the Gram loss the
  mean/std image is 2.5 times farther from the painting (β·style 9.1e9 against 3.6e9), and by the mean/std
  terms the Gram image is 2.4 times farther (4.3e9 against 1.8e9). Both images have the painting's palette and
  swirling strokes; the mean/std one keeps more of the houses on the right and of the river bank.

Run times on the shared two-core machine (busy with other work): one set of heat maps at 256×192 (one forward
pass, five backward passes) took 10.7 s, the six sets of gradient shares 61.5 s, the distance matrices of five
images at 256 px 14.3 s, and the whole notebook 38 minutes."""

GRAIN_03 = """**Grain.** `imaging.GrainRatio` divides the mean absolute difference between neighbouring pixels of an output
by the same figure for its painting resized to the output's size: about 1 when the output is as fine-grained as the
painting, well above 1 when it carries pixel noise the painting does not. The values before are those of the 224 px
outputs committed earlier with the previous engine (pixels unbounded, a fixed 250 iterations), measured on that
figure's tiles; a ratio of 1.5 or less is the aim."""

FINDINGS_08 = """## What the runs show

At 128 px, every run stopped at the 100-iteration cap (not by the loss tolerance), 21 to 45 s each, the notebook
7 min on the shared two-core machine.

- **Raw network: from texture to photo between 1e-3 and 1e-1.** Up to 1e-4 the image is Composition VII's texture
  with no trace of the photo; at 1e-3 still texture; at 1e-2 the row of houses and the river bank show through the
  painting's colours and shapes (the middle of the passage); at 1e-1 and 1 it is the photo, with the painting's
  colours left only as a coloured speckle in the sky. The losses put the balance at α/β = 0.064.
- **Normalised network: from texture to photo between 1e-7 and 1e-5.** Up to 1e-7 texture; at 1e-6 the houses
  begin to show through the painting's facets (the middle); at 1e-5 the photo in the painting's palette; at 1e-4
  and 1e-3 the photo, its sky speckled. The losses put the balance at α/β = 3e-6. The same picture thus needs an
  α/β about 1e4 smaller on the normalised network (2e4 by the two balances). The paper's Fig. 4 shows this passage
  across its columns 1e-5 to 1e-2 on its normalised network at 512 px, some 1e3 above where it lies here. Size does
  not explain that: under the paper's loss scaling the content loss (a sum over positions) grows 16 times from
  128 to 512 px while the style loss (Gram matrices per position) does not, so at 512 px the passage would lie
  about 16 times lower still (reasoned from the scaling, not run here).
- **Content share of the final loss.** α·content is 0.5% of the loss at 1e-6 on the raw network, rises to 77% at
  1e-2, and falls again (27% at 1) once the photo is reproduced and the style mismatch is most of what remains; on
  the normalised network it rises from 4% at 1e-9 to 66% at 1e-6 and is 90% at 1e-3.
- **Style layers.** On the raw network `conv4_1` carries 87 to 97% of the weighted style loss at the end of every run
  (more, the larger α/β), `conv3_1` 2 to 8%, `conv2_1` 1 to 5%, `conv1_1` and `conv5_1` under 0.5%. On the
  normalised network the shares are spread: `conv5_1` 35 to 58%, `conv4_1` 17 to 34%, `conv3_1` 9 to 24%,
  `conv2_1` 2 to 9%, `conv1_1` 1 to 11%. Equal w_l thus mean nearly one style layer on the raw network and five on
  the normalised one."""

FINDINGS_03 = """## What the runs show

At 512 px (64, 128, 256, then 512 px, at most 300 iterations each), bounded pixels, the raw network, on the shared
two-core machine: the Shipwreck, The Starry Night and Composition VII took 20m41s, 19m31s and 14m59s (two threads,
with other work beside them for part of the time); The Scream, run again with its TV term, 26m57s on one thread
beside two other runs. Nearly every size of every run stopped at the 300-iteration cap, not by the loss tolerance
(The Scream's 128 px stage converged after 286): at 512 px the loss still fell about 0.3% per 20 iterations at the
end (the tolerance is 0.1%). This notebook's last execution reused all four runs from its store (the bar above).

- **Grain.** Against each painting the grain ratio is 1.23 (Shipwreck), 0.99 (The Starry Night), 1.25 (The Scream)
  and 1.22 (Composition VII), against 7.53, 3.52, 6.88 and 3.85 for the earlier 224 px outputs (unbounded pixels,
  250 iterations from noise at full size): all four reach the aim of 1.5 or less. Starting from noise at 64 px did
  most of it: the coarse sizes leave smooth, upsampled shapes, where noise started at full size stayed as speckle.
  The Scream, painted in broad smooth washes, needed more: without a TV term its grain was 1.56 when the 512 px
  stage began and 1.81 at the end, a fine speckle in the sky that the painting does not have. The TV term (weight
  2; about 2.5% of its final loss) removes it without flattening the strokes; in trials to 256 px, weight 2 gave
  1.15 and weight 8 gave 0.93 with visibly blurred houses.
- **Style against content.** With the paper's ratios on the raw network, The Starry Night and Composition VII
  rework the whole picture: the sky becomes The Starry Night's swirling strokes and yellow blobs, or Composition
  VII's coloured facets, while every house stays in place. The Shipwreck and The Scream keep much more of the
  photo: its colours in the houses, a sharp tower and windows, with the painting's palette and texture mainly in
  the sky, the trees and the water. The paper's ratios were chosen on the normalised network, whose α/β scale is
  not the raw network's (notebook 08)."""

FOOTER = '''fmt.Printf("notebook run time: %s\\n", time.Since(started).Round(time.Second))'''


def scales(full_scales, full_iters):
    """The cell of a coarse-to-fine notebook: its sizes and iteration cap per size."""
    return f'''scales, iterations := []int{{{full_scales}}}, {full_iters}
if quick {{
	scales, iterations = []int{{48}}, 3
}}
fmt.Printf("sizes %v px, at most %d L-BFGS iterations per size\\n", scales, iterations)'''


def sizes(full_size, full_iters):
    return f'''size, iterations := {full_size}, {full_iters}
if quick {{
	size, iterations = 48, 3
}}
fmt.Printf("size %d px, %d L-BFGS iterations per run\\n", size, iterations)'''


NOTEBOOKS = {
    "01-tour.ipynb": [
        ("md", f"""# A tour of Stylelab

This notebook runs the algorithm of Gatys, Ecker and Bethge (*Image Style Transfer Using Convolutional Neural
Networks*, CVPR 2016) on the shared VGG-19: an image is optimised so that its features match the content photo's
at `conv4_2` and the Gram matrices of the painting's features at `conv1_1` ... `conv5_1`, with
loss = α·content + β·style. Every run is logged to the experiment store as it happens.

What to look for: the live bar and preview while a run goes; the loss curves (log scale) afterwards; how a larger
α/β keeps more of the photo; the same runs found again in the store.

{CREDIT}"""),
        ("code", SETUP),
        ("code", sizes(256, 100)),
        ("md", "One transfer with the paper's settings (α/β = 1e-3, average pooling, the raw VGG-19, L-BFGS from the content photo "
               "to converge quickly). The bar and the preview update in place; interrupting the cell stops the run at "
               "its next iteration and the store keeps it as INTERRUPTED."),
        ("code", '''cfg := transfer.Defaults()
cfg.Experiment, cfg.Name = "tour", "ratio 1e-3"
cfg.ContentPath = image("tubingen.jpg")
cfg.Styles = []transfer.Style{{Path: image("starry_night.jpg")}}
cfg.Size, cfg.Iterations, cfg.Init = size, iterations, "content"
first, err := display.Transfer(ctx, lab, cfg)
if err != nil {
	panic(err)
}
first'''),
        ("md", "The losses of that run, total, content and style, on a log scale:"),
        ("code", '''png, err := experiments.LossPlot(first)
if err != nil {
	panic(err)
}
display.PNG(png)'''),
        ("md", "Now with α/β = 1e-2: the content term weighs ten times more, so more of the photo survives."),
        ("code", '''cfg.Name, cfg.Ratio = "ratio 1e-2", 1e-2
second, err := display.Transfer(ctx, lab, cfg)
if err != nil {
	panic(err)
}
display.Compare(first, second)''', "grid"),
        ("md", "Every run is in the store. A query selects runs by parameters, metrics and tags:"),
        ("code", '''runs, err := lab.Store.Runs(ctx, `experiment = "tour" and params.ratio <= 1e-3 order by metrics.style`)
if err != nil {
	panic(err)
}
for _, r := range runs {
	ratio, _ := r.Param("ratio")
	fmt.Printf("run %d  %-12s  ratio %s  style %.4g  content %.4g\\n", r.ID, r.Name, ratio, r.Last["style"], r.Last["content"])
}
cmp, err := compare.Query(ctx, lab.Store, `experiment = "tour"`)
if err != nil {
	panic(err)
}
display.HTML(cmp.HTML())'''),
        ("code", FOOTER),
    ],
}

GRID = "grid"  # tag of the cell that shows a notebook's figure; the tests look for its image

NOTEBOOKS.update({
    "02-style-reconstructions.ipynb": [
        ("md", f"""# Content and style reconstructions by layer (paper, Fig. 1)

Gatys et al. look at what VGG-19 keeps of an image at each depth by reconstructing images from white noise that
match only one representation.

**Content reconstructions** (top row): the photo's features are matched at one layer, `conv1_2`, `conv2_2`,
`conv3_2`, `conv4_2` or `conv5_2`, with no style term (α = 1, β = 0). What to look for: from the low layers the
photo comes back almost pixel for pixel; from the higher layers the arrangement of the objects (the houses along
the river, the roofs, the sky) is kept but the exact pixels, colours and fine texture are not, because the deep
features describe what is where rather than the pixels themselves.

**Style reconstructions** (bottom row): the Gram matrices of The Starry Night's features are matched on
`conv1_1`, then `conv1_1`+`conv2_1`, and so on up to `conv1_1` ... `conv5_1` (α = 0, β = 1). The result is a
texture with the painting's statistics. What to look for: with the first layer only it is fine-grained colour
noise; each deeper layer adds larger structures (strokes, swirls, the stars' halos). At 256 px the deepest
layers have few positions at small sizes, so their statistics are estimated from little of the image: the style
reconstructions are made at 512 px, as in the paper.

Settings: the paper's loss scaling, w_l = 1/(number of layers), average pooling, the raw VGG-19 (the shared ImageNet
weights, not normalised; notebook 08 shows how its α/β scale differs from the paper's normalised network), L-BFGS
with every pixel kept in 0..255, from white noise (seed 0) reached coarse to fine as in notebook 03: the style
reconstructions at 64, 128, 256 and 512 px, the content reconstructions at 64, 128 and 256 px (the shared two-core
machine did not allow these at 512 px too). Each size stops when the loss falls by less than 0.1% over 20 iterations
or at the cap printed below; each run's iterations, stops and run time are printed under the figure, and the
notebook's run time at the end. Cells run with `display.Options{{Reuse: true}}`: runs already finished in the
notebook's store are shown, not repeated.

{CREDIT}"""),
        ("code", SETUP),
        ("code", """contentScales, styleScales, iterations := []int{64, 128, 256}, []int{64, 128, 256, 512}, 200
if quick {
	contentScales, styleScales, iterations = []int{48}, []int{48}, 3
}
fmt.Printf("content reconstructions at %v px, style reconstructions at %v px, at most %d L-BFGS iterations per size\\n",
	contentScales, styleScales, iterations)"""),
        ("md", "The content reconstructions, one run per layer, each matching the photo's features at that layer only:"),
        ("code", """var contentRuns []*transfer.Result
for _, layer := range []string{"conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2"} {
	cfg := transfer.Defaults()
	cfg.Experiment, cfg.Name = "fig1-content-reconstructions", layer
	cfg.ContentPath = image("tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: image("starry_night.jpg")}} // not matched: beta is 0
	cfg.ContentLayers = []string{layer}
	cfg.Alpha, cfg.Ratio, cfg.Beta = 1, 0, 0 // content only
	cfg.Scales, cfg.Iterations = contentScales, iterations
	res, err := display.TransferWith(ctx, lab, cfg, display.Options{Reuse: true})
	if err != nil {
		panic(err)
	}
	contentRuns = append(contentRuns, res)
	display.Clear(ctx, true)
}
fmt.Printf("content reconstructions: %s\\n", time.Since(started).Round(time.Second))"""),
        ("md", "The style reconstructions, from `conv1_1` alone to `conv1_1` ... `conv5_1`:"),
        ("code", """sets := [][]string{
	{"conv1_1"},
	{"conv1_1", "conv2_1"},
	{"conv1_1", "conv2_1", "conv3_1"},
	{"conv1_1", "conv2_1", "conv3_1", "conv4_1"},
	{"conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"},
}
var styleRuns []*transfer.Result
for _, layers := range sets {
	cfg := transfer.Defaults()
	cfg.Experiment = "fig1-style-reconstructions"
	cfg.Name = layers[len(layers)-1]
	cfg.ContentPath = image("starry_night.jpg") // sets the size and shape; its content weight is 0
	cfg.Styles = []transfer.Style{{Path: image("starry_night.jpg")}}
	cfg.StyleLayers = transfer.EqualWeights(layers...)
	cfg.Alpha, cfg.Ratio, cfg.Beta = 0, 0, 1 // style only
	cfg.Scales, cfg.Iterations = styleScales, iterations
	res, err := display.TransferWith(ctx, lab, cfg, display.Options{Reuse: true})
	if err != nil {
		panic(err)
	}
	styleRuns = append(styleRuns, res)
	display.Clear(ctx, true)
}
fmt.Printf("content and style reconstructions: %s\\n", time.Since(started).Round(time.Second))"""),
        ("md", "Fig. 1: content reconstructions (top, from `conv1_2` to `conv5_2`) and style reconstructions (bottom, "
               "from `conv1_1` alone to `conv1_1` ... `conv5_1`):"),
        ("code", """import "github.com/stylelab/stylelab/plots"

cells := [][]plots.Cell{{}, {}}
for i := range contentRuns {
	cells[0] = append(cells[0], plots.Cell{Image: contentRuns[i].Image, Label: "content " + contentRuns[i].Plan.ContentLayers[0]})
	cells[1] = append(cells[1], plots.Cell{Image: styleRuns[i].Image, Label: "style up to " + styleRuns[i].Plan.Name})
}
grid, err := plots.Grid("Reconstructions from white noise", []string{"content", "style"}, nil, cells, 320)
if err != nil {
	panic(err)
}
grid""", GRID),
        ("md", "How each run ended: iterations in all, why each size stopped (`loss-tolerance`: converged; `iterations`: "
               "the cap), its run time on the shared two-core machine, and its final size."),
        ("code", """for _, res := range append(append([]*transfer.Result(nil), contentRuns...), styleRuns...) {
	fmt.Printf("%-28s %-9s %4d iterations, stops %v, %s, %dx%d\\n", res.Plan.Experiment, res.Plan.Name, res.Iterations,
		res.Stops, res.Elapsed.Round(time.Second), res.Image.Rect.Dx(), res.Image.Rect.Dy())
}"""),
        ("md", "The style reconstructions at full size, from `conv1_1` alone (left) to `conv1_1` ... `conv5_1` (right):"),
        ("code", """var styleCells [][]plots.Cell
for i, res := range styleRuns {
	if i%3 == 0 {
		styleCells = append(styleCells, nil)
	}
	styleCells[len(styleCells)-1] = append(styleCells[len(styleCells)-1], plots.Cell{Image: res.Image, Label: "up to " + res.Plan.Name})
}
for len(styleCells[len(styleCells)-1]) < 3 {
	styleCells[len(styleCells)-1] = append(styleCells[len(styleCells)-1], plots.Cell{})
}
full, err := plots.Grid("Style reconstructions of The Starry Night", nil, nil, styleCells, styleScales[len(styleScales)-1])
if err != nil {
	panic(err)
}
full"""),
        ("md", "The content runs' losses (log scale). Their sizes differ from layer to layer (each sums its own "
               "layer's squared differences); what compares is how far each falls in the same number of iterations."),
        ("code", """cmp, err := compare.Query(ctx, lab.Store, `experiment = "fig1-content-reconstructions" and status = "FINISHED"`)
if err != nil {
	panic(err)
}
curves, err := cmp.Curves("content loss", []string{"content"}, true)
if err != nil {
	panic(err)
}
curves"""),
        ("code", FOOTER),
        ("md", """## What the figures show

Content reconstructions at 256 px (64, 128, then 256 px), style reconstructions at 512 px (64, 128, 256, then
512 px), at most 200 iterations per size, every size of every run at its cap; the content runs took 43 s to 5m36s
(deeper layers cost more), the style runs 1m26s to 13m13s, the notebook 47 min on one core of the shared two-core
machine while other runs used the second.

From `conv1_2`, `conv2_2` and `conv3_2` the photo comes back as it is; from `conv4_2` every house, window and
reflection is in place with a faint colour grain in the sky; from `conv5_2` only the arrangement survives (the row of
houses, the tower, the river bank, the tree), its colours and fine texture replaced by coloured speckle.

In the style row, `conv1_1` alone gives blotches of the painting's blues, yellows and blacks with no strokes; adding
`conv2_1` brings brush strokes and yellow star-like blobs; with `conv3_1` the strokes lengthen into swirls, and the
cypress and the moon appear. With `conv4_1` and `conv5_1` the reconstruction is close to the painting itself: the
great swirl, the stars, the moon and the cypress in about their places. That is an effect of starting at 64 px: at
that size `conv4_1` and `conv5_1` have only 8×5 and 4×2 positions, so their Gram matrices pin down the painting's
layout; the paper's Fig. 1, made at full size from noise, shows textures without the layout."""),
    ],
    "03-four-styles.ipynb": [
        ("md", f"""# Tübingen in four styles (paper, Fig. 3)

The Neckarfront in Tübingen rendered in the style of four paintings, each with the α/β ratio the paper gives for
it: The Shipwreck of the Minotaur 1e-3, The Starry Night 8e-4, The Scream 5e-3, Composition VII 5e-4.
(The paper's Femme nue assise by Picasso is still under copyright and is left out.)

What to look for: the buildings, the river and the sky stay where they are (content matched at `conv4_2`), while
colours and textures come from each painting; with a ratio as low as 5e-4 Composition VII dissolves more of the
photo than The Scream at 5e-3.

Settings: 512 px on the longest side, reached coarse to fine: white noise (seed 0) at 64 px, the result upsampled
and optimised again at 128, 256 and 512 px. Noise started at 64 px becomes, upsampled, smooth at the finer sizes,
and the finer sizes add only the detail the losses ask for; started at full size, the pixel noise the deep layers
barely see stays as speckle (in a trial at 256 px from noise, The Scream's grain ratio was still 5.7 after 300
iterations; from 64 px through 128 to 256 px it was 1.5 after 150 per size). Content `conv4_2`, style `conv1_1` ...
`conv5_1` with w_l = 1/5, the paper's loss scaling, average pooling, the **raw** VGG-19 (the shared ImageNet
weights, not normalised: the ratios above are the paper's, applied to this network), L-BFGS with every pixel kept in
0..255, each size stopped when the loss falls by less than 0.1% over 20 iterations or at the cap printed below.
The Scream alone adds a small total-variation term (weight 2, about 2% of its final loss): with the highest α/β of
the four, its content term at `conv4_2` dominates, and matching deep features leaves a fine speckle in flat regions
(see the content reconstructions of notebook 02) that its smooth sky shows; without the term its grain ratio was
1.81 (the last version of this notebook), with it it is printed below. Each run's iterations, why each size
stopped, and its run time are printed under the figure.

Cells run with `display.Options{{Reuse: true}}`: a run whose settings, images and weights match one already
finished in the notebook's store is shown again from the store, not repeated. The committed outputs were made
that way on the shared two-core machine: three runs are those of the last version (unchanged settings), and The
Scream's run with the new term was made beside them by `stylelab run` with the same settings; executed on a fresh
store, the notebook runs all four.

{CREDIT}"""),
        ("code", SETUP),
        ("code", scales("64, 128, 256, 512", 300)),
        ("code", """paintings := []struct {
	name, file string
	ratio, tv  float64
}{
	{"Shipwreck of the Minotaur", "shipwreck.jpg", 1e-3, 0},
	{"The Starry Night", "starry_night.jpg", 8e-4, 0},
	{"The Scream", "the_scream.jpg", 5e-3, 2},
	{"Composition VII", "composition_vii.jpg", 5e-4, 0},
}
var results []*transfer.Result
for _, p := range paintings {
	cfg := transfer.Defaults()
	cfg.Experiment, cfg.Name = "fig3-four-styles", p.name
	cfg.ContentPath = image("tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: image(p.file)}}
	cfg.Ratio, cfg.TVWeight = p.ratio, p.tv
	cfg.Scales, cfg.Iterations = scales, iterations
	res, err := display.TransferWith(ctx, lab, cfg, display.Options{Reuse: true})
	if err != nil {
		panic(err)
	}
	results = append(results, res)
	display.Clear(ctx, true)
}"""),
        ("code", """cmp := display.Compare(results...) // these four runs (the store may hold earlier ones too)
grid, err := cmp.Grid("Tübingen in four styles", "", "name", 512)
if err != nil {
	panic(err)
}
grid""", GRID),
        ("md", "How each run ended: iterations and loss evaluations in all, why each size stopped (`loss-tolerance`: "
               "converged; `iterations`: the cap), and its run time on the shared two-core machine."),
        ("code", """for i, res := range results {
	fmt.Printf("%-26s  %d iterations, %d evaluations, stops %v, %s\\n", paintings[i].name, res.Iterations,
		res.Evaluations, res.Stops, res.Elapsed.Round(time.Second))
}"""),
        ("md", GRAIN_03),
        ("code", """import "github.com/stylelab/stylelab/imaging"

// Measured with imaging.GrainRatio on the 224 px outputs committed before (unbounded pixels, 250 iterations).
before := map[string]float64{"Shipwreck of the Minotaur": 7.53, "The Starry Night": 3.52, "The Scream": 6.88, "Composition VII": 3.85}
for i, res := range results {
	style, err := imaging.Load(image(paintings[i].file))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%-26s  grain ratio %.2f (before: %.2f)\\n", paintings[i].name, imaging.GrainRatio(res.Image, style), before[paintings[i].name])
}"""),
        ("code", "display.HTML(cmp.HTML())"),
        ("code", FOOTER),
        ("md", FINDINGS_03),
    ],
    "04-layers-by-ratio.ipynb": [
        ("md", f"""# Style layers against α/β (paper, Fig. 4)

Composition VII on Tübingen, with the style matched on more and more layers (rows: `conv1_1`, then up to
`conv1_1` ... `conv5_1`) and α/β from 1e-5 to 1e-2 (columns).

What to look for: along a row, a larger α/β brings back the photo; down a column, deeper style layers turn local
colour texture into larger, smoother structures that follow the painting. The paper's point: style and content
can be traded against each other, and the style's scale depends on the layers used.

Settings: content `conv4_2`, w_l = 1/(number of layers), the paper's loss scaling, average pooling, the **raw**
VGG-19 (the shared ImageNet weights, not normalised: the columns are the paper's ratios, applied to this network;
notebook 08 shows how its α/β scale differs from the paper's normalised network), 256 px reached coarse to fine as in
notebook 03 (white noise, seed 0, at 64 px, then 128 and 256 px), L-BFGS with every pixel kept in 0..255, each size
stopped when the loss falls by less than 0.1% over 20 iterations or at the cap printed below.

The runs form one sweep: executing the notebook again skips the points already finished in its store, and other
processes may share the work. The committed outputs were made that way: on the shared two-core machine the 20 runs
were run by `stylelab sweep -engine local -workers 2` on the notebook's store (the command is printed below), and
the notebook then found every point finished; executed alone, it runs them itself.

{CREDIT}"""),
        ("code", SETUP),
        ("code", scales("64, 128, 256", 200)),
        ("code", """base := transfer.Defaults()
base.Experiment = "fig4-layers-by-ratio"
base.ContentPath = image("tubingen.jpg")
base.Styles = []transfer.Style{{Path: image("composition_vii.jpg")}}
base.Scales, base.Iterations = scales, iterations
axes := []experiments.Axis{
	{Param: "style_layers", Values: []string{"conv1_1", "conv1_1,conv2_1", "conv1_1,conv2_1,conv3_1",
		"conv1_1,conv2_1,conv3_1,conv4_1", "conv1_1,conv2_1,conv3_1,conv4_1,conv5_1"}},
	{Param: "ratio", Values: []string{"1e-5", "1e-4", "1e-3", "1e-2"}},
}
points, err := lab.Sweep(ctx, base, axes, transfer.Hooks{}, func(done, total int, p experiments.SweepPoint) {
	fmt.Printf("%2d/%d  run %d  %s=%s %s=%s  skipped=%v\\n", done, total, p.RunID,
		p.Settings[0].Key, p.Settings[0].Value, p.Settings[1].Key, p.Settings[1].Value, p.Skipped)
})
if err != nil {
	panic(err)
}
len(points)"""),
        ("code", """cmp, err := compare.Query(ctx, lab.Store, `experiment = "fig4-layers-by-ratio" and status = "FINISHED"`)
if err != nil {
	panic(err)
}
grid, err := cmp.Grid("Composition VII on Tübingen: style layers (rows) by alpha/beta (columns)", "style_layers", "ratio", 192)
if err != nil {
	panic(err)
}
grid""", GRID),
        ("md", "How each run ended: its iterations in all (over the three sizes), why each size stopped (`loss-tolerance`: "
               "converged; `iterations`: the cap), its run time, and the machine and process that ran it."),
        ("code", """for _, r := range cmp.Runs {
	fmt.Printf("run %2d  %-52s  %3d iterations  %-50s  %6s  %s pid %d\\n", r.ID, r.Name, r.LastStep, r.Message,
		r.Duration.Round(time.Second), r.Host, r.PID)
}"""),
        ("md", "The style loss of each run over the iterations (log scale): more layers, more style loss to remove."),
        ("code", """curves, err := cmp.Curves("style loss", []string{"style"}, true)
if err != nil {
	panic(err)
}
curves"""),
        ("code", FOOTER),
        ("md", """## What the runs show

At 256 px (64, 128, then 256 px, at most 200 iterations per size), bounded, the raw network: every size of every
run stopped at its cap; the runs took 2m30s to 5m14s each on one core, in two worker processes on the shared
two-core machine (about 75 min in all for the 20).

The paper's trend is there. Down a column, deeper style layers turn local texture into the painting's structures:
with `conv1_1` alone the photo stays, with a coloured speckle in the sky at small α/β; with `conv2_1` added the
speckle grows into small coloured patches; with `conv3_1` the painting's facets and strokes cover the sky and the
houses at 1e-5; with `conv4_1` (and `conv5_1`) they make a full Composition VII texture at 1e-5 and 1e-4, with no trace
of the photo. Along a row, a larger α/β brings the photo back: at 1e-3 the houses stand out of the texture in the
deep rows, and at 1e-2 every row is the photo in Composition VII's colours, with the facets left in the sky. On
this raw network the passage from texture to photo lies between 1e-4 and 1e-2 for the deep rows (notebook 08 puts
it between 1e-3 and 1e-1 at 128 px; the content loss grows with the size, so the passage moves down as the image
grows)."""),
    ],
    "05-content-layer.ipynb": [
        ("md", f"""# Matching the content at conv2_2 or conv4_2 (paper, Fig. 5)

The same transfer with the content matched at a low layer (`conv2_2`) or a high one (`conv4_2`), α/β = 1e-3.

What to look for: matched at `conv2_2`, the photo's fine detail and exact pixels dominate and the style shows as a
thin texture on top; matched at `conv4_2`, only the arrangement of objects is kept and the painting's style
reshapes them, which is why the paper uses `conv4_2`.

Settings: The Starry Night, style `conv1_1` ... `conv5_1` with w_l = 1/5, the paper's loss scaling, average
pooling, the raw VGG-19 (the shared ImageNet weights, not normalised; notebook 08 shows how its α/β scale differs from the paper's normalised network), 256 px reached coarse to fine as in notebook 03 (white noise, seed 0, at 64 px, then 128 and 256 px), L-BFGS with every pixel kept in 0..255, each size stopped when the loss falls by less than 0.1% over 20 iterations or at the cap printed below.

{CREDIT}"""),
        ("code", SETUP),
        ("code", scales("64, 128, 256", 300)),
        ("code", """var results []*transfer.Result
layers := []string{"conv2_2", "conv4_2"}
for _, layer := range layers {
	cfg := transfer.Defaults()
	cfg.Experiment, cfg.Name = "fig5-content-layer", "content "+layer
	cfg.ContentPath = image("tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: image("starry_night.jpg")}}
	cfg.ContentLayers = []string{layer}
	cfg.Ratio = 1e-3
	cfg.Scales, cfg.Iterations = scales, iterations
	res, err := display.Transfer(ctx, lab, cfg)
	if err != nil {
		panic(err)
	}
	results = append(results, res)
	display.Clear(ctx, true)
}"""),
        ("md", "How each run ended (iterations in all, why each size stopped, run time) and its grain against the painting "
               "(`imaging.GrainRatio`: about 1 when the output is as fine-grained as the painting)."),
        ("code", """import "github.com/stylelab/stylelab/imaging"

style, err := imaging.Load(image("starry_night.jpg"))
if err != nil {
	panic(err)
}
for i, res := range results {
	fmt.Printf("content %s: %d iterations, stops %v, %s, grain ratio %.2f\\n", layers[i], res.Iterations, res.Stops,
		res.Elapsed.Round(time.Second), imaging.GrainRatio(res.Image, style))
}"""),
        ("code", """cmp, err := compare.Query(ctx, lab.Store, `experiment = "fig5-content-layer" and status = "FINISHED"`)
if err != nil {
	panic(err)
}
grid, err := cmp.Grid("Content matched at conv2_2 (left) and conv4_2 (right)", "", "content_layers", 256)
if err != nil {
	panic(err)
}
grid""", GRID),
        ("code", FOOTER),
        ("md", """## What the runs show

At 256 px (64, 128, then 256 px), bounded, both runs stopped at the 300-iteration cap at every size (the loss was
still falling by more than 0.1% per 20 iterations), about 7 min each, the notebook 14 min on the shared two-core
machine while another notebook ran. Matched at `conv2_2`, the houses keep their windows, outlines and colours and
The Starry Night shows as strokes in the sky and the water; matched at `conv4_2`, the houses are still where they
were but dissolve into the painting's swirls, blue and yellow, as in the paper. Grain against the painting
(`imaging.GrainRatio`): 1.33 (`conv2_2`) and 1.00 (`conv4_2`), against 2.74 and 2.70 for the earlier 224 px
outputs started from noise at full size."""),
    ],
    "06-initialisation.ipynb": [
        ("md", f"""# Initialisation (paper, Fig. 6)

The same transfer started from the content photo, from the painting, and from four different white-noise images.

What to look for: runs from noise end in different images of about the same quality (the loss has many minima);
starting from the photo keeps more of its detail, starting from the painting more of its layout. The loss
curves show how far each start has to travel.

Settings: Shipwreck of the Minotaur, α/β = 1e-3, content `conv4_2`, style `conv1_1` ... `conv5_1` with w_l = 1/5,
the paper's loss scaling, average pooling, the **raw** VGG-19 (the shared ImageNet weights, not normalised; notebook 08
shows how its α/β scale differs from the paper's normalised network), 256 px reached coarse to fine as in notebook 03
(each start taken at 64 px, then the result upsampled and optimised again at 128 and 256 px), L-BFGS with every pixel
kept in 0..255, each size stopped when the loss falls by less than 0.1% over 20 iterations or at the cap printed below.
Cells run with `display.Options{{Reuse: true}}`: runs already finished in the notebook's store are shown, not repeated.

{CREDIT}"""),
        ("code", SETUP),
        ("code", scales("64, 128, 256", 200)),
        ("code", """starts := []struct {
	init string
	seed int64
}{{"content", 0}, {"style", 0}, {"noise", 1}, {"noise", 2}, {"noise", 3}, {"noise", 4}}
var results []*transfer.Result
for _, s := range starts {
	cfg := transfer.Defaults()
	cfg.Experiment = "fig6-initialisation"
	cfg.Name = s.init
	if s.init == "noise" {
		cfg.Name = fmt.Sprintf("noise, seed %d", s.seed)
	}
	cfg.ContentPath = image("tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: image("shipwreck.jpg")}}
	cfg.Init, cfg.Seed = s.init, s.seed
	cfg.Scales, cfg.Iterations = scales, iterations
	res, err := display.TransferWith(ctx, lab, cfg, display.Options{Reuse: true})
	if err != nil {
		panic(err)
	}
	results = append(results, res)
	display.Clear(ctx, true)
}"""),
        ("md", "How each run ended (iterations in all, why each size stopped, run time), its final loss, and its grain "
               "against the painting (`imaging.GrainRatio`: about 1 when the output is as fine-grained as the painting)."),
        ("code", """import "github.com/stylelab/stylelab/imaging"

style, err := imaging.Load(image("shipwreck.jpg"))
if err != nil {
	panic(err)
}
for _, res := range results {
	last := res.Last()
	fmt.Printf("%-15s %4d iterations, stops %v, %6s, loss %.4g (content %.3g, style %.3g), grain ratio %.2f\\n", res.Plan.Name,
		res.Iterations, res.Stops, res.Elapsed.Round(time.Second), last.Total, last.Content, last.Style, imaging.GrainRatio(res.Image, style))
}"""),
        ("code", """cmp, err := compare.Query(ctx, lab.Store, `experiment = "fig6-initialisation" and status = "FINISHED"`)
if err != nil {
	panic(err)
}
grid, err := cmp.Grid("Started from the photo, the painting, and four noise images", "", "name", 256)
if err != nil {
	panic(err)
}
grid""", GRID),
        ("code", """curves, err := cmp.Curves("total loss", []string{"total"}, true)
if err != nil {
	panic(err)
}
curves"""),
        ("code", FOOTER),
        ("md", """## What the runs show

At 256 px (64, 128, then 256 px, at most 200 iterations per size), bounded, the raw network: every size of every run
stopped at its cap; the runs took 4m27s to 7m43s each on one core while other work used the machine, the notebook
34 min. Started from the photo, the painting or four noise images, the coarse-to-fine runs end in images that differ
in detail (where the yellow patches fall in the sky and the water) but not in kind, with final losses within 4% of
each other (6.58e9 from the photo to 6.86e9 from the painting) and grain ratios 1.15 to 1.26. Because every start is
first taken down to 64 px, the photo's detail does not carry through: the paper's Fig. 6 (full size) shows the
photo start keeping more of the photo; here the coarse start makes the starts nearly equivalent."""),
    ],
    "07-which-layers.ipynb": [
        ("md", f"""# Which layers define style?

The paper matches Gram matrices on `conv1_1` ... `conv5_1` with equal weights w_l = 1/5. This notebook asks what
each of those layers does in a transfer: how much of the style loss and of the gradient each carries as the run
goes; where on the image each layer pulls; how far apart the shared paintings are at each layer; what each layer
gives alone, and what tilting the weights towards fine or coarse layers gives. Last, a new loss term written in a
cell, matching each channel's mean and standard deviation (as adaptive instance normalisation does), replaces the
Gram matrices at the same layers.

Settings: Tübingen as The Starry Night, α/β = 1e-3, content `conv4_2`, the paper's loss scaling, average pooling,
the raw VGG-19 (the shared ImageNet weights, not normalised; notebook 08 shows how its α/β scale differs from the paper's normalised network),
L-BFGS from white noise (seed 0), at the size and iterations printed below (256 px for the committed outputs: the
shared two-core machine did not allow 512 px); the notebook's run time is printed at the end.

{CREDIT}"""),
        ("code", SETUP),
        ("code", """import (
	stdimage "image"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/stylelab/stylelab/analysis"
	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/vgg"
)"""),
        ("code", sizes(256, 100)),
        ("md", "## The shares of each layer\n\nThe paper's transfer, with a snapshot every fifth of the run:"),
        ("code", """base := transfer.Defaults()
base.Experiment, base.Name = "which-layers-weights", "gram"
base.ContentPath = image("tubingen.jpg")
base.Styles = []transfer.Style{{Path: image("starry_night.jpg")}}
base.Size, base.Iterations = size, iterations
base.SnapshotEvery = iterations / 5
if base.SnapshotEvery < 1 {
	base.SnapshotEvery = 1
}
gram, err := display.Transfer(ctx, lab, base)
if err != nil {
	panic(err)
}
gram"""),
        ("md", "Each layer's share of the weighted style loss w_l E_l at every iteration, read back from the store's "
               "per-step metrics `style/<layer>`:"),
        ("code", """rec, err := lab.Store.Get(ctx, gram.RunID)
if err != nil {
	panic(err)
}
lossShares, err := analysis.LossShares(rec)
if err != nil {
	panic(err)
}
display.Shares(lossShares)"""),
        ("md", "Each layer's share of the style gradient: the norm of the gradient of β w_l E_l with respect to the "
               "pixels, over the sum of the five norms, at the start (the noise image) and at each snapshot. The "
               "gradients are computed again from the images (one forward pass, then one backward pass per layer)."),
        ("code", """steps, shots, err := analysis.Snapshots(rec)
if err != nil {
	panic(err)
}
b := gram.Image.Bounds()
start := imaging.Noise(b.Dx(), b.Dy(), base.Seed).Image() // where the run began
steps = append([]int{0}, steps...)
shots = append([]stdimage.Image{start}, shots...)
t0 := time.Now()
gradShares, err := analysis.GradientShares(lab.Model, gram.Plan, steps, shots)
if err != nil {
	panic(err)
}
fmt.Printf("%d sets of layer gradients at %dx%d in %s\\n", len(steps), b.Dx(), b.Dy(), time.Since(t0).Round(100*time.Millisecond))
display.Shares(gradShares)"""),
        ("md", "## Where each layer acts\n\nThe magnitude of each layer's gradient over the image, at the start and "
               "at the end of the run. Each map has its own scale (dark: none; light: its 99th percentile); the label "
               "gives the layer's E_l and its share of the summed gradient norms."),
        ("code", """t0 = time.Now()
startMaps, err := transfer.LayerGradients(lab.Model, gram.Plan, start)
if err != nil {
	panic(err)
}
fmt.Printf("one set of heat maps (%dx%d; one forward pass, five backward passes): %s\\n", b.Dx(), b.Dy(), time.Since(t0).Round(100*time.Millisecond))
endMaps, err := transfer.LayerGradients(lab.Model, gram.Plan, gram.Image)
if err != nil {
	panic(err)
}
display.Show(ctx, display.LayerMaps(start, startMaps, 200))
display.LayerMaps(gram.Image, endMaps, 200)"""),
        ("md", "## How far apart the paintings are, layer by layer\n\nFor each pair of images, the distance between "
               "their Gram matrices per position at a layer, ||G_a − G_b||_F / sqrt(||G_a||_F ||G_b||_F): 0 for equal "
               "statistics, unchanged by a common scale of the responses, so that layers compare. One forward pass per "
               "image, at the notebook's size. The photo is there as a reference."),
        ("code", """names := []string{"Starry Night", "Shipwreck", "Scream", "Composition VII", "Tübingen photo"}
var pictures []stdimage.Image
for _, f := range []string{"starry_night.jpg", "shipwreck.jpg", "the_scream.jpg", "composition_vii.jpg", "tubingen.jpg"} {
	img, err := imaging.Load(image(f))
	if err != nil {
		panic(err)
	}
	pictures = append(pictures, img)
}
t0 = time.Now()
dist, err := analysis.StyleDistances(lab.Model, pictures, names, base.StyleLayerNames(), size, vgg.AvgPool)
if err != nil {
	panic(err)
}
fmt.Printf("distance matrices of %d images at %d px: %s\\n", len(pictures), size, time.Since(t0).Round(100*time.Millisecond))
for l, layer := range dist.Layers {
	near := dist.Nearest(l, 0)
	fmt.Printf("%s: nearest to The Starry Night: %s (%.2f), farthest: %s (%.2f)\\n", layer,
		names[near[0]], dist.Values[l][0][near[0]], names[near[len(near)-1]], dist.Values[l][0][near[len(near)-1]])
}
display.Distances(dist)"""),
        ("md", "## Each style layer alone\n\nThe same transfer with the style matched on one layer only (w_l = 1, so "
               "β w_l is five times the baseline's weight of each layer):"),
        ("code", """single := base
single.Experiment, single.Name, single.SnapshotEvery = "which-layers-single", "", 0
axes := []experiments.Axis{{Param: "style_layers", Values: []string{"conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"}}}
_, err = lab.Sweep(ctx, single, axes, transfer.Hooks{}, func(done, total int, p experiments.SweepPoint) {
	fmt.Printf("%d/%d  run %d  %s  skipped=%v  (%s)\\n", done, total, p.RunID, p.Name(), p.Skipped, time.Since(started).Round(time.Second))
})
if err != nil {
	panic(err)
}
cmp, err := compare.Query(ctx, lab.Store, `experiment = "which-layers-single" and status = "FINISHED"`)
if err != nil {
	panic(err)
}
grid, err := cmp.Grid("Tübingen as The Starry Night, one style layer at a time", "", "style_layers", 224)
if err != nil {
	panic(err)
}
grid""", GRID),
        ("md", "## Tilting the layer weights\n\nA sweep of w_l from fine-heavy (each layer half the one below it) "
               "through the paper's equal weights (the run above, found again in the store) to coarse-heavy:"),
        ("code", """tilt := base
tilt.Name, tilt.SnapshotEvery = "", 0
axes = []experiments.Axis{{Param: "style_layer_weights", Values: []string{"0.52,0.26,0.13,0.06,0.03", "0.2,0.2,0.2,0.2,0.2", "0.03,0.06,0.13,0.26,0.52"}}}
points, err := lab.Sweep(ctx, tilt, axes, transfer.Hooks{}, func(done, total int, p experiments.SweepPoint) {
	fmt.Printf("%d/%d  run %d  %s  skipped=%v  (%s)\\n", done, total, p.RunID, p.Name(), p.Skipped, time.Since(started).Round(time.Second))
})
if err != nil {
	panic(err)
}
for _, p := range points {
	r, err := lab.Store.Get(ctx, p.RunID)
	if err != nil {
		panic(err)
	}
	s, err := analysis.LossShares(r)
	if err != nil {
		panic(err)
	}
	fmt.Printf("w = %s: shares of the style loss at the end %.3f\\n", p.Settings[0].Value, s.At(len(s.Steps)-1))
}
weights, err := compare.Query(ctx, lab.Store, `experiment = "which-layers-weights" and status = "FINISHED"`)
if err != nil {
	panic(err)
}
grid, err = weights.Grid("Layer weights from fine-heavy (left) to coarse-heavy (right)", "", "style_layer_weights", 224)
if err != nil {
	panic(err)
}
grid"""),
        ("md", "## A new loss term, written here\n\nEach channel's mean and standard deviation over positions, matched "
               "to the painting's: the statistics adaptive instance normalisation matches, a first-order and a "
               "diagonal second-order statistic where the Gram matrix holds every channel pair's second moment (Li "
               "et al., *Demystifying Neural Style Transfer*, 2017, read Gram matching as matching a polynomial "
               "kernel's statistics). The term is a gorgonia expression on the layer's features; its gradient comes "
               "from gorgonia, and the run records this cell's text as the term's source."),
        ("code", """// stats returns each channel's mean and standard deviation over positions of a (C,H,W) node.
stats := func(f *G.Node) (*G.Node, *G.Node) {
	s := f.Shape()
	flat := G.Must(G.Reshape(f, tensor.Shape{s[0], s[1] * s[2]}))
	mu := G.Must(G.Mean(flat, 1))
	d := G.Must(G.BroadcastSub(flat, mu, nil, []byte{1}))
	v := G.Must(G.Add(G.Must(G.Mean(G.Must(G.Square(d)), 1)), G.NewConstant(float32(1e-5))))
	return mu, G.Must(G.Sqrt(v))
}
// meanStd is sum_c (mu_c - mu'_c)^2 + (sigma_c - sigma'_c)^2 against the painting's statistics.
meanStd := func(in transfer.TermInput) (*G.Node, error) {
	mu, sd := stats(in.Features)
	muS, sdS := stats(in.Styles[0])
	a := G.Must(G.Sum(G.Must(G.Square(G.Must(G.Sub(mu, muS))))))
	c := G.Must(G.Sum(G.Must(G.Square(G.Must(G.Sub(sd, sdS))))))
	return G.Add(a, c)
}
meanStdSource := display.CellSource(ctx)
fmt.Println(len(meanStdSource), "bytes of source")"""),
        ("md", "The same transfer with mean/std matching in place of the Gram loss at the same five layers. To keep "
               "the balance with the content term, each layer's term is weighted so that at the start (the noise "
               "image) it weighs what that layer's Gram term weighed, β w_l E_l:"),
        ("code", """probe := base
probe.Ratio, probe.Beta = 0, 0
for _, l := range base.StyleLayerNames() {
	probe.Terms = append(probe.Terms, transfer.Term{Name: "meanstd_" + l, Layer: l, Weight: 1, Source: meanStdSource, Build: meanStd})
}
probePlan, err := probe.Resolve()
if err != nil {
	panic(err)
}
atStartTerms, err := transfer.Evaluate(lab.Model, probePlan, start)
if err != nil {
	panic(err)
}
atStartGram, err := transfer.Evaluate(lab.Model, gram.Plan, start)
if err != nil {
	panic(err)
}
ms := probe
ms.Experiment, ms.Name, ms.SnapshotEvery = "which-layers-terms", "mean/std", 0
ms.Terms = nil
for _, lw := range gram.Plan.StyleLayers {
	w := gram.Plan.Beta * lw.Weight * atStartGram.Layers["style/"+lw.Layer] / atStartTerms.Layers["term/meanstd_"+lw.Layer]
	fmt.Printf("%s: weight %.3g\\n", lw.Layer, w)
	ms.Terms = append(ms.Terms, transfer.Term{Name: "meanstd_" + lw.Layer, Layer: lw.Layer, Weight: w, Source: meanStdSource, Build: meanStd})
}
meanStdRun, err := display.Transfer(ctx, lab, ms)
if err != nil {
	panic(err)
}
display.Compare(gram, meanStdRun)"""),
        ("md", "How far the mean/std result is from the painting by the Gram matrices (the paper's style loss, "
               "β Σ w_l E_l, evaluated on each result), and how far the Gram result is by the mean/std terms:"),
        ("code", """onGram, err := transfer.Evaluate(lab.Model, gram.Plan, meanStdRun.Image)
if err != nil {
	panic(err)
}
msPlan, err := ms.Resolve()
if err != nil {
	panic(err)
}
onTerms, err := transfer.Evaluate(lab.Model, msPlan, gram.Image)
if err != nil {
	panic(err)
}
fmt.Printf("Gram style loss (beta * style): Gram run %.4g, mean/std run %.4g\\n", gram.Plan.Beta*gram.Last().Style, gram.Plan.Beta*onGram.Style)
fmt.Printf("mean/std terms:                 Gram run %.4g, mean/std run %.4g\\n", onTerms.Terms, meanStdRun.Last().Terms)
fmt.Printf("content loss (alpha * content):  Gram run %.4g, mean/std run %.4g\\n", gram.Last().Content, meanStdRun.Last().Content)"""),
        ("md", FINDINGS_07),
        ("code", FOOTER),
    ],
})


NOTEBOOKS["08-ratios.ipynb"] = [
    ("md", f"""# α/β on the raw and the normalised network

The paper's ratios (1e-3 for the Shipwreck, 5e-4 for Composition VII, Fig. 4's 1e-5 ... 1e-2) were found on a VGG-19
whose filters were rescaled so that each one's mean activation over a set of images is 1 (the **normalised**
network). The shared ImageNet weights as trained (the **raw** network, every other notebook's) give responses of
other sizes at each layer: the style loss E_l grows with the fourth power of a layer's responses and the content
loss with the second, so the same α/β weighs style and content differently on the two networks.

This notebook sweeps α/β on both, Composition VII on Tübingen (Fig. 4's pair) with all five style layers, and shows
where each network passes from texture (style wins) to photo (content wins). Each row covers the ratios around that
network's balance, measured below from the losses of the photo and of the painting.

What to look for: from left to right the painting's texture gives way to the photo; the ratio where the houses first
show, and where the painting's colours are gone, on each network. The printed shares say how much of the final loss
is α·content, and how each network's weighted style loss splits over the five layers.

Settings: 128 px on the longest side (small, so the 14 runs take minutes on two cores), content `conv4_2`, style
`conv1_1` ... `conv5_1` with w_l = 1/5, the paper's loss scaling, average pooling, L-BFGS from white noise (seed 0)
with every pixel kept in 0..255, each run stopped when the loss falls by less than 0.1% over 20 iterations or at the
cap printed below.

{CREDIT}"""),
    ("code", SETUP),
    ("code", sizes(128, 100)),
    ("md", "Where the balance lies: the style loss of the photo (β = 1) against the content loss of the painting "
           "(α = 1), both at this size. Their quotient is the α/β at which reproducing the photo costs as much as "
           "reproducing the painting."),
    ("code", """import (
	stdimage "image"

	"github.com/stylelab/stylelab/analysis"
	"github.com/stylelab/stylelab/imaging"
)

photo, err := imaging.Load(image("tubingen.jpg"))
if err != nil {
	panic(err)
}
painting, err := imaging.Load(image("composition_vii.jpg"))
if err != nil {
	panic(err)
}
base := transfer.Defaults()
base.Experiment = "ratios"
base.ContentPath = image("tubingen.jpg")
base.Styles = []transfer.Style{{Path: image("composition_vii.jpg")}}
base.Size, base.Iterations = size, iterations
for _, network := range []string{"raw", "normalised"} {
	cfg := base
	cfg.Network = network
	plan, err := cfg.Resolve()
	if err != nil {
		panic(err)
	}
	m, err := lab.ModelFor(plan)
	if err != nil {
		panic(err)
	}
	onPhoto, err := transfer.Evaluate(m, plan, imaging.FitLongest(photo, size))
	if err != nil {
		panic(err)
	}
	onPainting, err := transfer.Evaluate(m, plan, imaging.FitLongest(painting, size))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%-10s  style of the photo %.3g, content of the painting %.3g: balance at alpha/beta = %.2g\\n",
		network, onPhoto.Style, onPainting.Content, onPhoto.Style/onPainting.Content)
}"""),
    ("md", "The two sweeps, seven ratios each, a decade apart; the rows are offset by 1e3, close to the shift of the "
           "balance. Executing the notebook again skips the runs already finished."),
    ("code", """ratios := map[string][]string{
	"raw":        {"1e-6", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1", "1"},
	"normalised": {"1e-9", "1e-8", "1e-7", "1e-6", "1e-5", "1e-4", "1e-3"},
}
points := map[string][]experiments.SweepPoint{}
for _, network := range []string{"raw", "normalised"} {
	cfg := base
	cfg.Network = network
	axes := []experiments.Axis{{Param: "ratio", Values: ratios[network]}}
	ps, err := lab.Sweep(ctx, cfg, axes, transfer.Hooks{}, func(done, total int, p experiments.SweepPoint) {
		fmt.Printf("%-10s %d/%d  run %d  ratio %s  skipped=%v  (%s)\\n", network, done, total, p.RunID,
			p.Settings[0].Value, p.Skipped, time.Since(started).Round(time.Second))
	})
	if err != nil {
		panic(err)
	}
	points[network] = ps
}"""),
    ("code", """var grids []*stdimage.RGBA
for _, network := range []string{"raw", "normalised"} {
	cmp, err := compare.Query(ctx, lab.Store, `experiment = "ratios" and status = "FINISHED" and params.network = "`+network+`"`)
	if err != nil {
		panic(err)
	}
	grid, err := cmp.Grid("Composition VII on Tübingen, "+network+" network: alpha/beta", "", "ratio", 160)
	if err != nil {
		panic(err)
	}
	grids = append(grids, grid)
}
display.Show(ctx, grids[0])
grids[1]""", GRID),
    ("md", "For each run: iterations, why it stopped, run time, the share of α·content in the final loss, and each "
           "layer's share of the weighted style loss β Σ w_l E_l at the end (`conv1_1` ... `conv5_1`)."),
    ("code", """for _, network := range []string{"raw", "normalised"} {
	for _, p := range points[network] {
		r, err := lab.Store.Get(ctx, p.RunID)
		if err != nil {
			panic(err)
		}
		shares, err := analysis.LossShares(r)
		if err != nil {
			panic(err)
		}
		content, style := p.Plan.Alpha*r.Last["content"], p.Plan.Beta*r.Last["style"]
		layer := shares.At(len(shares.Steps) - 1)
		fmt.Printf("%-10s ratio %-5s  %3d iterations (%s), %5s  content share %.3f  style by layer %.2f %.2f %.2f %.2f %.2f\\n",
			network, p.Settings[0].Value, r.LastStep, r.Message, r.Duration.Round(time.Second),
			content/(content+style), layer[0], layer[1], layer[2], layer[3], layer[4])
	}
}"""),
    ("md", FINDINGS_08),
    ("code", FOOTER),
]


def cell(kind, text, tag=None):
    lines = text.split("\n")
    src = [l + "\n" for l in lines[:-1]] + [lines[-1]]
    if kind == "md":
        return {"cell_type": "markdown", "metadata": {}, "source": src}
    meta = {"tags": [tag]} if tag else {}
    return {"cell_type": "code", "execution_count": None, "metadata": meta, "outputs": [], "source": src}


def main():
    for name, cells in NOTEBOOKS.items():
        nb = {
            "cells": [cell(*c) for c in cells],
            "metadata": {
                "kernelspec": {"name": "stylelab", "display_name": "Go (Stylelab)", "language": "go"},
                "language_info": {"name": "go", "file_extension": ".go", "mimetype": "text/x-go", "codemirror_mode": "go", "pygments_lexer": "go"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        for i, c in enumerate(nb["cells"]):
            c["id"] = f"{name.split('-')[0]}-{i:02d}"
        keep_outputs(HERE / name, nb)
        (HERE / name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def keep_outputs(path, nb):
    """Keeps the outputs of code cells whose source is unchanged, so that a text edit needs no re-run."""
    if not path.exists():
        return
    old = {c["id"]: c for c in json.loads(path.read_text())["cells"] if "id" in c}
    for c in nb["cells"]:
        prev = old.get(c["id"])
        if c["cell_type"] == "code" and prev and prev["source"] == c["source"]:
            c["outputs"], c["execution_count"] = prev["outputs"], prev["execution_count"]


if __name__ == "__main__":
    main()
