package experiments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights"
)

// UnverifiedWeights is the tag of runs whose weights match no published
// sha256 (stylelab weights list): query them with tag = "unverified-weights".
const UnverifiedWeights = "unverified-weights"

// Lab is a VGG-19 and an experiment store: every run it makes is logged as
// it happens (parameters, each step's losses, snapshots, the final image and
// its loss plot), whether it finishes, fails or is interrupted.
type Lab struct {
	Model *vgg.Model // the raw network; runs with a normalised one derive it (ModelFor)
	Store *store.Store

	mu         sync.Mutex
	normalised map[normalisedKey]*vgg.Model
}

// normalisedKey names a normalised network: its image folder and pooling.
type normalisedKey struct {
	images  string
	pooling vgg.Pooling
}

// OpenLab loads the weights (see weights.Locate for how an empty path is
// resolved) without the classifier, and opens the store at dbPath (empty:
// store.DefaultPath).
func OpenLab(weightsPath, dbPath string) (*Lab, error) {
	var err error
	if dbPath == "" {
		if dbPath, err = store.DefaultPath(); err != nil {
			return nil, err
		}
	}
	s, err := store.Open(dbPath)
	if err != nil {
		return nil, err
	}
	l, err := NewLab(weightsPath, s)
	if err != nil {
		s.Close()
		return nil, err
	}
	return l, nil
}

// NewLab loads the weights as OpenLab does and logs to a store already
// open (one opened with store.OpenWith, say); Close closes it.
func NewLab(weightsPath string, s *store.Store) (*Lab, error) {
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
	return &Lab{Model: m, Store: s}, nil
}

