package weights

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"path/filepath"
	"strings"

	"github.com/stylelab/stylelab/weights/fetch"
	"github.com/stylelab/stylelab/weights/tfjs"
)

// sourceFile is one file of a weights source with its sha256.
type sourceFile struct {
	name   string // as a known model lists it: relative to a tfjs model's folder, else the base name
	path   string
	sha256 string
}

// hashSource reads a source's files once and returns the digest that keys
// the cache (the file's sha256; for tfjs, that of model.json followed by
// every shard in manifest order) and each file's own sha256.
func hashSource(format, root string) (string, []sourceFile, error) {
	paths := []string{root}
	dir := filepath.Dir(root)
	if format == formatTFJS {
		shards, err := tfjs.Shards(root)
		if err != nil {
			return "", nil, err
		}
		paths = append([]string{filepath.Join(root, "model.json")}, shards...)
		dir = root
	}
	all := sha256.New()
	files := make([]sourceFile, len(paths))
	for i, p := range paths {
		name, err := filepath.Rel(dir, p)
		if err != nil {
			name = filepath.Base(p)
		}
		var own hash.Hash = all // a single file's digest is the source's
		var w io.Writer = all
		if len(paths) > 1 {
			own = sha256.New()
			w = io.MultiWriter(all, own)
		}
		if err := hashFile(w, p); err != nil {
			if format == formatTFJS {
				return "", nil, fmt.Errorf("weights: TensorFlow.js model %s: %w (is the download complete? `stylelab weights verify %s`)", root, err, root)
			}
			return "", nil, fmt.Errorf("weights: hashing weights: %w", err)
		}
		files[i] = sourceFile{name: filepath.ToSlash(name), path: p, sha256: hex.EncodeToString(own.Sum(nil))}
	}
	return hex.EncodeToString(all.Sum(nil)), files, nil
}

// checkKnown compares a source's files with the models fetch knows. When
// every file matches a model's published sha256 (or published prefix) the
// weights are verified. When the files carry a known model's names but one
// differs from its published sha256, the source is corrupt and the error
// names the file and how to fetch it again. Anything else loads unverified;
// provenance says why.
func checkKnown(models []fetch.Model, files []sourceFile) (verified bool, provenance string, err error) {
	for _, m := range models {
		published := map[string]fetch.File{}
		for _, f := range m.Files {
			published[f.Name] = f
		}
		if len(files) == 1 && len(m.Files) == 1 && m.Files[0].SHA256 != "" && strings.HasPrefix(files[0].sha256, m.Files[0].SHA256) {
			return true, verifiedBy(m), nil // known by content, whatever its name
		}
		named, match, unpublished := true, 0, ""
		var bad []string
		for _, f := range files {
			p, ok := published[f.name]
			switch {
			case !ok:
				named = false
			case p.SHA256 == "":
				unpublished = f.name
			case strings.HasPrefix(f.sha256, p.SHA256):
				match++
			default:
				bad = append(bad, fmt.Sprintf("%s (sha256 %s, published %s)", f.path, f.sha256, p.SHA256))
			}
		}
		switch {
		case !named:
			continue
		case len(bad) > 0:
			dir := filepath.Dir(files[0].path)
			if len(bad) > 3 {
				bad = append(bad[:3], fmt.Sprintf("and %d more", len(bad)-3))
			}
			return false, "", fmt.Errorf("weights: %s: %d of %d files differ from their published sha256: %s; the files are corrupt or were changed: fetch them again with `stylelab weights fetch -dir %s %s` (`stylelab weights verify %s` lists every file)",
				m.Name, len(bad), len(files), strings.Join(bad, ", "), dir, m.Name, dir)
		case unpublished != "":
			return false, fmt.Sprintf("unverified: %s publishes no sha256 for %s, so its content cannot be checked", m.Name, unpublished), nil
		case match == len(m.Files):
			return true, verifiedBy(m), nil
		default:
			return false, fmt.Sprintf("unverified: %d of the %d files of %s", match, len(m.Files), m.Name), nil
		}
	}
	return false, "unverified: not a model that `stylelab weights list` shows, so no published sha256 to check it against", nil
}

// verifiedBy is the provenance of weights that match model m.
func verifiedBy(m fetch.Model) string {
	if len(m.Files) == 1 && len(m.Files[0].SHA256) < sha256.Size*2 {
		return fmt.Sprintf("verified: %s, sha256 begins with the published %s (only a prefix is published)", m.Name, m.Files[0].SHA256)
	}
	return fmt.Sprintf("verified: %s, %d file(s) match their published sha256", m.Name, len(m.Files))
}
