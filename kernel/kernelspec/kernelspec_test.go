package kernelspec

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestInstall(t *testing.T) {
	prefix := t.TempDir()
	dir, err := Install(Options{Binary: "/opt/bin/stylelab", Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(prefix, "share", "jupyter", "kernels", DefaultName); dir != want {
		t.Errorf("installed in %s, want %s", dir, want)
	}
	data, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	if spec.DisplayName != "Go (Stylelab)" || spec.Language != "go" || len(spec.Argv) != 4 ||
		spec.Argv[0] != "/opt/bin/stylelab" || spec.Argv[3] != "{connection_file}" {
		t.Errorf("kernel.json: %+v", spec)
	}
	for _, size := range []int{32, 64} {
		f, err := os.Open(filepath.Join(dir, "logo-"+itoa(size)+"x"+itoa(size)+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() != size {
			t.Errorf("logo %d: %v", size, err)
		}
	}
}

func itoa(n int) string { return map[int]string{32: "32", 64: "64"}[n] }

func TestInstallUserAndErrors(t *testing.T) {
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	dir, err := Install(Options{Binary: "/x/stylelab", Name: "go-test"})
	if err != nil || filepath.Base(dir) != "go-test" {
		t.Fatalf("user install: %s %v", dir, err)
	}
	if _, err := Install(Options{Binary: "relative/stylelab"}); err == nil {
		t.Error("a relative binary path was accepted")
	}
	if _, err := Install(Options{Binary: "/x/stylelab", Name: "bad name"}); err == nil {
		t.Error("a bad kernel name was accepted")
	}
}
