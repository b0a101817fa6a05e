// Package imaging owns Stylelab's pixels outside the network: loading
// JPEG, PNG and GIF files (with clear errors for missing, empty,
// truncated or non-image files), high-quality deterministic resizing,
// the channel-major float32 Planar layout the style-transfer engine
// consumes, seeded noise images, colour preservation by luminance
// transfer (Gatys et al. 2016, "Preserving colour in neural artistic
// style transfer"), a grain measure (mean neighbouring-pixel difference,
// and its ratio to a style image's), and PNG output with text metadata written
// atomically.
//
// The exported API uses concrete types only, so that Jupyter notebooks
// running under the gomacro interpreter can call it. Bad input is
// reported as an error prefixed "imaging: "; functions without an error
// result return an empty image (Bounds().Empty()) for input they cannot
// use. Nothing here panics on caller data.
//
// Colour conventions: 8-bit sRGB values are used as they are (no
// linearisation); images with transparency are composited over white;
// luminance and chrominance are the full-range BT.601 (JFIF) YCbCr
// components.
package imaging
