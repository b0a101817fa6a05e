package experiments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/plots"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights"
)

// Lab is a VGG-19 and an experiment store: every run it makes is logged as
// it happens (parameters, each step's losses, snapshots, the final image and
// its loss plot), whether it finishes, fails or is interrupted.
type Lab struct {
	Model *vgg.Model
	Store *store.Store
}

// OpenLab loads the weights (see weights.Locate for how an empty path is
// resolved) without the classifier, and opens the store at dbPath (empty:
// store.DefaultPath).
func OpenLab(weightsPath, dbPath string) (*Lab, error) {
	path, err := weights.Locate(weightsPath)
	if err != nil {
		return nil, err
	}
	w, err := weights.LoadFeatures(path) // style transfer needs only the convolutions
	if err != nil {
		return nil, err
	}
	m, err := vgg.New(w)
	if err != nil {
		return nil, err
	}
	if dbPath == "" {
		if dbPath, err = store.DefaultPath(); err != nil {
			return nil, err
		}
	}
	s, err := store.Open(dbPath)
	if err != nil {
		return nil, err
	}
	return &Lab{Model: m, Store: s}, nil
}

// Close closes the store.
func (l *Lab) Close() error { return l.Store.Close() }

// Run runs cfg and logs it; Result.RunID is its id in the store. Bad
// settings are refused before anything is logged.
func (l *Lab) Run(ctx context.Context, cfg Config, hooks Hooks) (*Result, error) {
	cfg, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	in, err := loadInputs(cfg)
	if err != nil {
		return nil, err
	}
	spec, err := l.spec(cfg, in)
	if err != nil {
		return nil, err
	}
	run, err := l.Store.StartRun(ctx, spec)
	if err != nil {
		return nil, err
	}
	var logErr error
	keep := func(err error) {
		if err != nil && logErr == nil {
			logErr = err
		}
	}
	every := cfg.ReportEvery
	cfg.ReportEvery = 1 // every step is logged; the caller's hook keeps its pace
	tracked := Hooks{
		Step: func(s Step) {
			metrics := map[string]float64{"total": s.Losses.Total, "content": s.Content, "style": s.Style, "tv": s.TV,
				"evaluations": float64(s.Evaluations)}
			for k, v := range s.Layers {
				metrics[k] = v
			}
			keep(run.LogStep(s.Iteration, s.Elapsed.Seconds(), metrics))
			if hooks.Step != nil && (s.Iteration%every == 0 || s.Iteration == s.Planned) {
				hooks.Step(s)
			}
		},
		Snapshot: func(s Snapshot) {
			keep(saveImage(run, "snapshot", fmt.Sprintf("step-%05d.png", s.Iteration), s.Iteration, s.Image, nil))
			if hooks.Snapshot != nil {
				hooks.Snapshot(s)
			}
		},
	}
	res, runErr := transfer(ctx, l.Model, cfg, in, tracked)
	res.Config.ReportEvery = every
	res.RunID = run.ID()
	if res.Image != nil {
		keep(saveImage(run, "final", "final.png", res.Iterations, res.Image, Metadata(res.Config, spec.WeightsSHA256)))
	}
	if len(res.Steps) > 0 {
		if png, err := LossPlot(res); err == nil {
			_, err = run.SaveArtifact("plot", "losses.png", res.Iterations, png)
			keep(err)
		}
	}
	status, message := store.StatusFinished, ""
	switch {
	case errors.Is(runErr, context.Canceled) || errors.Is(runErr, context.DeadlineExceeded):
		status, message = store.StatusInterrupted, runErr.Error()
	case runErr != nil:
		status, message = store.StatusFailed, runErr.Error()
	}
	keep(run.Finish(status, message))
	if runErr != nil {
		return res, runErr
	}
	if logErr != nil {
		return res, fmt.Errorf("experiments: the run finished but logging it failed: %w", logErr)
	}
	return res, nil
}

func saveImage(run *store.Run, kind, name string, step int, img image.Image, meta map[string]string) error {
	data, err := imaging.EncodePNG(img, meta)
	if err != nil {
		return err
	}
	_, err = run.SaveArtifact(kind, name, step, data)
	return err
}

// LossPlot draws a result's total, content and style losses (log scale) as PNG.
func LossPlot(res *Result) ([]byte, error) {
	series := []plots.Series{{Label: "total"}, {Label: "content"}, {Label: "style"}}
	for _, s := range res.Steps {
		for i, v := range []float64{s.Losses.Total, s.Content, s.Style} {
			series[i].Steps = append(series[i].Steps, s.Iteration)
			series[i].Values = append(series[i].Values, v)
		}
	}
	p, err := plots.LossCurves(res.Config.Name, "loss", series, true)
	if err != nil {
		return nil, err
	}
	return plots.PlotPNG(p, 6, 4)
}

