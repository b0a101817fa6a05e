package transfer

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/stylelab/stylelab/vgg"
)

// estimateBytes is the memory a run at w x h needs: every layer's response
// (kept for the backward pass), the two gradient buffers the backward pass
// shares (each as large as the largest layer), the content targets, the
// optimizer's state, and the weights, transformed filters and runtime. At
// 512 to 2048 px it is within 10% above the peak that bench measures plus
// the optimizer's vectors.
func estimateBytes(p *Plan, w, h int) (int64, error) {
	taps := p.Taps()
	stages, err := vgg.Stages(taps)
	if err != nil {
		return 0, err
	}
	var floats, largest int64
	for _, s := range stages {
		c, lh, lw, _ := vgg.LayerShape(s, h, w)
		n := int64(c * lh * lw)
		floats += n
		largest = max(largest, n)
	}
	floats += 2 * largest
	for _, l := range p.ContentLayers {
		c, lh, lw, _ := vgg.LayerShape(l, h, w)
		floats += int64(c * lh * lw)
	}
	pixels := int64(3 * w * h)
	vectors := int64(8) // x, gradient, direction, trial points
	if p.Optimizer == LBFGS {
		vectors += 2 * int64(p.LBFGSHistory)
	}
	floats += vectors * pixels
	return 4*floats + 400<<20, nil
}

// checkMemory refuses a size whose estimate exceeds the memory available, before allocating.
func checkMemory(p *Plan, w, h int) error {
	need, err := estimateBytes(p, w, h)
	if err != nil {
		return err
	}
	avail, ok := availableBytes()
	if ok && need > avail {
		return fmt.Errorf("transfer: a %dx%d run needs about %.1f GiB but %.1f GiB are available: lower Size (or Scales), the LBFGSHistory, or use Adam",
			w, h, float64(need)/(1<<30), float64(avail)/(1<<30))
	}
	return nil
}

// availableBytes reads MemAvailable from /proc/meminfo; ok is false where there is none.
func availableBytes() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}
