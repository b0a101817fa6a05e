package weights

import (
	"fmt"
	"image"
	"path/filepath"

	"github.com/stylelab/stylelab/vgg"
)

// NormaliseSize is the longest side, in pixels, that Normalised resizes
// the images it measures to.
const NormaliseSize = 256

// Normalised returns w normalised as Gatys et al. describe (see
// vgg.Normalise) over the images in setDir ("" for the StandardSet) with
// the given pooling, at NormaliseSize px. The result is kept in the cache
// directory's normalised/ folder under its SHA256 (which derives from w's,
// the images', the pooling and the size) with its vgg.Normalisation, so
// asking again only reads and hashes the images and loads the cache.
// Weights without a SHA256 (not read by Load) are normalised but not cached.
func Normalised(w *vgg.Weights, setDir string, pooling vgg.Pooling) (*vgg.Weights, error) {
	if w == nil {
		return nil, fmt.Errorf("weights: no weights to normalise: load them with weights.Load")
	}
	if w.Normalised != nil {
		_, _, err := vgg.Normalise(w, nil, pooling, NormaliseSize) // refuses, saying why
		return nil, err
	}
	var images []image.Image
	var setSHA string
	var err error
	if setDir == "" {
		images, setSHA, err = LoadStandardSet(w.Source)
	} else {
		images, setSHA, err = LoadImageSet(setDir)
	}
	if err != nil {
		return nil, err
	}
	sum := vgg.NormalisedSHA256(w.SHA256, setSHA, pooling, NormaliseSize)
	path, cerr := normalisedCachePath(sum)
	if w.SHA256 == "" {
		cerr = fmt.Errorf("weights: %s has no SHA256", w.Source)
	}
	classifier := len(w.FC) > 0
	if cerr == nil {
		c, err := loadCache(path, classifier)
		if err == nil && c.SHA256 == sum && c.Normalised != nil && c.Normalised.SourceSHA256 == w.SHA256 &&
			(len(c.FC) > 0) == classifier {
			return c, nil
		}
	}
	n, _, err := vgg.Normalise(w, images, pooling, NormaliseSize)
	if err != nil {
		return nil, err
	}
	if cerr == nil {
		_ = saveCache(n, path, "") // best effort: a read-only cache only costs time
	}
	return n, nil
}

// normalisedCachePath is where normalised weights with the given SHA256
// are kept: apart from converted weights, so that Locate never takes
// normalised weights for the raw network.
func normalisedCachePath(sum string) (string, error) {
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "normalised", sum+cacheExt), nil
}
