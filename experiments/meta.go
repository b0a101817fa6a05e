package experiments

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/stylelab/stylelab/plots"
	"github.com/stylelab/stylelab/transfer"
)

// Metadata is what an output PNG carries about the run that made it: its
// settings (stylelab.KEY), the images' paths, the version and the weights.
func Metadata(p *transfer.Plan, weightsSHA256 string) map[string]string {
	version, commit := Version()
	meta := map[string]string{
		"Software": "Stylelab " + version,
		"Comment":  "Neural style transfer (Gatys, Ecker & Bethge, CVPR 2016)",
	}
	if commit != "" {
		meta["stylelab.commit"] = commit
	}
	if weightsSHA256 != "" {
		meta["stylelab.weights_sha256"] = weightsSHA256
	}
	for _, q := range p.Params() {
		meta["stylelab."+q.Key] = q.Value
	}
	if p.Content.Path != "" {
		meta["stylelab.content_path"] = p.Content.Path
	}
	for i, s := range p.Styles {
		if s.Path != "" {
			meta[fmt.Sprintf("stylelab.style_path_%d", i+1)] = s.Path
		}
	}
	return meta
}

// WriteLossPlot draws a result's total, content and style losses (log
// scale) as PNG to w.
func WriteLossPlot(w io.Writer, res *transfer.Result) error {
	series := []plots.Series{{Label: "total"}, {Label: "content"}, {Label: "style"}}
	for _, s := range res.Steps {
		for i, v := range []float64{s.Losses.Total, s.Content, s.Style} {
			series[i].Steps = append(series[i].Steps, s.Iteration)
			series[i].Values = append(series[i].Values, v)
		}
	}
	name := ""
	if res.Plan != nil {
		name = res.Plan.Name
	}
	p, err := plots.LossCurves(name, "loss", series, true)
	if err != nil {
		return err
	}
	png, err := plots.PlotPNG(p, 6, 4)
	if err != nil {
		return err
	}
	_, err = w.Write(png)
	return err
}

// Version reports Stylelab's module version and the VCS commit it was built from, when known.
func Version() (version, commit string) {
	version = "devel"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, ""
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		version = v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			commit = s.Value
		}
	}
	if commit == "" {
		commit = os.Getenv("STYLELAB_COMMIT")
	}
	return version, commit
}

// LossPlot is WriteLossPlot's PNG as bytes (display.PNG shows it in a notebook).
func LossPlot(res *transfer.Result) ([]byte, error) {
	var buf bytes.Buffer
	err := WriteLossPlot(&buf, res)
	return buf.Bytes(), err
}
