package experiments

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights"
)

// TestLabNormalisedNetwork runs a small transfer on the normalised network
// (the standard image set): the store records network=normalised and the
// normalised weights' sha256, the lab derives the network once, and the
// style loss at the start of a transfer from noise is no longer almost all
// conv4_1's, as it is on the raw network.
func TestLabNormalisedNetwork(t *testing.T) {
	t.Setenv("STYLELAB_SHARED", testenv.Shared(t))
	t.Setenv("STYLELAB_CACHE", t.TempDir())
	lab := testLab(t)
	ctx := context.Background()
	cfg := paperConfig(t, 64, 3)
	cfg.Experiment, cfg.Network = "normalised", "normalised"
	res, err := lab.Run(ctx, cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := lab.Store.Get(ctx, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	_, setSHA, err := weights.LoadStandardSet("")
	if err != nil {
		t.Fatal(err)
	}
	raw := lab.Model.Weights()
	wantSHA := vgg.NormalisedSHA256(raw.SHA256, setSHA, vgg.AvgPool, weights.NormaliseSize)
	network, _ := rec.Param("network")
	images, _ := rec.Param("normalise_images")
	t.Logf("run %d: network=%s normalise_images=%s weights %.12s, %s", rec.ID, network, images, rec.WeightsSHA256, rec.Status)
	if network != "normalised" || images != "standard" || rec.WeightsSHA256 != wantSHA || rec.Status != store.StatusFinished {
		t.Errorf("logged network=%q normalise_images=%q weights %q status %s; want normalised, standard, %q, FINISHED",
			network, images, rec.WeightsSHA256, rec.Status, wantSHA)
	}
	norm, err := lab.ModelFor(res.Plan)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := lab.ModelFor(res.Plan); err != nil || again != norm || norm.Weights().Normalised == nil {
		t.Errorf("ModelFor made the normalised network again (%v) or did not normalise it", err)
	}

	cfg.Network = "raw"
	res, err = lab.Run(ctx, cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if rec, err = lab.Store.Get(ctx, res.RunID); err != nil {
		t.Fatal(err)
	}
	if v, _ := rec.Param("network"); v != "raw" || rec.WeightsSHA256 != raw.SHA256 {
		t.Errorf("raw run logged network=%q weights %q", v, rec.WeightsSHA256)
	}
	normLab := &Lab{Model: norm, Store: lab.Store}
	if _, err := normLab.Run(ctx, cfg, Hooks{}); err == nil || !strings.Contains(err.Error(), "normalised already") {
		t.Errorf("a raw run on normalised weights: %v, want a refusal", err)
	}

	// The paper's setting at the start of a transfer from noise, 256 px.
	cfg = paperConfig(t, 256, 1)
	p, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	w, h := imaging.FitSize(p.Content.Image.Bounds(), 256)
	noise := imaging.Noise(w, h, p.Seed).Image()
	shares := map[string][]float64{}
	for name, m := range map[string]*vgg.Model{"raw": lab.Model, "normalised": norm} {
		l, err := transfer.Evaluate(m, p, noise)
		if err != nil {
			t.Fatal(err)
		}
		var line []string
		for _, lw := range p.StyleLayers {
			s := lw.Weight * l.Layers["style/"+lw.Layer] / l.Style
			shares[name] = append(shares[name], s)
			line = append(line, fmt.Sprintf("%s %.1f%%", lw.Layer, 100*s))
		}
		t.Logf("%s network: style loss %.4g, shares %s", name, l.Style, strings.Join(line, ", "))
	}
	if r := shares["raw"][3]; r < 0.8 {
		t.Errorf("raw network: conv4_1 has %.0f%% of the style loss, expected most of it", 100*r)
	}
	for i, s := range shares["normalised"] {
		if s > 0.6 {
			t.Errorf("normalised network: %s has %.0f%% of the style loss, want no layer above 60%%", p.StyleLayers[i].Layer, 100*s)
		}
	}
}
