package imaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"unicode/utf8"
)

// maxTextBytes bounds one decompressed text value, against zlib bombs.
const maxTextBytes = 16 << 20

// ReadPNGText returns the text metadata (tEXt, zTXt and iTXt chunks) of
// a PNG file as UTF-8 strings; a later chunk with the same keyword wins.
// Chunk CRCs are verified, so a corrupt file is reported, not misread.
func ReadPNGText(path string) (map[string]string, error) {
	if err := checkRegularFile(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("imaging: %s: cannot read: %w", path, err)
	}
	meta, err := parsePNGText(data)
	if err != nil {
		return nil, fmt.Errorf("imaging: %s: %w", path, err)
	}
	return meta, nil
}

// parsePNGText walks the chunks of a PNG file up to IEND.
func parsePNGText(data []byte) (map[string]string, error) {
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		return nil, errors.New("not a PNG file: text metadata is read from PNG files only")
	}
	meta := map[string]string{}
	for pos := 8; ; {
		if len(data)-pos < 12 {
			return nil, fmt.Errorf("truncated PNG: no IEND chunk after byte %d", pos)
		}
		n := binary.BigEndian.Uint32(data[pos:])
		if uint64(n) > uint64(len(data)-pos-12) {
			return nil, fmt.Errorf("truncated PNG: chunk at byte %d claims %d bytes", pos, n)
		}
		typ := string(data[pos+4 : pos+8])
		body := data[pos+8 : pos+8+int(n)]
		if crc32.ChecksumIEEE(data[pos+4:pos+8+int(n)]) != binary.BigEndian.Uint32(data[pos+8+int(n):]) {
			return nil, fmt.Errorf("corrupt PNG: %q chunk at byte %d has a bad CRC", typ, pos)
		}
		if typ == "IEND" {
			return meta, nil
		}
		if k, v, ok, err := parseTextChunk(typ, body); err != nil {
			return nil, fmt.Errorf("corrupt PNG: %s chunk at byte %d: %w", typ, pos, err)
		} else if ok {
			meta[k] = v
		}
		pos += 12 + int(n)
	}
}

// parseTextChunk decodes a tEXt, zTXt or iTXt body; ok is false for
// other chunk types.
func parseTextChunk(typ string, body []byte) (key, value string, ok bool, err error) {
	if typ != "tEXt" && typ != "zTXt" && typ != "iTXt" {
		return "", "", false, nil
	}
	kw, rest, found := bytes.Cut(body, []byte{0})
	if !found || len(kw) == 0 || len(kw) > 79 {
		return "", "", false, errors.New("missing or invalid keyword")
	}
	key = fromLatin1(kw)
	switch typ {
	case "tEXt":
		return key, fromLatin1(rest), true, nil
	case "zTXt":
		if len(rest) < 1 || rest[0] != 0 {
			return "", "", false, errors.New("unknown compression method")
		}
		text, err := inflate(rest[1:])
		return key, fromLatin1(text), err == nil, err
	}
	if len(rest) < 2 {
		return "", "", false, errors.New("short iTXt header")
	}
	compressed, method := rest[0], rest[1]
	_, rest, found = bytes.Cut(rest[2:], []byte{0}) // language tag
	if found {
		_, rest, found = bytes.Cut(rest, []byte{0}) // translated keyword
	}
	if !found {
		return "", "", false, errors.New("short iTXt header")
	}
	if compressed == 1 {
		if method != 0 {
			return "", "", false, errors.New("unknown compression method")
		}
		if rest, err = inflate(rest); err != nil {
			return "", "", false, err
		}
	}
	if !utf8.Valid(rest) {
		return "", "", false, errors.New("iTXt text is not valid UTF-8")
	}
	return key, string(rest), true, nil
}

// inflate decompresses zlib data, at most maxTextBytes of it.
func inflate(z []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("bad compressed text: %w", err)
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxTextBytes+1))
	if err != nil {
		return nil, fmt.Errorf("bad compressed text: %w", err)
	}
	if len(out) > maxTextBytes {
		return nil, fmt.Errorf("compressed text expands beyond %d MiB", maxTextBytes>>20)
	}
	return out, nil
}
