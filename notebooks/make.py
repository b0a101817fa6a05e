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

FOOTER = '''fmt.Printf("notebook run time: %s\\n", time.Since(started).Round(time.Second))'''


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
        ("md", "One transfer with the paper's settings (α/β = 1e-3, average pooling, L-BFGS from the content photo "
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
        ("md", f"""# Style reconstructions by layer set (paper, Fig. 1)

The style representation of a painting is the set of Gram matrices of its VGG-19 features. Starting from white
noise and matching only these (α = 0), the image becomes a texture with the painting's statistics. Gatys et al.
show reconstructions from `conv1_1`, then `conv1_1`+`conv2_1`, and so on up to `conv1_1` ... `conv5_1`.

What to look for: with the first layer only, the texture is fine-grained colour noise; each deeper layer adds
larger structures (strokes, swirls, the stars' halos). At the size used here the deep layers have few positions
(12×8 at `conv5_1` for 192 px), so their Gram matrices pin down much of the painting's layout too; at the paper's
512 px the layout dissolves and only the motifs remain.

Settings: The Starry Night, style loss only (α = 0, β = 1), w_l = 1/(number of layers), the paper's loss scaling,
average pooling, L-BFGS from white noise (seed 0).

{CREDIT}"""),
        ("code", SETUP),
        ("code", sizes(192, 200)),
        ("code", """sets := [][]string{
	{"conv1_1"},
	{"conv1_1", "conv2_1"},
	{"conv1_1", "conv2_1", "conv3_1"},
	{"conv1_1", "conv2_1", "conv3_1", "conv4_1"},
	{"conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"},
}
for _, layers := range sets {
	cfg := transfer.Defaults()
	cfg.Experiment = "fig1-style-reconstructions"
	cfg.Name = layers[len(layers)-1]
	cfg.ContentPath = image("starry_night.jpg") // sets the size and shape; its content weight is 0
	cfg.Styles = []transfer.Style{{Path: image("starry_night.jpg")}}
	cfg.StyleLayers = transfer.EqualWeights(layers...)
	cfg.Alpha, cfg.Ratio, cfg.Beta = 0, 0, 1 // style only
	cfg.Size, cfg.Iterations = size, iterations
	if _, err := display.Transfer(ctx, lab, cfg); err != nil {
		panic(err)
	}
	display.Clear(ctx, true)
}"""),
        ("md", "The reconstructions side by side, from `conv1_1` alone (left) to `conv1_1` ... `conv5_1` (right):"),
        ("code", """cmp, err := compare.Query(ctx, lab.Store, `experiment = "fig1-style-reconstructions" and status = "FINISHED"`)
if err != nil {
	panic(err)
}
grid, err := cmp.Grid("Style reconstructions of The Starry Night", "", "style_layers", 192)
if err != nil {
	panic(err)
}
grid""", GRID),
        ("code", FOOTER),
    ],
    "03-four-styles.ipynb": [
        ("md", f"""# Tübingen in four styles (paper, Fig. 3)

The Neckarfront in Tübingen rendered in the style of four paintings, each with the α/β ratio the paper gives for
it: The Shipwreck of the Minotaur 1e-3, The Starry Night 8e-4, The Scream 5e-3, Composition VII 5e-4.
(The paper's Femme nue assise by Picasso is still under copyright and is left out.)

What to look for: the buildings, the river and the sky stay where they are (content matched at `conv4_2`), while
colours and textures come from each painting; with a ratio as low as 5e-4 Composition VII dissolves more of the
photo than The Scream at 5e-3.

Settings: content `conv4_2`, style `conv1_1` ... `conv5_1` with w_l = 1/5, the paper's loss scaling, average
pooling, L-BFGS from white noise (seed 0).

{CREDIT}"""),
        ("code", SETUP),
        ("code", sizes(224, 250)),
        ("code", """paintings := []struct {
	name, file string
	ratio      float64
}{
	{"Shipwreck of the Minotaur", "shipwreck.jpg", 1e-3},
	{"The Starry Night", "starry_night.jpg", 8e-4},
	{"The Scream", "the_scream.jpg", 5e-3},
	{"Composition VII", "composition_vii.jpg", 5e-4},
}
for _, p := range paintings {
	cfg := transfer.Defaults()
	cfg.Experiment, cfg.Name = "fig3-four-styles", p.name
	cfg.ContentPath = image("tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: image(p.file)}}
	cfg.Ratio = p.ratio
	cfg.Size, cfg.Iterations = size, iterations
	if _, err := display.Transfer(ctx, lab, cfg); err != nil {
		panic(err)
	}
	display.Clear(ctx, true)
}"""),
        ("code", """cmp, err := compare.Query(ctx, lab.Store, `experiment = "fig3-four-styles" and status = "FINISHED"`)
if err != nil {
	panic(err)
}
grid, err := cmp.Grid("Tübingen in four styles", "", "name", 224)
if err != nil {
	panic(err)
}
grid""", GRID),
        ("code", "display.HTML(cmp.HTML())"),
        ("code", FOOTER),
    ],
    "04-layers-by-ratio.ipynb": [
        ("md", f"""# Style layers against α/β (paper, Fig. 4)

Composition VII on Tübingen, with the style matched on more and more layers (rows: `conv1_1`, then up to
`conv1_1` ... `conv5_1`) and α/β from 1e-5 to 1e-2 (columns).

What to look for: along a row, a larger α/β brings back the photo; down a column, deeper style layers turn local
colour texture into larger, smoother structures that follow the painting. The paper's point: style and content
can be traded against each other, and the style's scale depends on the layers used.

Settings: content `conv4_2`, w_l = 1/(number of layers), the paper's loss scaling, average pooling, L-BFGS from
white noise (seed 0). The runs form one sweep: executing the notebook again skips the points already finished.

{CREDIT}"""),
        ("code", SETUP),
        ("code", sizes(128, 150)),
        ("code", """base := transfer.Defaults()
base.Experiment = "fig4-layers-by-ratio"
base.ContentPath = image("tubingen.jpg")
base.Styles = []transfer.Style{{Path: image("composition_vii.jpg")}}
base.Size, base.Iterations = size, iterations
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
grid, err := cmp.Grid("Composition VII on Tübingen: style layers (rows) by alpha/beta (columns)", "style_layers", "ratio", 160)
if err != nil {
	panic(err)
}
grid""", GRID),
        ("md", "The style loss of each run over the iterations (log scale): more layers, more style loss to remove."),
        ("code", """curves, err := cmp.Curves("style loss", []string{"style"}, true)
if err != nil {
	panic(err)
}
curves"""),
        ("code", FOOTER),
    ],
    "05-content-layer.ipynb": [
        ("md", f"""# Matching the content at conv2_2 or conv4_2 (paper, Fig. 5)

The same transfer with the content matched at a low layer (`conv2_2`) or a high one (`conv4_2`), α/β = 1e-3.

What to look for: matched at `conv2_2`, the photo's fine detail and exact pixels dominate and the style shows as a
thin texture on top; matched at `conv4_2`, only the arrangement of objects is kept and the painting's style
reshapes them, which is why the paper uses `conv4_2`.

Settings: The Starry Night, style `conv1_1` ... `conv5_1` with w_l = 1/5, the paper's loss scaling, average
pooling, L-BFGS from white noise (seed 0).

{CREDIT}"""),
        ("code", SETUP),
        ("code", sizes(224, 250)),
        ("code", """for _, layer := range []string{"conv2_2", "conv4_2"} {
	cfg := transfer.Defaults()
	cfg.Experiment, cfg.Name = "fig5-content-layer", "content "+layer
	cfg.ContentPath = image("tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: image("starry_night.jpg")}}
	cfg.ContentLayers = []string{layer}
	cfg.Ratio = 1e-3
	cfg.Size, cfg.Iterations = size, iterations
	if _, err := display.Transfer(ctx, lab, cfg); err != nil {
		panic(err)
	}
	display.Clear(ctx, true)
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
    ],
    "06-initialisation.ipynb": [
        ("md", f"""# Initialisation (paper, Fig. 6)

The same transfer started from the content photo, from the painting, and from four different white-noise images.

What to look for: runs from noise end in different images of about the same quality (the loss has many minima);
starting from the photo keeps more of its detail, starting from the painting more of its layout. The loss
curves show how far each start has to travel.

Settings: Shipwreck of the Minotaur, α/β = 1e-3, content `conv4_2`, style `conv1_1` ... `conv5_1` with w_l = 1/5,
the paper's loss scaling, average pooling, L-BFGS.

{CREDIT}"""),
        ("code", SETUP),
        ("code", sizes(192, 200)),
        ("code", """starts := []struct {
	init string
	seed int64
}{{"content", 0}, {"style", 0}, {"noise", 1}, {"noise", 2}, {"noise", 3}, {"noise", 4}}
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
	cfg.Size, cfg.Iterations = size, iterations
	if _, err := display.Transfer(ctx, lab, cfg); err != nil {
		panic(err)
	}
	display.Clear(ctx, true)
}"""),
        ("code", """cmp, err := compare.Query(ctx, lab.Store, `experiment = "fig6-initialisation" and status = "FINISHED"`)
if err != nil {
	panic(err)
}
grid, err := cmp.Grid("Started from the photo, the painting, and four noise images", "", "name", 192)
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
    ],
})


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
                "language_info": {"name": "go", "file_extension": ".go", "mimetype": "text/x-go"},
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
