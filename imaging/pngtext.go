package imaging

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"unicode/utf8"
)

// textChunks encodes meta as tEXt or iTXt chunks in sorted key order.
func textChunks(meta map[string]string) ([]byte, error) {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []byte
	for _, k := range keys {
		kw, err := keyword(k)
		if err != nil {
			return nil, err
		}
		v := meta[k]
		if !utf8.ValidString(v) {
			return nil, fmt.Errorf("metadata value for key %q is not valid UTF-8: convert it to UTF-8", k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return nil, fmt.Errorf("metadata value for key %q contains a NUL byte, which PNG text cannot hold: remove it", k)
		}
		body := append(kw, 0)
		if lat, ok := latin1(v); ok {
			out = appendChunk(out, "tEXt", append(body, lat...))
			continue
		}
		// iTXt: keyword, NUL, compression flag 0, method 0, empty
		// language tag, NUL, empty translated keyword, NUL, UTF-8 text.
		body = append(body, 0, 0, 0, 0)
		out = appendChunk(out, "iTXt", append(body, v...))
	}
	return out, nil
}

// keyword checks a PNG text keyword and returns its Latin-1 bytes.
func keyword(k string) ([]byte, error) {
	if k == "" {
		return nil, fmt.Errorf("metadata key is empty: PNG keywords need 1 to 79 characters")
	}
	kw, ok := latin1(k)
	if !ok || !utf8.ValidString(k) {
		return nil, fmt.Errorf("metadata key %q is not Latin-1: PNG keywords allow printable Latin-1 only; use ASCII letters, digits and spaces", k)
	}
	for _, c := range kw {
		if c < 32 || (c > 126 && c < 161) {
			return nil, fmt.Errorf("metadata key %q contains control character %q: PNG keywords allow printable Latin-1 only", k, c)
		}
	}
	if len(kw) > 79 {
		return nil, fmt.Errorf("metadata key %q is %d characters long: PNG keywords allow at most 79; shorten it", k, len(kw))
	}
	if kw[0] == ' ' || kw[len(kw)-1] == ' ' || strings.Contains(k, "  ") {
		return nil, fmt.Errorf("metadata key %q has leading, trailing or double spaces, which PNG keywords forbid: trim them", k)
	}
	return kw, nil
}

// latin1 returns s encoded as Latin-1, or false if s has other runes.
func latin1(s string) ([]byte, bool) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, false
		}
		b = append(b, byte(r))
	}
	return b, true
}

// fromLatin1 decodes Latin-1 bytes to a Go string.
func fromLatin1(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// appendChunk appends a PNG chunk (length, type, data, CRC) to out.
func appendChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}
