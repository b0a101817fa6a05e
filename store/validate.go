package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const maxKeyLen = 200

// checkKey rejects empty, over-long, non-UTF-8 or control-character names.
func checkKey(what, k string) error {
	switch {
	case strings.TrimSpace(k) == "":
		return fmt.Errorf("store: %s is empty; give it a name", what)
	case len(k) > maxKeyLen:
		return fmt.Errorf("store: %s %.20q... is %d bytes; keep it under %d", what, k, len(k), maxKeyLen)
	case !utf8.ValidString(k):
		return fmt.Errorf("store: %s %q is not valid UTF-8", what, k)
	case strings.IndexFunc(k, unicode.IsControl) >= 0:
		return fmt.Errorf("store: %s %q holds a control character; use printable text", what, k)
	}
	return nil
}

// checkText rejects text that some engine cannot store: bytes that are not
// UTF-8, and NUL (PostgreSQL's text holds neither).
func checkText(what, v string) error {
	switch {
	case !utf8.ValidString(v):
		return fmt.Errorf("store: %s %q is not valid UTF-8", what, v)
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("store: %s %q holds a NUL character; leave it out", what, v)
	}
	return nil
}

// cleanText makes text storable in any engine (for messages, which must
// not make Finish fail): invalid bytes become U+FFFD, NUL is dropped.
func cleanText(v string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "")
}

// checkTag also rejects whitespace, so tags stay one word on a command line.
func checkTag(t string) error {
	if err := checkKey("tag", t); err != nil {
		return err
	}
	if strings.IndexFunc(t, unicode.IsSpace) >= 0 {
		return fmt.Errorf("store: tag %q holds whitespace; use one word such as %q", t, strings.Join(strings.Fields(t), "-"))
	}
	return nil
}

func (spec RunSpec) validate() error {
	if err := checkKey("RunSpec.Experiment", spec.Experiment); err != nil {
		return err
	}
	if spec.Name != "" {
		if err := checkKey("RunSpec.Name", spec.Name); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, p := range spec.Params {
		if err := checkKey("param key", p.Key); err != nil {
			return err
		}
		if seen[p.Key] {
			return fmt.Errorf("store: param %q is given twice; give each key once", p.Key)
		}
		seen[p.Key] = true
		if err := checkText("param "+p.Key, p.Value); err != nil {
			return err
		}
	}
	for _, in := range spec.Inputs {
		if err := checkKey("input role", in.Role); err != nil {
			return err
		}
		if in.Path == "" {
			return fmt.Errorf("store: input %q has no path; give the image's path", in.Role)
		}
		if err := checkText("input path", in.Path); err != nil {
			return err
		}
		if err := checkText("input sha256", in.SHA256); err != nil {
			return err
		}
	}
	for _, t := range spec.Tags {
		if err := checkTag(t); err != nil {
			return err
		}
	}
	for what, v := range map[string]string{"version": spec.Version, "commit": spec.Commit, "weights sha256": spec.WeightsSHA256, "identity": spec.Identity} {
		if err := checkText(what, v); err != nil {
			return err
		}
	}
	return nil
}

// paramNum is the REAL stored beside a param's text: the number it parses
// as, or NULL (nil) for text and NaN.
func paramNum(v string) any {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) {
		return nil
	}
	return f
}

// canonicalValue writes numbers one way, so "1e-3" and "0.001" match.
func canonicalValue(v string) string {
	if f, ok := paramNum(v).(float64); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return v
}

// ParamsHash is the canonical hash of a parameter set: keys sorted, numeric
// values normalised. Runs with equal hashes ran with equal parameters.
func ParamsHash(params []Param) (string, error) {
	kv := make([][2]string, len(params))
	seen := map[string]bool{}
	for i, p := range params {
		if seen[p.Key] {
			return "", fmt.Errorf("store: param %q is given twice; give each key once", p.Key)
		}
		seen[p.Key] = true
		kv[i] = [2]string{p.Key, canonicalValue(p.Value)}
	}
	sort.Slice(kv, func(i, j int) bool { return kv[i][0] < kv[j][0] })
	h := sha256.New()
	for _, p := range kv { // length-prefixed, so no two sets collide
		for _, s := range p {
			h.Write(binary.AppendUvarint(nil, uint64(len(s))))
			h.Write([]byte(s))
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
