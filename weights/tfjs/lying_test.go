package tfjs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// craftedModel writes a model.json with one weight group (paths, specs) and
// the named shard files into a new directory.
func craftedModel(t testing.TB, dir string, paths []string, specs []map[string]any, files map[string][]byte) string {
	t.Helper()
	model := map[string]any{"format": "layers-model",
		"weightsManifest": []any{map[string]any{"paths": paths, "weights": specs}}}
	data, err := json.Marshal(model)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// allocated is how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLoadLyingManifest: shapes and paths in model.json that the shards do
// not back are refused with an error naming model.json and the tensor,
// without allocating what they claim.
func TestLoadLyingManifest(t *testing.T) {
	spec := func(shape []int64, dtype string) []map[string]any {
		return []map[string]any{{"name": "vgg19/block1_conv1/kernel:0", "shape": shape, "dtype": dtype}}
	}
	shard := map[string][]byte{"s.bin": make([]byte, 4096)}
	outside := filepath.Join(t.TempDir(), "outside.bin")
	if err := os.WriteFile(outside, make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		paths []string
		specs []map[string]any
		setup func(dir string)
		want  []string
	}{
		{"overflowing shape", []string{"s.bin"}, spec([]int64{1 << 40, 1 << 40}, "float32"), nil,
			[]string{"tensor vgg19/block1_conv1/kernel:0", "more elements than any file can hold"}},
		{"overflow to a small product", []string{"s.bin"}, spec([]int64{1 << 32, 1 << 32, 2}, "uint8"), nil,
			[]string{"tensor vgg19/block1_conv1/kernel:0", "more elements"}},
		{"huge shape", []string{"s.bin"}, spec([]int64{1 << 20, 1 << 20, 64}, "uint8"), nil,
			[]string{"needs 70368744177664 bytes of uint8, the shards hold 4096 more"}},
		{"just too large", []string{"s.bin"}, spec([]int64{1025}, "float32"), nil,
			[]string{"needs 4100 bytes of float32, the shards hold 4096 more"}},
		{"zero dimension", []string{"s.bin"}, spec([]int64{3, 0}, "float32"), nil, []string{"bad shape [3 0]"}},
		{"negative dimension", []string{"s.bin"}, spec([]int64{-4, -4}, "float32"), nil, []string{"bad shape [-4 -4]"}},
		{"parent path", []string{"../outside.bin"}, spec([]int64{4}, "float32"), nil,
			[]string{`shard path "../outside.bin" is not inside the model's folder`}},
		{"climbing path", []string{"sub/../../outside.bin"}, spec([]int64{4}, "float32"), nil,
			[]string{"not inside the model's folder"}},
		{"absolute path", []string{outside}, spec([]int64{4}, "float32"), nil,
			[]string{"not inside the model's folder"}},
		{"empty path", []string{""}, spec([]int64{4}, "float32"), nil, []string{"not inside the model's folder"}},
		{"symlink out", []string{"link.bin"}, spec([]int64{4}, "float32"), func(dir string) {
			if err := os.Symlink(outside, filepath.Join(dir, "link.bin")); err != nil {
				t.Fatal(err)
			}
		}, []string{"symbolic link leads out of the model's folder"}},
		{"symlinked folder out", []string{"sub/s.bin"}, spec([]int64{4}, "float32"), func(dir string) {
			if err := os.Symlink(filepath.Dir(outside), filepath.Join(dir, "sub")); err != nil {
				t.Fatal(err)
			}
		}, []string{"symbolic link leads out of the model's folder"}},
		{"shard is a folder", []string{"d"}, spec([]int64{4}, "float32"), func(dir string) {
			if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, []string{"d is not a regular file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := craftedModel(t, t.TempDir(), tc.paths, tc.specs, shard)
			if tc.setup != nil {
				tc.setup(dir)
			}
			var err error
			if n := allocated(func() { _, err = Load(dir) }); n > 1<<20 {
				t.Errorf("Load allocated %d bytes for a 4 KiB shard", n)
			}
			if err == nil {
				t.Fatal("loaded without error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "tfjs: "+filepath.Join(dir, "model.json")+": ") {
				t.Errorf("error %q does not start with the model.json path", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Contains(tc.name, "path") || strings.Contains(tc.name, "symlink") {
				if _, err := Shards(dir); err == nil || !strings.Contains(err.Error(), "model's folder") {
					t.Errorf("Shards accepted a path outside the folder: %v", err)
				}
			}
		})
	}
}

// TestLoadSymlinkInside: a shard reached through a symbolic link that stays
// inside the model's folder is read like any other.
func TestLoadSymlinkInside(t *testing.T) {
	dir := writeTFJS(t, sharedWeights(t), "uint8", 4<<20)
	sub := filepath.Join(dir, "store")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	name := "group1-shard3of5.bin"
	if err := os.Rename(filepath.Join(dir, name), filepath.Join(sub, name)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("store", name), filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
	paths, err := Shards(dir)
	if err != nil || len(paths) != 5 || paths[2] != filepath.Join(dir, name) {
		t.Fatalf("Shards = %v, %v", paths, err)
	}
}

// FuzzLoad feeds Load arbitrary model.json files with one shard: it must
// return an error or weights, never panic, and never allocate much more
// than the files hold. The seeds in testdata/fuzz/FuzzLoad run with go test.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"format":"layers-model","weightsManifest":[{"paths":["s.bin"],"weights":[{"name":"block1_conv1/kernel","shape":[3,3,3,64],"dtype":"float32"}]}]}`), make([]byte, 64))
	f.Fuzz(func(t *testing.T, modelJSON, shard []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "model.json"), modelJSON, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "s.bin"), shard, 0o644); err != nil {
			t.Fatal(err)
		}
		var err error
		if n := allocated(func() { _, err = Load(dir) }); n > 64<<20+16*uint64(len(modelJSON)+len(shard)) {
			t.Fatalf("Load allocated %d bytes for %d bytes of files", n, len(modelJSON)+len(shard))
		}
		if err != nil && !strings.HasPrefix(err.Error(), "tfjs: ") {
			t.Fatalf("error without the package prefix: %v", err)
		}
		_, _ = Shards(dir)
	})
}
