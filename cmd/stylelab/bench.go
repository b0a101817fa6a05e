package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/stylelab/stylelab/internal/blas"
	"github.com/stylelab/stylelab/transfer"
	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights"
)

// benchLine is one size's figures, as a child process reports them.
type benchLine struct {
	Size            int     `json:"size"`
	SecondsPerIter  float64 `json:"seconds_per_iteration"`
	PeakRSSBytes    int64   `json:"peak_rss_bytes"`
	EstimatedBytes  int64   `json:"estimated_bytes"`
	Evaluations     int     `json:"evaluations"`
	BLASThreads     int     `json:"blas_threads"`
	WeightsLoadSecs float64 `json:"weights_load_seconds"`
	Algorithm       string  `json:"algorithm"`
	ISA             string  `json:"isa"`
	FilterBytes     int64   `json:"filter_bytes"`
}

// benchCommand measures one Gatys iteration (forward to conv5_1 and backward
// to the image) per size, each size in its own process so that its peak
// memory is its own.
func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("sizes", "256,512", "image sizes (square), comma-separated")
	n := fs.Int("n", 5, "timed iterations per size (after one warm-up)")
	weightsPath := fs.String("weights", "", "VGG-19 weights (default $STYLELAB_WEIGHTS, then the cache)")
	asJSON := fs.Bool("json", false, "print one JSON object per size")
	convolution := fs.String("convolution", "auto", "convolution algorithm: winograd, gemm, winograd-f2 or winograd-f6; auto: winograd where the CPU allows")
	child := fs.Int("child", 0, "internal: measure this size in this process")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *n < 1 {
		return fmt.Errorf("bench: -n %d: time at least 1 iteration", *n)
	}
	if *child > 0 {
		line, err := benchOne(ctx, *weightsPath, *convolution, *child, *n)
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(line)
	}
	list, err := parseFloats("-sizes", *sizes, -1)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "%-6s %14s %14s %14s  %s\n", "size", "s/iteration", "peak RSS", "estimate", "convolution")
	}
	for _, s := range list {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, self, "bench", "-child", strconv.Itoa(int(s)), "-n", strconv.Itoa(*n), "-weights", *weightsPath, "-convolution", *convolution)
		cmd.Stdout, cmd.Stderr = &out, stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("bench: size %d: %w", int(s), err)
		}
		if *asJSON {
			stdout.Write(out.Bytes())
			continue
		}
		var line benchLine
		if err := json.Unmarshal(out.Bytes(), &line); err != nil {
			return fmt.Errorf("bench: size %d: %w", int(s), err)
		}
		fmt.Fprintf(stdout, "%-6d %14.3f %11.2f GiB %11.2f GiB  %s (%s)\n", line.Size, line.SecondsPerIter,
			float64(line.PeakRSSBytes)/(1<<30), float64(line.EstimatedBytes)/(1<<30), line.Algorithm, line.ISA)
	}
	return nil
}

func benchOne(ctx context.Context, weightsPath, convolution string, size, n int) (benchLine, error) {
	path, err := weights.Locate(weightsPath)
	if err != nil {
		return benchLine{}, err
	}
	start := time.Now()
	w, err := weights.LoadFeatures(path)
	if err != nil {
		return benchLine{}, err
	}
	m, err := vgg.New(w)
	if err != nil {
		return benchLine{}, err
	}
	loaded := time.Since(start)
	r, err := transfer.Bench(ctx, m, size, n, convolution)
	if err != nil {
		return benchLine{}, err
	}
	return benchLine{Size: size, SecondsPerIter: r.PerEvaluation.Seconds(), PeakRSSBytes: r.PeakRSSBytes,
		EstimatedBytes: r.EstimatedBytes, Evaluations: r.Evaluations, BLASThreads: blas.Threads(),
		WeightsLoadSecs: loaded.Seconds(), Algorithm: r.Convolution, ISA: m.Workspace().ISA(),
		FilterBytes: m.Workspace().FilterBytes()}, nil
}
