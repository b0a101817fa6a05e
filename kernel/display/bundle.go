package display

import (
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/png"
	"io"
	"reflect"
	"strconv"
	"strings"

	"gonum.org/v1/plot"

	"github.com/stylelab/stylelab/plots"
)

// Bundle is one value's representations by MIME type ("text/plain",
// "text/html", "image/png" as base64 text, ...), as Jupyter shows them.
type Bundle struct {
	Data     map[string]any
	Metadata map[string]any
}

// Renderer is implemented by values that choose their own representation.
type Renderer interface {
	Bundle() Bundle
}

// The constructors below build bundles of one kind. They are functions,
// not string types, because gomacro mistranslates the conversion of an
// untyped constant to a compiled named string type (display.HTML("x")
// would panic): a function call has no such trouble.

// htmler and texter are values that write themselves as HTML and text.
type htmler interface{ HTML() string }
type texter interface{ Text() string }

// HTML shows HTML text.
func HTML(s string) Bundle { return bundle("text/html", s, "text/plain", "HTML") }

// Markdown shows Markdown text, rendered.
func Markdown(s string) Bundle { return bundle("text/markdown", s, "text/plain", s) }

// SVG shows an SVG document.
func SVG(s string) Bundle { return bundle("image/svg+xml", s, "text/plain", "SVG image") }

// PNG shows an encoded PNG image.
func PNG(data []byte) Bundle {
	return bundle("image/png", base64.StdEncoding.EncodeToString(data), "text/plain", "PNG image")
}

// JPEG shows an encoded JPEG image.
func JPEG(data []byte) Bundle {
	return bundle("image/jpeg", base64.StdEncoding.EncodeToString(data), "text/plain", "JPEG image")
}

// Text shows plain text as it is (a string result shows quoted).
func Text(s string) Bundle { return bundle("text/plain", s) }

// maxText bounds the plain-text form of a value.
const maxText = 20000

// maxSide bounds the images shown as pictures.
const maxSide = 1 << 14

// Render returns the representations of v: a Renderer's own bundle;
// Stylelab's results, runs, comparisons and configs as HTML; HTML for
// other values with an HTML() string method (and their Text() as text);
// images as PNG; gonum plots as PNG; anything else as text (see Format).
// It reports false for values that show nothing (nil).
func Render(v any) (Bundle, bool) {
	if v == nil {
		return Bundle{}, false
	}
	if rv := reflect.ValueOf(v); (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface ||
		rv.Kind() == reflect.Map || rv.Kind() == reflect.Slice || rv.Kind() == reflect.Func) && rv.IsNil() {
		return Bundle{}, false
	}
	if r, ok := v.(Renderer); ok {
		return r.Bundle(), true
	}
	if b, ok := renderStylelab(v); ok {
		return b, true
	}
	switch v := v.(type) {
	case htmler:
		plain := fmt.Sprintf("%T", v)
		if t, ok := v.(texter); ok {
			plain = t.Text()
		}
		return bundle("text/html", v.HTML(), "text/plain", plain), true
	case Bundle:
		return v, true
	case *Bundle:
		return *v, true
	case image.Rectangle: // an image.Image by its methods, but a rectangle
		return bundle("text/plain", v.String()), true
	case image.Image:
		if r := v.Bounds(); r.Dx() > maxSide || r.Dy() > maxSide || r.Empty() {
			return bundle("text/plain", fmt.Sprintf("%T %v", v, r)), true // image.Uniform is infinite
		}
		return imageBundle(v), true
	case *plot.Plot:
		b64, err := base64PNG(plotPNG(v, 6, 4))
		if err != nil {
			return bundle("text/plain", "plot: "+err.Error()), true
		}
		return bundle("image/png", b64, "text/plain", "plot "+strconv.Quote(v.Title.Text)), true
	}
	return bundle("text/plain", Format(v)), true
}

// Format is the plain-text form of a value: strings quoted, errors by
// message, Stringers by String, structs with their field names (%+v),
// everything else as fmt's %v; cut at 20000 characters.
func Format(v any) string {
	var s string
	switch v := v.(type) {
	case nil:
		s = "<nil>"
	case string:
		s = strconv.Quote(v)
	case error:
		s = v.Error()
	case fmt.Stringer:
		s = v.String()
	default:
		t := reflect.TypeOf(v)
		if t.Kind() == reflect.Struct || t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct {
			s = fmt.Sprintf("%+v", v)
		} else {
			s = fmt.Sprintf("%v", v)
		}
	}
	if len(s) > maxText {
		s = s[:maxText] + "…"
	}
	return s
}

func bundle(kv ...string) Bundle {
	b := Bundle{Data: map[string]any{}, Metadata: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		b.Data[kv[i]] = kv[i+1]
	}
	return b
}

func imageBundle(img image.Image) Bundle {
	b64, err := base64PNG(fastPNG(img))
	if err != nil {
		return bundle("text/plain", "image: "+err.Error())
	}
	r := img.Bounds()
	b := bundle("image/png", b64, "text/plain", fmt.Sprintf("%T %d×%d", img, r.Dx(), r.Dy()))
	b.Metadata["image/png"] = map[string]any{"width": r.Dx(), "height": r.Dy()}
	return b
}

// base64PNG runs a PNG encoder into base64 text, as bundles and data URIs
// carry images.
func base64PNG(encode func(io.Writer) error) (string, error) {
	var b strings.Builder
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	if err := encode(enc); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// fastPNG encodes img with little compression: a notebook shows it at once.
func fastPNG(img image.Image) func(io.Writer) error {
	return func(w io.Writer) error {
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(w, img); err != nil {
			return fmt.Errorf("display: encoding PNG: %w", err)
		}
		return nil
	}
}

// plotPNG renders p at wInches x hInches.
func plotPNG(p *plot.Plot, wInches, hInches float64) func(io.Writer) error {
	return func(w io.Writer) error { return plots.PlotPNGTo(w, p, wInches, hInches) }
}

// pngBytes passes PNG data that is already encoded.
func pngBytes(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}

// imgTag is an <img> element showing a PNG inline, or a note saying why it
// cannot be shown.
func imgTag(encode func(io.Writer) error, alt string, maxWidth int) string {
	b64, err := base64PNG(encode)
	if err != nil {
		return "<div>" + html.EscapeString(err.Error()) + "</div>"
	}
	return fmt.Sprintf(`<img alt="%s" style="max-width:%dpx;height:auto;image-rendering:auto" src="data:image/png;base64,%s">`,
		html.EscapeString(alt), maxWidth, b64)
}

// imageTag is imgTag for an image, or a note that there is none.
func imageTag(img image.Image, alt string, maxWidth int) string {
	if img == nil {
		return `<div style="color:#888">(no image)</div>`
	}
	return imgTag(fastPNG(img), alt, maxWidth)
}

func htmlBundle(htmlText, plain string) Bundle {
	return bundle("text/html", htmlText, "text/plain", strings.TrimRight(plain, "\n"))
}
