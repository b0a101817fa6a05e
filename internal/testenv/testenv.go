// Package testenv finds the shared test data (weights, images) for tests and benchmarks.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Shared returns the shared data directory: $STYLELAB_SHARED, else ../shared beside the repository.
func Shared(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("STYLELAB_SHARED")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
	}
	if _, err := os.Stat(dir); err != nil {
		tb.Fatalf("shared test data not found at %s (set STYLELAB_SHARED): %v", dir, err)
	}
	return dir
}

// Path joins elements under the shared directory.
func Path(tb testing.TB, elem ...string) string {
	return filepath.Join(append([]string{Shared(tb)}, elem...)...)
}

// WeightsDir is the shared VGG-19 (TensorFlow.js, uint8).
func WeightsDir(tb testing.TB) string {
	return Path(tb, "weights", "vgg19-imagenet-tfjs-uint8")
}
