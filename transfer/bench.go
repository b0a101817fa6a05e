package transfer

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stylelab/stylelab/vgg"
)

// BenchResult is the cost of one Gatys iteration at one size: a forward
// pass to the deepest layer (conv5_1) and the backward pass to the image.
type BenchResult struct {
	Width, Height  int
	Convolution    string // the algorithm used
	Evaluations    int
	PerEvaluation  time.Duration
	PeakRSSBytes   int64 // the process's peak resident memory so far
	EstimatedBytes int64
}

func (b BenchResult) String() string {
	return fmt.Sprintf("%dx%d: %.3f s/iteration over %d evaluations, peak RSS %.2f GiB",
		b.Width, b.Height, b.PerEvaluation.Seconds(), b.Evaluations, float64(b.PeakRSSBytes)/(1<<30))
}

// Bench times n evaluations of the paper's objective (content conv4_2, style
// conv1_1 ... conv5_1) on a size x size image, after one warm-up evaluation.
// It prepares the evaluation exactly as Run does, with convolution as the
// convolution setting ("" or "auto": the CPU's preferred algorithm).
func Bench(ctx context.Context, m *vgg.Model, size, n int, convolution string) (BenchResult, error) {
	p, st, grad, err := benchStage(m, size, convolution)
	if err != nil {
		return BenchResult{}, err
	}
	defer st.close()
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return BenchResult{}, err
		}
		if _, err := st.obj.eval(st.x, grad); err != nil {
			return BenchResult{}, err
		}
	}
	est, _ := estimateBytes(p, size, size)
	return BenchResult{Width: size, Height: size, Convolution: p.Convolution.String(), Evaluations: n, PerEvaluation: time.Since(start) / time.Duration(n),
		PeakRSSBytes: peakRSS(), EstimatedBytes: est}, nil
}

// benchStage prepares the paper's objective on a size x size image with
// the convolution setting ("" for auto) and evaluates it once (warm-up).
func benchStage(m *vgg.Model, size int, convolution string) (*Plan, *stage, []float32, error) {
	cfg := Defaults()
	if convolution != "" {
		cfg.Convolution = convolution
	}
	cfg.ContentImage = gradient(size)
	cfg.Styles = []Style{{Image: gradient(size)}}
	cfg.Size, cfg.Iterations = size, 1
	p, err := cfg.Resolve()
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := newStage(m, p, 0, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	grad := make([]float32, len(st.x))
	if _, err := st.obj.eval(st.x, grad); err != nil {
		st.close()
		return nil, nil, nil, err
	}
	return p, st, grad, nil
}

// gradient is a smooth test image.
func gradient(size int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			img.Set(x, y, color.RGBA{uint8(255 * x / size), uint8(255 * y / size), uint8((x * y) % 256), 255})
		}
	}
	return img
}

// peakRSS reads VmHWM from /proc/self/status (0 where unavailable).
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}
