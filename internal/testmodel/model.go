// Package testmodel loads the shared VGG-19 once per test binary.
package testmodel

import (
	"sync"
	"testing"

	"github.com/stylelab/stylelab/internal/testenv"

	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights/tfjs"
)

var model struct {
	once sync.Once
	m    *vgg.Model
	err  error
}

// Model is the shared VGG-19 without its classifier, loaded once per test binary.
func Model(tb testing.TB) *vgg.Model {
	tb.Helper()
	dir := testenv.WeightsDir(tb)
	model.once.Do(func() {
		w, err := tfjs.Load(dir)
		if err != nil {
			model.err = err
			return
		}
		w.FC = nil
		model.m, model.err = vgg.New(w)
	})
	if model.err != nil {
		tb.Fatal(model.err)
	}
	return model.m
}
