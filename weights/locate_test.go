package weights

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/weights/fetch"
)

func TestLocate(t *testing.T) {
	cache, models := t.TempDir(), t.TempDir()
	t.Setenv("STYLELAB_CACHE", cache)
	t.Setenv("STYLELAB_MODELS", models)
	t.Setenv(weightsEnv, "")
	if _, err := Locate(""); err == nil || !strings.Contains(err.Error(), "stylelab weights fetch") {
		t.Fatalf("nothing anywhere: %v, want an error saying how to get weights", err)
	}
	// A fetched model in its default directory is found.
	tfjs, err := fetch.Find("vgg19-imagenet-tfjs-uint8")
	if err != nil {
		t.Fatal(err)
	}
	fetched := filepath.Join(models, tfjs.Name)
	if err := os.MkdirAll(fetched, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range tfjs.Files { // not symbolic links: Load refuses shards that lead out of the folder
		linkOrCopy(t, filepath.Join(testenv.WeightsDir(t), f.Name), filepath.Join(fetched, f.Name))
	}
	if got, err := Locate(""); err != nil || got != fetched {
		t.Errorf("with a fetched model: %q, %v; want %s", got, err, fetched)
	}
	if format, _, err := detectFormat(tfjs.WeightsPath(fetched)); err != nil || format != tfjs.Format {
		t.Errorf("the fetched model's weights path holds %q (%v), its description says %q", format, err, tfjs.Format)
	}
	// Once loaded, the cache is used.
	if _, err := Load(fetched); err != nil {
		t.Fatal(err)
	}
	if got, err := Locate(""); err != nil || filepath.Dir(got) != cache {
		t.Errorf("with a cache: %q, %v; want a file in %s", got, err, cache)
	}
	t.Setenv(weightsEnv, "/some/weights")
	if got, _ := Locate(""); got != "/some/weights" {
		t.Errorf("with %s set: %q", weightsEnv, got)
	}
	if got, _ := Locate("flag.pth"); got != "flag.pth" {
		t.Errorf("with a path: %q", got)
	}
}

// linkOrCopy puts src's content at dst, hard-linked when the file system allows.
func linkOrCopy(t *testing.T, src, dst string) {
	t.Helper()
	if os.Link(src, dst) == nil {
		return
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFetchFormats: every model fetch knows names its format as detectFormat does.
func TestFetchFormats(t *testing.T) {
	for _, m := range fetch.Models() {
		if m.Format != formatTFJS && m.Format != formatTorch && m.Format != formatCaffe {
			t.Errorf("model %s has format %q, want %q, %q or %q", m.Name, m.Format, formatTFJS, formatTorch, formatCaffe)
		}
	}
}
