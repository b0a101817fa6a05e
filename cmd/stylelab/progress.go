package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/stylelab/stylelab/transfer"
)

// progressBar draws a run's progress on a terminal, or prints a line every
// few percent when the output is not a terminal.
type progressBar struct {
	w        io.Writer
	terminal bool
	lastPct  int
}

func newProgressBar(w io.Writer) *progressBar {
	p := &progressBar{w: w, lastPct: -1}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progressBar) step(s transfer.Step) {
	pct := 100 * s.Iteration / max(1, s.Planned)
	if !p.terminal && pct/10 == p.lastPct/10 && s.Iteration != s.Planned {
		return
	}
	p.lastPct = pct
	const width = 24
	filled := width * s.Iteration / max(1, s.Planned)
	eta := time.Duration(0)
	if s.Iteration > 0 {
		eta = s.Elapsed / time.Duration(s.Iteration) * time.Duration(s.Planned-s.Iteration)
	}
	line := fmt.Sprintf("[%s%s] %d/%d %dx%d  total %.4g  style %.4g  content %.4g  %.2fs/it  ETA %s",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), s.Iteration, s.Planned, s.Width, s.Height,
		s.Losses.Total, s.Style, s.Content, s.Elapsed.Seconds()/float64(max(1, s.Iteration)), eta.Round(time.Second))
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		return
	}
	fmt.Fprintln(p.w, line)
}

// done ends the bar's line.
func (p *progressBar) done() {
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}
