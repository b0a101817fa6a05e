// Package plots owns everything Stylelab draws: loss-curve charts built
// with gonum.org/v1/plot (linear or log-scale Y, PNG/SVG output),
// labelled image grids and snapshot strips rendered with a TrueType
// font, and plain-text/HTML tables for notebooks.
//
// The exported API uses concrete types only, so that Jupyter notebooks
// running under the gomacro interpreter can call it. Bad input is
// reported as an error prefixed "plots: "; nothing here panics on
// caller data.
package plots
