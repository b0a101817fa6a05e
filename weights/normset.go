package weights

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/vgg"
)

// StandardSet names the default image set a network is normalised over:
// the 7 photos of <shared>/imagenet-check and the 5 images of
// <shared>/images, checked against the embedded manifest standard-v1.sha256.
// <shared> is $STYLELAB_SHARED, else ./../shared, else the folder above the
// weights that holds imagenet-check (the shared weights live in
// <shared>/weights/).
const StandardSet = "standard-v1"

// MinImageSet is the fewest images a set may hold: the means of a handful
// of photos are a poor estimate of the network's activations.
const MinImageSet = 4

//go:embed standard-v1.sha256
var standardManifest string

// imageExts are the file types an image set folder is read for.
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true}

// LoadImageSet reads every .jpg, .jpeg and .png file in dir, sorted by
// name, and returns the images and their set's vgg.ImageSetSHA256. A
// missing or unreadable folder, an unreadable image, one under 32 px, or
// fewer than MinImageSet images is an error naming the problem.
func LoadImageSet(dir string) ([]image.Image, string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("weights: image set %s does not exist: give a folder of photos (jpg or png), or \"\" for the %s set", dir, StandardSet)
	}
	if err != nil {
		return nil, "", fmt.Errorf("weights: image set %s cannot be read: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if imageExts[strings.ToLower(filepath.Ext(e.Name()))] && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) < MinImageSet {
		return nil, "", fmt.Errorf("weights: image set %s holds %d images (.jpg, .jpeg, .png): put at least %d photos in it, or use \"\" for the %s set", dir, len(names), MinImageSet, StandardSet)
	}
	images := make([]image.Image, len(names))
	for i, n := range names {
		if images[i], err = loadSetImage(filepath.Join(dir, n)); err != nil {
			return nil, "", err
		}
	}
	return images, vgg.ImageSetSHA256(images), nil
}

func loadSetImage(path string) (image.Image, error) {
	img, err := imaging.Load(path)
	if err != nil {
		return nil, fmt.Errorf("weights: image set: %w (remove the file from the set or replace it)", err)
	}
	return checkSetImage(path, img)
}

func checkSetImage(path string, img image.Image) (image.Image, error) {
	if b := img.Bounds(); min(b.Dx(), b.Dy()) < 32 {
		return nil, fmt.Errorf("weights: image set: %s is %dx%d: images must be at least 32 px on each side; remove it from the set", path, b.Dx(), b.Dy())
	}
	return img, nil
}

// LoadStandardSet reads the StandardSet images from the shared data folder
// (see StandardSet; weightsPath, where the weights were loaded from, is the
// last place looked), checking each file against the embedded manifest.
// A missing or changed file is an error naming it.
func LoadStandardSet(weightsPath string) ([]image.Image, string, error) {
	dir, err := sharedDir(weightsPath)
	if err != nil {
		return nil, "", err
	}
	var images []image.Image
	sc := bufio.NewScanner(strings.NewReader(standardManifest))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, name, _ := strings.Cut(line, "  ")
		path := filepath.Join(dir, filepath.FromSlash(name))
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("weights: the %s image set needs %s: %w (restore the shared data, or set STYLELAB_SHARED to the folder that holds imagenet-check and images)", StandardSet, path, err)
		}
		if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
			return nil, "", fmt.Errorf("weights: %s has changed (sha256 %x, the %s set has %s): restore the original file, or give your own folder of images instead of the standard set", path, got, StandardSet, sum)
		}
		img, err := imaging.LoadBytes(path, data)
		if err != nil {
			return nil, "", fmt.Errorf("weights: %w", err)
		}
		if img, err = checkSetImage(path, img); err != nil {
			return nil, "", err
		}
		images = append(images, img)
	}
	return images, vgg.ImageSetSHA256(images), nil
}

// sharedDir finds the shared data folder: $STYLELAB_SHARED, else
// ../shared from the working directory, else the nearest folder above
// weightsPath that holds imagenet-check.
func sharedDir(weightsPath string) (string, error) {
	if d := os.Getenv("STYLELAB_SHARED"); d != "" {
		return d, nil
	}
	if isDir(filepath.Join("..", "shared", "imagenet-check")) {
		return filepath.Join("..", "shared"), nil
	}
	if weightsPath != "" {
		abs, err := filepath.Abs(weightsPath)
		if err == nil {
			for d := filepath.Dir(abs); d != filepath.Dir(d); d = filepath.Dir(d) {
				if isDir(filepath.Join(d, "imagenet-check")) {
					return d, nil
				}
			}
		}
	}
	return "", fmt.Errorf("weights: the %s image set was not found (no $STYLELAB_SHARED, no ../shared, nothing above %q holds imagenet-check): set STYLELAB_SHARED to the shared data folder, or give a folder of your own images", StandardSet, weightsPath)
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
