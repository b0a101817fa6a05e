package weights

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights/fetch"
)

func TestCheckKnown(t *testing.T) {
	sum := func(c string) string { return strings.Repeat(c, 64) }
	models := []fetch.Model{
		{Name: "multi", Files: []fetch.File{{Name: "model.json", SHA256: sum("1")}, {Name: "s.bin", SHA256: sum("2")}}},
		{Name: "prefix", Files: []fetch.File{{Name: "p.pth", SHA256: "dcbb"}}},
		{Name: "nohash", Files: []fetch.File{{Name: "c.caffemodel"}}},
	}
	file := func(name, sha string) sourceFile { return sourceFile{name, filepath.Join("/m", name), sha} }
	for _, tc := range []struct {
		name     string
		files    []sourceFile
		verified bool
		want     string // in the provenance, or in the error when err
		err      bool
	}{
		{"every file matches", []sourceFile{file("model.json", sum("1")), file("s.bin", sum("2"))}, true, "verified: multi, 2 file(s) match their published sha256", false},
		{"one file differs", []sourceFile{file("model.json", sum("1")), file("s.bin", sum("3"))}, false,
			"multi: 1 of 2 files differ from their published sha256: /m/s.bin (sha256 " + sum("3") + ", published " + sum("2") + "); the files are corrupt or were changed: fetch them again with `stylelab weights fetch -dir /m multi`", true},
		{"prefix by name", []sourceFile{file("p.pth", "dcbb"+sum("0")[4:])}, true, "verified: prefix, sha256 begins with the published dcbb (only a prefix is published)", false},
		{"prefix by content, renamed", []sourceFile{file("mine.pth", "dcbb"+sum("0")[4:])}, true, "verified: prefix", false},
		{"prefix name, other content", []sourceFile{file("p.pth", sum("e"))}, false, "/m/p.pth (sha256 eeee", true},
		{"no published sha256", []sourceFile{file("c.caffemodel", sum("4"))}, false, "unverified: nohash publishes no sha256 for c.caffemodel", false},
		{"unknown file", []sourceFile{file("vgg.pth", sum("5"))}, false, "unverified: not a model that `stylelab weights list` shows", false},
		{"known names and an unknown one", []sourceFile{file("model.json", sum("9")), file("other.bin", sum("2"))}, false, "unverified: not a model", false},
		{"part of a model", []sourceFile{file("model.json", sum("1"))}, false, "unverified: 1 of the 2 files of multi", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			verified, provenance, err := checkKnown(models, tc.files)
			if tc.err {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want one saying %q", err, tc.want)
				}
				return
			}
			if err != nil || verified != tc.verified || !strings.Contains(provenance, tc.want) {
				t.Fatalf("checkKnown = %v, %q, %v; want %v, %q", verified, provenance, err, tc.verified, tc.want)
			}
		})
	}
}

// TestLoadRefusesCorruptKnownModel: a copy of the shared model with one
// byte flipped in one shard carries the known model's names but not its
// sums: Load refuses it, naming the shard and the fix, before converting
// or caching anything.
func TestLoadRefusesCorruptKnownModel(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("STYLELAB_CACHE", cache)
	src := testenv.WeightsDir(t)
	dir := filepath.Join(t.TempDir(), "model")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := fetch.Find("vgg19-imagenet-tfjs-uint8")
	if err != nil {
		t.Fatal(err)
	}
	const bad = "group1-shard37of138.bin"
	for _, f := range m.Files {
		if f.Name != bad {
			linkOrCopy(t, filepath.Join(src, f.Name), filepath.Join(dir, f.Name))
		}
	}
	data, err := os.ReadFile(filepath.Join(src, bad))
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/3] ^= 0x01
	if err := os.WriteFile(filepath.Join(dir, bad), data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, load := range []func(string) (*vgg.Weights, error){Load, LoadFeatures} {
		_, err := load(dir)
		if err == nil {
			t.Fatal("a corrupt copy of a known model loaded")
		}
		for _, want := range []string{filepath.Join(dir, bad), "vgg19-imagenet-tfjs-uint8: 1 of 139 files differ", "stylelab weights fetch -dir " + dir + " vgg19-imagenet-tfjs-uint8"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	}
	if entries, err := os.ReadDir(cache); err != nil || len(entries) != 0 {
		t.Fatalf("the corrupt model was converted into the cache: %d entries (%v)", len(entries), err)
	}
}