// ModelFor returns the network p runs on: Model for a raw network, or
// Model normalised over p's image set with p's pooling (NetworkWeights),
// made once per image folder and pooling and kept in the lab.
func (l *Lab) ModelFor(p *transfer.Plan) (*vgg.Model, error) {
	if p.Network == transfer.Raw {
		if n := l.Model.Weights().Normalised; n != nil {
			return nil, fmt.Errorf("experiments: the lab's weights %s are normalised already: load the raw weights for network=raw", l.Model.Weights().Source)
		}
		return l.Model, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	key := normalisedKey{p.NormaliseImages, p.Pooling}
	if m := l.normalised[key]; m != nil {
		return m, nil
	}
	w, err := NetworkWeights(l.Model.Weights(), p)
	if err != nil {
		return nil, err
	}
	m, err := vgg.New(w)
	if err != nil {
		return nil, err
	}
	if l.normalised == nil {
		l.normalised = map[normalisedKey]*vgg.Model{}
	}
	l.normalised[key] = m
	return m, nil
}

// NetworkWeights returns the weights plan p runs on, given raw weights w:
// w for a raw network, or w normalised over p.NormaliseImages ("" for the
// standard set) with p.Pooling by weights.Normalised, which caches them.
func NetworkWeights(w *vgg.Weights, p *transfer.Plan) (*vgg.Weights, error) {
	if p.Network == transfer.Raw {
		return w, nil
	}
	n, err := weights.Normalised(w, p.NormaliseImages, p.Pooling)
	if err != nil {
		return nil, fmt.Errorf("experiments: network=normalised: %w", err)
	}
	return n, nil
}

// Close closes the store.
func (l *Lab) Close() error { return l.Store.Close() }

// Run resolves cfg and runs it as RunPlan does. Bad settings are refused
// before anything is logged.
func (l *Lab) Run(ctx context.Context, cfg transfer.Config, hooks transfer.Hooks) (*transfer.Result, error) {
	p, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	return l.RunPlan(ctx, p, hooks)
}

// RunPlan runs p and logs it as it goes: parameters, every step's losses,
// snapshots, the final image and its loss plot, and the source of each
// custom term (a "source" artifact named term-NAME.go.txt). Result.RunID is its id in
// the store. An interrupted or failed run keeps what it logged.
func (l *Lab) RunPlan(ctx context.Context, p *transfer.Plan, hooks transfer.Hooks) (*transfer.Result, error) {
	return l.runPlan(ctx, p, hooks, false)
}

// runPlan is RunPlan; exclusive claims the point first (store.RunSpec.Exclusive),
// and a point held elsewhere is a *store.ClaimError.
func (l *Lab) runPlan(ctx context.Context, p *transfer.Plan, hooks transfer.Hooks, exclusive bool) (*transfer.Result, error) {
	m, err := l.ModelFor(p)
	if err != nil {
		return nil, err
	}
	spec := runSpec(p, m)
	spec.Exclusive = exclusive
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
	for _, t := range p.Terms { // the code of each custom term, beside its hash in params.terms
		_, err := run.SaveArtifact(store.KindSource, "term-"+t.Name+".go.txt", 0, []byte(t.Source))
		keep(err)
	}
	every := p.ReportEvery
	tracked := *p
	tracked.ReportEvery = 1 // every step is logged; the caller's hook keeps its pace
	logging := transfer.Hooks{
		Step: func(s transfer.Step) {
			metrics := map[string]float64{"total": s.Losses.Total, "content": s.Content, "style": s.Style, "tv": s.TV,
				"evaluations": float64(s.Evaluations)}
			if len(p.Terms) > 0 {
				metrics["terms"] = s.Terms
			}
			for k, v := range s.Layers {
				metrics[k] = v
			}
			keep(run.LogStep(s.Iteration, s.Elapsed.Seconds(), metrics))
			if hooks.Step != nil && (s.Iteration%every == 0 || s.Iteration == s.Planned) {
				hooks.Step(s)
			}
		},
		PreviewDue: hooks.PreviewDue,
		Snapshot: func(s transfer.Snapshot) {
			if !s.Preview {
				keep(saveImage(run, store.KindSnapshot, fmt.Sprintf("step-%05d.png", s.Iteration), s.Iteration, s.Image, nil))
			}
			if hooks.Snapshot != nil {
				hooks.Snapshot(s)
			}
		},
	}
	res, runErr := transfer.Run(ctx, m, &tracked, logging)
	res.Plan = p
	res.RunID = run.ID()
	if res.Image != nil {
		keep(saveImage(run, store.KindFinal, "final.png", res.Iterations, res.Image, Metadata(p, spec.WeightsSHA256)))
	}
	if len(res.Steps) > 0 {
		var buf bytes.Buffer
		if err := WriteLossPlot(&buf, res); err == nil {
			_, err = run.SaveArtifact(store.KindPlot, "losses.png", res.Iterations, buf.Bytes())
			keep(err)
		}
	}
	status, message := store.StatusFinished, ""
	if len(res.Stops) > 0 {
		message = "stopped by " + strings.Join(res.Stops, ", ") // per scale
	}
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

// runSpec describes the run of p on m for the store: its settings, identity and inputs.
func runSpec(p *transfer.Plan, m *vgg.Model) store.RunSpec {
	inputs := []store.Input{input("content", p.Content)}
	for _, s := range p.Styles {
		inputs = append(inputs, input("style", s))
	}
	if p.Init != nil {
		inputs = append(inputs, input("init", *p.Init))
	}
	var params []store.Param
	for _, q := range p.Params() {
		params = append(params, store.Param{Key: q.Key, Value: q.Value})
	}
	version, commit := Version()
	weights := m.Weights().SHA256
	var tags []string
	if !m.Weights().Verified {
		tags = append(tags, UnverifiedWeights) // the files match no published sha256
	}
	return store.RunSpec{
		Name: p.Name, Experiment: p.Experiment, Seed: p.Seed,
		Version: version, Commit: commit, WeightsSHA256: weights,
		Inputs: inputs, Params: params, Identity: p.Identity(weights), Tags: tags,
	}
}

// input records an image: its path, or "memory:" and its hash for an image given in memory.
func input(role string, im transfer.Image) store.Input {
	path := im.Path
	if path == "" {
		path = "memory:" + im.Pixels[:12]
	}
	return store.Input{Role: role, Path: path, SHA256: im.SHA256}
}