// spec describes the run for the store.
func (l *Lab) spec(cfg Config, in *inputs) (store.RunSpec, error) {
	var inputsList []store.Input
	add := func(role, path string, img image.Image) error {
		sum, err := imageSHA256(path, img)
		if err != nil {
			return err
		}
		if path == "" {
			path = "memory:" + sum[:12] // an image given in memory, known by its pixels
		}
		inputsList = append(inputsList, store.Input{Role: role, Path: path, SHA256: sum})
		return nil
	}
	if err := add("content", cfg.ContentPath, cfg.ContentImage); err != nil {
		return store.RunSpec{}, err
	}
	for i, s := range cfg.Styles {
		if err := add("style", s.Path, in.styles[i]); err != nil {
			return store.RunSpec{}, err
		}
	}
	if in.init != nil {
		path := ""
		if cfg.InitImage == nil {
			path = cfg.Init
		}
		if err := add("init", path, in.init); err != nil {
			return store.RunSpec{}, err
		}
	}
	version, commit := Version()
	return store.RunSpec{
		Name: cfg.Name, Experiment: cfg.Experiment, Seed: cfg.Seed,
		Version: version, Commit: commit, WeightsSHA256: l.Model.Weights().SHA256,
		Inputs: inputsList, Params: cfg.Params(),
	}, nil
}

// imageSHA256 hashes the file at path, or the pixels of an in-memory image.
func imageSHA256(path string, img image.Image) (string, error) {
	if path != "" {
		return imaging.SHA256File(path)
	}
	h := sha256.New()
	rgba := imaging.Resize(img, img.Bounds().Dx(), img.Bounds().Dy())
	fmt.Fprintf(h, "%dx%d:", rgba.Rect.Dx(), rgba.Rect.Dy())
	h.Write(rgba.Pix)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Params lists the settings that define a run, as the store records them.
func (c Config) Params() []store.Param {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var layerWeights, blend, styles []string
	for _, l := range c.StyleLayers {
		layerWeights = append(layerWeights, f(l.Weight))
	}
	for _, s := range c.Styles {
		blend = append(blend, f(s.Weight))
		styles = append(styles, s.Path)
	}
	var scales []string
	for _, s := range c.Sizes() {
		scales = append(scales, strconv.Itoa(s))
	}
	ps := []store.Param{
		{Key: "content_layers", Value: strings.Join(c.ContentLayers, ",")},
		{Key: "style_layers", Value: strings.Join(c.StyleLayerNames(), ",")},
		{Key: "style_layer_weights", Value: strings.Join(layerWeights, ",")},
		{Key: "alpha", Value: f(c.Alpha)},
		{Key: "beta", Value: f(c.Beta)},
		{Key: "ratio", Value: f(c.Ratio())},
		{Key: "tv_weight", Value: f(c.TVWeight)},
		{Key: "scaling", Value: c.Scaling},
		{Key: "pooling", Value: c.Pooling},
		{Key: "optimizer", Value: c.Optimizer},
		{Key: "iterations", Value: strconv.Itoa(c.Iterations)},
		{Key: "init", Value: c.Init},
		{Key: "seed", Value: strconv.FormatInt(c.Seed, 10)},
		{Key: "size", Value: strconv.Itoa(c.Sizes()[len(c.Sizes())-1])},
		{Key: "scales", Value: strings.Join(scales, ",")},
		{Key: "style_scale", Value: f(c.StyleScale)},
		{Key: "style_blend", Value: strings.Join(blend, ",")},
		{Key: "styles", Value: strings.Join(styles, ",")},
		{Key: "content", Value: c.ContentPath},
		{Key: "colour", Value: c.Colour},
		{Key: "report_every", Value: strconv.Itoa(c.ReportEvery)},
		{Key: "snapshot_every", Value: strconv.Itoa(c.SnapshotEvery)},
	}
	if c.Optimizer == "lbfgs" {
		ps = append(ps, store.Param{Key: "lbfgs_history", Value: strconv.Itoa(c.History)},
			store.Param{Key: "line_search", Value: c.LineSearch})
	} else {
		ps = append(ps, store.Param{Key: "learning_rate", Value: f(c.LearningRate)})
	}
	return ps
}

// Metadata is what an output PNG carries about the run that made it.
func Metadata(c Config, weightsSHA256 string) map[string]string {
	version, commit := Version()
	meta := map[string]string{
		"Software": "Stylelab " + version,
		"Comment":  "Neural style transfer (Gatys, Ecker & Bethge, CVPR 2016)",
	}
	if commit != "" {
		meta["stylelab.commit"] = commit
	}
	if weightsSHA256 != "" {
		meta["stylelab.weights_sha256"] = weightsSHA256
	}
	for _, p := range c.Params() {
		meta["stylelab."+p.Key] = p.Value
	}
	return meta
}

// Version reports Stylelab's module version and the VCS commit it was built from, when known.
func Version() (version, commit string) {
	version = "devel"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, ""
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		version = v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			commit = s.Value
		}
	}
	if commit == "" {
		commit = os.Getenv("STYLELAB_COMMIT")
	}
	return version, commit
}
