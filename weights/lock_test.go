//go:build unix

package weights

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/vgg"
)

// TestLoadWaitsForConversion: while another process holds the conversion
// lock of a source, Load waits, then reads the cache that process wrote
// instead of converting the source again.
func TestLoadWaitsForConversion(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("STYLELAB_CACHE", cache)
	dir := testenv.WeightsDir(t)
	sum, _, err := hashSource(formatTFJS, dir)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(cache, sum+cacheExt)
	unlock := lockConversion(cp) // the "other process": a lock on its own open file

	type result struct {
		w   *vgg.Weights
		err error
	}
	done := make(chan result, 1)
	go func() {
		w, err := LoadFeatures(dir)
		done <- result{w, err}
	}()
	select {
	case r := <-done:
		unlock()
		t.Fatalf("LoadFeatures returned (%v) while another process held the conversion lock", r.err)
	case <-time.After(time.Second):
	}
	// The other process's conversion: weights that a conversion of the
	// real source would not give, so the test sees which were loaded.
	planted := convOnlyWeights()
	planted.SHA256 = sum
	if err := saveCache(planted, cp, ""); err != nil {
		t.Fatal(err)
	}
	unlock()
	var r result
	select {
	case r = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("LoadFeatures still waits after the lock was released")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	planted.Source = dir
	if err := sameWeights(r.w, planted); err != nil {
		t.Errorf("LoadFeatures converted the source again instead of reading the cache written under the lock: %v", err)
	}
}

// TestLockConversionExcludes: a second lock on the same cache file waits
// for the first; another source's lock does not.
func TestLockConversionExcludes(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"+cacheExt), filepath.Join(dir, "b"+cacheExt)
	unlockA := lockConversion(a)
	other := make(chan struct{})
	go func() { lockConversion(b)(); close(other) }()
	select {
	case <-other:
	case <-time.After(10 * time.Second):
		t.Fatal("the lock of another source waited")
	}
	second := make(chan struct{})
	go func() { lockConversion(a)(); close(second) }()
	select {
	case <-second:
		t.Fatal("a second lock of the same source did not wait")
	case <-time.After(300 * time.Millisecond):
	}
	unlockA()
	select {
	case <-second:
	case <-time.After(10 * time.Second):
		t.Fatal("the second lock still waits after the first was released")
	}
}
