package display

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/transfer"
)

// Options tune how Transfer shows a run.
type Options struct {
	// PreviewEvery is the most time between two previews of the image
	// (besides the ten or so by iteration); 0 means 3 seconds, < 0 none.
	PreviewEvery time.Duration
	// Reuse shows and returns the run of cfg already FINISHED in the lab's
	// store (same settings, images and weights; Lab.Finished), if there is
	// one, instead of running it again: re-executing a notebook of long runs
	// then repeats only the runs whose settings changed.
	Reuse bool
}

// Transfer runs cfg on lab with the cell's context, showing a live progress
// bar (every cfg.ReportEvery iterations, at most a few times a second) and a
// preview of the image, both updated in place. Previews come every few
// seconds (Options.PreviewEvery) and every cfg.SnapshotEvery iterations
// (when that is 0, about ten times in the run; the store keeps these as
// snapshots). Interrupting the cell stops the run at its next iteration;
// the store logs it INTERRUPTED and the result so far is returned with the
// error. The result renders as HTML with the final image, so the preview
// is removed when the run finishes.
func Transfer(ctx context.Context, lab *experiments.Lab, cfg transfer.Config) (*transfer.Result, error) {
	return TransferWith(ctx, lab, cfg, Options{})
}

// TransferWith is Transfer with options.
func TransferWith(ctx context.Context, lab *experiments.Lab, cfg transfer.Config, opt Options) (*transfer.Result, error) {
	if lab == nil {
		return nil, errors.New("display: Transfer needs a lab (experiments.OpenLab)")
	}
	if opt.Reuse {
		res, err := lab.Finished(ctx, cfg)
		if err != nil {
			return nil, err
		}
		if res != nil {
			status := "finished earlier"
			if len(res.Stops) > 0 {
				status += " (stopped by " + strings.Join(res.Stops, ", ") + ")"
			}
			status += fmt.Sprintf(" in %s; reused from the store, not run again", res.Elapsed.Round(time.Second))
			return res, Show(ctx, progress{step: res.Last(), status: status, runID: res.RunID, link: runLink(lab.Store.Path(), res.RunID)})
		}
	}
	if cfg.SnapshotEvery == 0 {
		cfg.SnapshotEvery = previewEvery(cfg)
	}
	if opt.PreviewEvery == 0 {
		opt.PreviewEvery = 3 * time.Second
	}
	bar, err := New(ctx, progress{status: "starting"})
	if err != nil {
		return nil, err
	}
	var preview *Handle
	var last transfer.Step
	var shown time.Time
	previewed := time.Now()
	hooks := transfer.Hooks{
		Step: func(s transfer.Step) {
			last = s
			if s.Iteration == s.Planned || time.Since(shown) >= 200*time.Millisecond {
				shown = time.Now()
				_ = bar.Update(progress{step: s, status: "running"})
			}
		},
		PreviewDue: func(int) bool { return opt.PreviewEvery > 0 && time.Since(previewed) >= opt.PreviewEvery },
		Snapshot: func(s transfer.Snapshot) {
			previewed = time.Now()
			if preview == nil {
				preview, _ = New(ctx, s.Image)
				return
			}
			_ = preview.Update(s.Image)
		},
	}
	res, err := lab.Run(ctx, cfg, hooks)
	status := "finished"
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		status = "interrupted"
	case err != nil:
		status = "failed: " + err.Error()
	}
	final := progress{step: last, status: status}
	if res != nil {
		final.runID = res.RunID
		if len(res.Stops) > 0 {
			final.status += " (stopped by " + strings.Join(res.Stops, ", ") + ")"
		}
		final.link = runLink(lab.Store.Path(), res.RunID)
		if preview != nil && res.Image != nil {
			if err == nil {
				_ = preview.Update(bundle("text/html", "", "text/plain", "")) // the result shows the final image
			} else {
				_ = preview.Update(res.Image) // the image so far
			}
		}
	}
	_ = bar.Update(final)
	return res, err
}

// previewEvery gives about ten previews in a run.
func previewEvery(cfg transfer.Config) int {
	n := cfg.Iterations
	if n <= 0 {
		n = transfer.Defaults().Iterations
	}
	n *= max(1, len(cfg.Scales))
	return max(1, n/10)
}

// progress is the state of a running transfer, shown as a bar.
type progress struct {
	step   transfer.Step
	status string
	runID  int64
	link   string // HTML: the run on the web page, when one serves its store
}

func (p progress) Bundle() Bundle {
	s := p.step
	planned := max(s.Planned, 1)
	label := fmt.Sprintf("%d/%d", s.Iteration, s.Planned)
	if s.Planned == 0 {
		label = "…"
	}
	var parts []string
	if s.Iteration > 0 {
		parts = append(parts, fmt.Sprintf("loss %.4g (content %.3g, style %.3g)", s.Total, s.Content, s.Style))
		parts = append(parts, s.Elapsed.Round(100*time.Millisecond).String())
		if s.Iteration < s.Planned && p.status == "running" {
			eta := time.Duration(float64(s.Elapsed) / float64(s.Iteration) * float64(s.Planned-s.Iteration))
			parts = append(parts, "ETA "+eta.Round(time.Second).String())
		}
	}
	if p.runID != 0 {
		parts = append(parts, fmt.Sprintf("run %d", p.runID))
	}
	parts = append(parts, p.status)
	info := strings.Join(parts, " · ")
	width := 30
	filled := width * min(s.Iteration, planned) / planned
	plain := "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "] " + label + " " + info
	htm := fmt.Sprintf(`<div style="font-family:monospace"><progress value="%d" max="%d" style="width:24em;vertical-align:middle"></progress> %s · %s</div>`,
		s.Iteration, planned, html.EscapeString(label), html.EscapeString(info))
	return htmlBundle(htm+p.link, plain)
}
