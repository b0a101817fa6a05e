// Package kernelspec installs the "Go (Stylelab)" kernelspec: the
// kernel.json that tells Jupyter how to launch `stylelab kernel`, and its
// logos, drawn here.
package kernelspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

// DefaultName is the kernel's name, as `jupyter kernelspec list` shows it.
const DefaultName = "stylelab"

// DisplayName is the name notebooks show.
const DisplayName = "Go (Stylelab)"

// Options says where and what to install.
type Options struct {
	Binary string // absolute path of the stylelab binary
	Name   string // kernel name; DefaultName if empty
	Prefix string // install under PREFIX/share/jupyter/kernels; else the user's data directory
}

// Spec is the content of kernel.json.
type Spec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env,omitempty"`
	Metadata      map[string]any    `json:"metadata"`
}

// UserDataDir is the user's Jupyter data directory: $JUPYTER_DATA_DIR, else
// $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter.
func UserDataDir() (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "jupyter"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kernelspec: no home directory for a user install (use a prefix): %w", err)
	}
	return filepath.Join(home, ".local", "share", "jupyter"), nil
}

// Install writes the kernelspec and returns its directory.
func Install(o Options) (string, error) {
	if !filepath.IsAbs(o.Binary) {
		return "", fmt.Errorf("kernelspec: the binary path %q is not absolute", o.Binary)
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	if !validName(o.Name) {
		return "", fmt.Errorf("kernelspec: kernel name %q: use letters, digits, '.', '_' and '-'", o.Name)
	}
	base := filepath.Join(o.Prefix, "share", "jupyter")
	if o.Prefix == "" {
		var err error
		if base, err = UserDataDir(); err != nil {
			return "", err
		}
	}
	dir := filepath.Join(base, "kernels", o.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("kernelspec: %w", err)
	}
	spec := Spec{
		Argv:          []string{o.Binary, "kernel", "-f", "{connection_file}"},
		DisplayName:   DisplayName,
		Language:      "go",
		InterruptMode: "message",
		Metadata:      map[string]any{"debugger": false},
	}
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return "", fmt.Errorf("kernelspec: %w", err)
	}
	files := map[string][]byte{"kernel.json": append(data, '\n')}
	for _, size := range []int{32, 64} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, Logo(size)); err != nil {
			return "", fmt.Errorf("kernelspec: %w", err)
		}
		files[fmt.Sprintf("logo-%dx%d.png", size, size)] = buf.Bytes()
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", fmt.Errorf("kernelspec: %w", err)
		}
	}
	return dir, nil
}

func validName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return s != ""
}

// Logo draws the kernel's logo: a night-blue disc with a golden swirl and
// a star, after The Starry Night.
func Logo(size int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	night := color.RGBA{0x1d, 0x35, 0x57, 0xff}
	sky := color.RGBA{0x45, 0x7b, 0x9d, 0xff}
	gold := color.RGBA{0xf4, 0xc4, 0x30, 0xff}
	c := float64(size) / 2
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			dx, dy := float64(x)+0.5-c, float64(y)+0.5-c
			r := math.Hypot(dx, dy) / c
			if r > 1 {
				continue
			}
			a := math.Atan2(dy, dx)
			// an Archimedean spiral: brightness where r follows the angle
			phase := math.Mod(r*3-a/(2*math.Pi)+10, 1)
			col := night
			if phase < 0.28 && r > 0.12 {
				col = sky
			}
			if phase < 0.12 && r > 0.12 {
				col = gold
			}
			if r < 0.12 {
				col = gold
			}
			img.SetRGBA(x, y, col)
		}
	}
	return img
}

// ErrNoBinary reports that the running binary's path is unknown.
var ErrNoBinary = errors.New("kernelspec: cannot find the stylelab binary's path")
