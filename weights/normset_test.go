package weights

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/vgg"
)

// copyFiles copies shared files (relative to the shared folder) into dir
// under their base names.
func copyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		data, err := os.ReadFile(testenv.Path(t, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(n)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var fourPhotos = []string{"imagenet-check/house1.jpg", "imagenet-check/cat1.jpg", "imagenet-check/dingo.jpg", "imagenet-check/dog1.jpg"}

// TestLoadImageSet reads a folder's images in name order and refuses
// missing, empty, small and broken sets with the reason.
func TestLoadImageSet(t *testing.T) {
	good := func(t *testing.T, dir string) {
		copyFiles(t, dir, fourPhotos...)
		if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("not an image"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(dir, "folder.jpg"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		wantErr string
	}{
		{"four photos", good, ""},
		{"missing", func(t *testing.T, dir string) { os.Remove(dir) }, "does not exist"},
		{"empty", func(t *testing.T, dir string) {}, "holds 0 images"},
		{"three", func(t *testing.T, dir string) { copyFiles(t, dir, fourPhotos[:3]...) }, "holds 3 images (.jpg, .jpeg, .png): put at least 4"},
		{"corrupt", func(t *testing.T, dir string) {
			good(t, dir)
			if err := os.WriteFile(filepath.Join(dir, "broken.jpg"), []byte("\xff\xd8\xff\xe0 not really"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "broken.jpg"},
		{"small", func(t *testing.T, dir string) {
			good(t, dir)
			f, err := os.Create(filepath.Join(dir, "icon.PNG"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, image.NewRGBA(image.Rect(0, 0, 20, 40))); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}, "icon.PNG is 20x40"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			images, sum, err := LoadImageSet(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []image.Image
			for _, n := range []string{"cat1.jpg", "dingo.jpg", "dog1.jpg", "house1.jpg"} { // by name
				img, err := imaging.Load(filepath.Join(dir, n))
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, img)
			}
			if len(images) != 4 || sum != vgg.ImageSetSHA256(want) {
				t.Errorf("%d images, sha %s; want the 4 photos in name order (%s)", len(images), sum, vgg.ImageSetSHA256(want))
			}
		})
	}
}

// TestLoadStandardSet finds the standard set through $STYLELAB_SHARED or
// from the weights' path, and names a file that is missing or changed.
func TestLoadStandardSet(t *testing.T) {
	shared := testenv.Shared(t)
	t.Chdir(t.TempDir()) // no ../shared here
	copyShared := func(t *testing.T) string {
		dir := t.TempDir()
		for _, sub := range []string{"imagenet-check", "images"} {
			if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
				t.Fatal(err)
			}
			entries, err := os.ReadDir(filepath.Join(shared, sub))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				copyFiles(t, filepath.Join(dir, sub), filepath.Join(sub, e.Name()))
			}
		}
		return dir
	}
	tests := []struct {
		name        string
		env         func(t *testing.T) string // $STYLELAB_SHARED
		weightsPath string
		wantErr     string
	}{
		{"STYLELAB_SHARED", func(t *testing.T) string { return shared }, "", ""},
		{"beside the weights", func(t *testing.T) string { return "" }, testenv.WeightsDir(t), ""},
		{"not found", func(t *testing.T) string { return "" }, "", "set STYLELAB_SHARED"},
		{"changed", func(t *testing.T) string {
			dir := copyShared(t)
			f, err := os.OpenFile(filepath.Join(dir, "images", "shipwreck.jpg"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte{0}); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "", "shipwreck.jpg has changed"},
		{"missing", func(t *testing.T) string {
			dir := copyShared(t)
			if err := os.Remove(filepath.Join(dir, "imagenet-check", "dog2.jpg")); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "", filepath.Join("imagenet-check", "dog2.jpg") + ": open"},
	}
	var first string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("STYLELAB_SHARED", tc.env(t))
			images, sum, err := LoadStandardSet(tc.weightsPath)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if first == "" {
				first = sum
			}
			if len(images) != 12 || sum != first || sum != vgg.ImageSetSHA256(images) {
				t.Errorf("%d images with sha %s, want the 12 of the manifest with sha %s", len(images), sum, first)
			}
		})
	}
}

// TestNormalisedCache: normalised weights are computed once, kept in the
// cache's normalised/ folder with their Normalisation, and read back equal;
// Locate still finds the raw weights.
func TestNormalisedCache(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("STYLELAB_CACHE", cache)
	t.Setenv(weightsEnv, "")
	set := t.TempDir()
	copyFiles(t, set, fourPhotos...)
	full := *sharedWeights(t)
	full.SHA256 = sharedDigest // as Load gives it
	features := full
	features.FC = nil
	rawPath, err := cachePath(full.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := saveCache(&features, rawPath, ""); err != nil {
		t.Fatal(err)
	}

	first, err := Normalised(&features, set, vgg.AvgPool)
	if err != nil {
		t.Fatal(err)
	}
	n := first.Normalised
	_, setSHA, err := LoadImageSet(set)
	if err != nil {
		t.Fatal(err)
	}
	if n == nil || n.SourceSHA256 != full.SHA256 || n.ImageSetSHA256 != setSHA || n.Images != 4 || n.Size != NormaliseSize ||
		first.SHA256 != vgg.NormalisedSHA256(full.SHA256, setSHA, vgg.AvgPool, NormaliseSize) || len(first.FC) != 0 {
		t.Fatalf("normalised weights %.12s with record %+v, want those of the 4-image set", first.SHA256, n)
	}
	path := filepath.Join(cache, "normalised", first.SHA256+cacheExt)
	stored, err := loadCache(path, false)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Normalised(&features, set, vgg.AvgPool)
	if err != nil {
		t.Fatal(err)
	}
	for what, w := range map[string]*vgg.Weights{"the cache file": stored, "a second call": again} {
		if err := sameWeights(first, w); err != nil {
			t.Errorf("%s: %v", what, err)
		}
		if !reflect.DeepEqual(w.Normalised, n) {
			t.Errorf("%s: record %+v, want %+v", what, w.Normalised, n)
		}
	}
	if got, err := Locate(""); err != nil || got != rawPath {
		t.Errorf("Locate found %q (%v), want the raw weights %s", got, err, rawPath)
	}

	// With the classifier: the cached file lacks it, so it is made again, with fc6 compensated.
	withFC, err := Normalised(&full, set, vgg.AvgPool)
	if err != nil {
		t.Fatal(err)
	}
	if len(withFC.FC) != 3 || withFC.SHA256 != first.SHA256 || reflect.DeepEqual(withFC.FC[0].Weight[:100], full.FC[0].Weight[:100]) {
		t.Errorf("normalised with the classifier: %d fc layers, sha %.12s; want fc6-fc8 with fc6 rescaled", len(withFC.FC), withFC.SHA256)
	}
	if stored, err := loadCache(path, true); err != nil || len(stored.FC) != 3 {
		t.Errorf("the cache file was not replaced by the one with the classifier (%v)", err)
	}

	if _, err := Normalised(first, set, vgg.AvgPool); err == nil || !strings.Contains(err.Error(), "already normalised") {
		t.Errorf("normalising normalised weights: %v, want a refusal", err)
	}
	unhashed := features
	unhashed.SHA256 = ""
	if _, err := Normalised(&unhashed, set, vgg.MaxPool); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(cache, "normalised"))
	if err != nil || len(entries) != 1 {
		t.Errorf("normalised cache holds %d files (%v), want only the one of the hashed weights", len(entries), err)
	}
}
