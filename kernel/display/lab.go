package display

import (
	"context"
	"fmt"
	"html"
	"time"

	"github.com/stylelab/stylelab/experiments"
)

// OpenLab is experiments.OpenLab with a live status in the cell: converting
// the weights on first use takes a while (they are cached afterwards), and
// the cell shows what it is doing and for how long instead of nothing.
func OpenLab(ctx context.Context, weightsPath, dbPath string) (*experiments.Lab, error) {
	start := time.Now()
	status, err := New(ctx, loading{})
	if err != nil {
		return nil, err
	}
	type opened struct {
		lab *experiments.Lab
		err error
	}
	done := make(chan opened, 1)
	go func() {
		lab, err := experiments.OpenLab(weightsPath, dbPath)
		done <- opened{lab, err}
	}()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case o := <-done:
			l := loading{elapsed: time.Since(start), finished: true, err: o.err}
			if o.lab != nil {
				l.store = o.lab.Store.Path()
			}
			_ = status.Update(l)
			return o.lab, o.err
		case <-tick.C:
			_ = status.Update(loading{elapsed: time.Since(start)})
		}
	}
}

// loading is OpenLab's status line.
type loading struct {
	elapsed  time.Duration
	finished bool
	store    string
	err      error
}

func (l loading) Bundle() Bundle {
	var text string
	switch {
	case l.err != nil:
		text = "could not open the lab: " + l.err.Error()
	case l.finished:
		text = fmt.Sprintf("VGG-19 loaded in %s; store %s", l.elapsed.Round(100*time.Millisecond), l.store)
	default:
		text = fmt.Sprintf("loading VGG-19 (converted and cached on first use, about 20 s; later in a second or two) · %s", l.elapsed.Round(time.Second))
	}
	bar := `<progress style="width:12em;vertical-align:middle"></progress> `
	if l.finished || l.err != nil {
		bar = ""
	}
	return htmlBundle(fmt.Sprintf(`<div style="font-family:monospace">%s%s</div>`, bar, html.EscapeString(text)), text)
}
