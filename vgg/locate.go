package vgg

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// WeightsEnv is the environment variable that names the weights to use.
const WeightsEnv = "STYLELAB_WEIGHTS"

// Locate decides which weights to use: path if given, else $STYLELAB_WEIGHTS,
// else the most recently converted weights in CacheDir, else a model that
// `stylelab weights fetch` downloaded to its default directory. When there
// are none the error says how to get them.
func Locate(path string) (string, error) {
	if path != "" {
		return path, nil
	}
	if env := os.Getenv(WeightsEnv); env != "" {
		return env, nil
	}
	if dir, err := CacheDir(); err == nil {
		matches, _ := filepath.Glob(filepath.Join(dir, "*"+cacheExt))
		sort.Slice(matches, func(i, j int) bool { return modTime(matches[i]) > modTime(matches[j]) })
		if len(matches) > 0 {
			return matches[0], nil
		}
	}
	for _, m := range RemoteModels() {
		dir, err := ModelDir(m.Name)
		if err != nil {
			continue
		}
		if p := m.WeightsPath(dir); complete(m, dir) {
			return p, nil
		}
	}
	return "", fmt.Errorf("vgg: no VGG-19 weights found: pass -weights PATH (a TensorFlow.js model directory, a .pth or a .caffemodel), " +
		"set " + WeightsEnv + ", or download them with `stylelab weights fetch vgg19-imagenet-tfjs-uint8` (see `stylelab weights list`); " +
		"once loaded, weights are cached and found without either")
}

func modTime(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.ModTime().UnixNano()
}

// complete reports whether every file of m is in dir (fully downloaded: Fetch
// renames a file into place only once it is checked).
func complete(m RemoteModel, dir string) bool {
	for _, f := range m.Files {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err != nil {
			return false
		}
	}
	return len(m.Files) > 0
}
