package weights

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/stylelab/stylelab/weights/fetch"
)

// weightsEnv is the environment variable that names the weights to use.
const weightsEnv = "STYLELAB_WEIGHTS"

// Locate decides which weights to use: path if given, else $STYLELAB_WEIGHTS,
// else the most recently converted weights in the cache, else a model that
// `stylelab weights fetch` downloaded to its default directory. When there
// are none the error says how to get them.
func Locate(path string) (string, error) {
	if path != "" {
		return path, nil
	}
	if env := os.Getenv(weightsEnv); env != "" {
		return env, nil
	}
	if dir, err := cacheDir(); err == nil {
		matches, _ := filepath.Glob(filepath.Join(dir, "*"+cacheExt))
		sort.Slice(matches, func(i, j int) bool { return modTime(matches[i]) > modTime(matches[j]) })
		if len(matches) > 0 {
			return matches[0], nil
		}
	}
	for _, m := range fetch.Models() {
		dir, err := fetch.DefaultDir(m.Name)
		if err != nil {
			continue
		}
		if p := m.WeightsPath(dir); complete(m, dir) {
			return p, nil
		}
	}
	return "", fmt.Errorf("weights: no VGG-19 weights found: pass -weights PATH (a TensorFlow.js model directory, a .pth or a .caffemodel), " +
		"set " + weightsEnv + ", or download them with `stylelab weights fetch vgg19-imagenet-tfjs-uint8` (see `stylelab weights list`); " +
		"once loaded, weights are cached and found without either")
}

func modTime(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.ModTime().UnixNano()
}

// complete reports whether every file of m is in dir (fully downloaded:
// fetch.Download renames a file into place only once it is checked).
func complete(m fetch.Model, dir string) bool {
	for _, f := range m.Files {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err != nil {
			return false
		}
	}
	return len(m.Files) > 0
}
