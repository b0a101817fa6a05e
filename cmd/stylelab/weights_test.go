package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stylelab/stylelab/internal/testenv"
)

func runWeights(args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	err = weightsCommand(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestWeightsListVerify(t *testing.T) {
	shared := testenv.WeightsDir(t)
	for _, tc := range []struct {
		name string
		args []string
		out  []string
		err  string
	}{
		{"list", []string{"list"}, []string{"vgg19-imagenet-tfjs-uint8", "vgg19-torchvision", "vgg19-caffe",
			"https://download.pytorch.org/models/vgg19-dcbb9e9d.pth", "no sha256 is published", "143.7 MB"}, ""},
		{"verify shared", []string{"verify", shared}, []string{"vgg19-imagenet-tfjs-uint8: 139 file(s): 139 ok"}, ""},
		{"verify model.json", []string{"verify", filepath.Join(shared, "model.json")}, []string{"1 file(s): 1 ok"}, ""},
		{"help", []string{"help"}, []string{"usage: stylelab weights"}, ""},
		{"fetch -h", []string{"fetch", "-h"}, nil, ""},
		{"no command", nil, nil, "missing command"},
		{"unknown command", []string{"download"}, nil, `unknown command "download"`},
		{"verify two paths", []string{"verify", "a", "b"}, nil, "want one PATH, got 2"},
		{"info without path", []string{"info"}, nil, "want one PATH, got 0"},
		{"fetch without model", []string{"fetch"}, nil, "want one MODEL"},
		{"fetch unknown model", []string{"fetch", "vgg16"}, nil, `unknown model "vgg16"`},
		{"fetch bad flag", []string{"fetch", "-bogus", "x"}, nil, "usage"},
		{"verify unknown file", []string{"verify", filepath.Join(shared, "SOURCE.md")}, nil, "holds no file of a known model"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runWeights(tc.args...)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			for _, s := range tc.out {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
		})
	}
}

func TestWeightsFetch(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir(testenv.WeightsDir(t))))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "w")
	out, stderr, err := runWeights("fetch", "vgg19-imagenet-tfjs-uint8", "-dir", dir, "-base-url", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "-weights "+dir) {
		t.Errorf("fetch output does not say where the model is:\n%s", out)
	}
	if !strings.Contains(stderr, "100.0%  143.7/143.7 MB") || !strings.Contains(stderr, "MB/s") || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("progress bar output:\n%q", stderr)
	}
	if out, _, err := runWeights("verify", dir); err != nil || !strings.Contains(out, "139 ok") {
		t.Fatalf("verify after fetch: %v\n%s", err, out)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	_, _, err = runWeights("fetch", "-dir", t.TempDir(), "-base-url", dead, "vgg19-torchvision")
	if err == nil || !strings.Contains(err.Error(), "network unreachable") || !strings.Contains(err.Error(), "by hand") {
		t.Fatalf("offline fetch: %v", err)
	}
}

// TestWeightsFetchGuards: fetch refuses a model it cannot check unless
// told -allow-unverified, and gives up on a silent server after
// -stall-timeout.
func TestWeightsFetchGuards(t *testing.T) {
	stalled := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".pth") { // say nothing until the client leaves
			select {
			case <-r.Context().Done():
			case <-stalled:
			}
			return
		}
		w.Write([]byte("not really a caffemodel"))
	}))
	defer srv.Close()
	defer close(stalled)
	dir := t.TempDir()
	_, _, err := runWeights("fetch", "-dir", dir, "-base-url", srv.URL, "vgg19-caffe")
	if err == nil || !strings.Contains(err.Error(), "VGG_ILSVRC_19_layers.caffemodel has no published size or sha256") || !strings.Contains(err.Error(), "-allow-unverified") {
		t.Fatalf("fetch of an unverifiable model: %v", err)
	}
	if out, _, err := runWeights("fetch", "-dir", dir, "-base-url", srv.URL, "-allow-unverified", "vgg19-caffe"); err != nil || !strings.Contains(out, "vgg19-caffe is in "+dir) {
		t.Fatalf("fetch -allow-unverified: %v\n%s", err, out)
	}
	start := time.Now()
	_, _, err = runWeights("fetch", "-dir", t.TempDir(), "-base-url", srv.URL, "-stall-timeout", "100ms", "vgg19-torchvision")
	if err == nil || !strings.Contains(err.Error(), "sent nothing for 100ms") {
		t.Fatalf("fetch from a silent server: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("fetch from a silent server took %v with -stall-timeout 100ms", d)
	}
}

// TestWeightsInfo summarises the shared model, then the cache file that
// summary left behind.
func TestWeightsInfo(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("STYLELAB_CACHE", cache)
	const digest = "d24ccb9849a68bb8621e0562897dc9a7a38190fbb135e45df908a2959853b49c" // model.json and shards
	common := []string{"sha256:      " + digest, "provenance:  verified: vgg19-imagenet-tfjs-uint8, 139 file(s)", "parameters:  143667240", "conv1_1  [64 3 3 3]", "fc6      [4096 25088]", "x 255, minus mean [123.68 116.779 103.939]"}
	cached := filepath.Join(cache, digest+".slw")
	for _, tc := range []struct {
		path, format string
	}{
		{testenv.WeightsDir(t), "format:      tfjs, with the ImageNet classifier"},
		{cached, "format:      cache, with the ImageNet classifier"},
	} {
		out, _, err := runWeights("info", tc.path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range append([]string{"path:        " + tc.path, tc.format}, common...) {
			if !strings.Contains(out, s) {
				t.Errorf("info %s lacks %q:\n%s", tc.path, s, out)
			}
		}
	}
	if _, _, err := runWeights("info", filepath.Join(t.TempDir(), "none.pth")); err == nil || !strings.Contains(err.Error(), "do not exist") {
		t.Fatalf("info on a missing file: %v", err)
	}
}

func TestDownloadBarLine(t *testing.T) {
	start := time.Unix(1000, 0)
	for _, tc := range []struct {
		base, done, total int64
		after             time.Duration
		want              string
	}{
		{0, 50e6, 100e6, 5 * time.Second, "m [###############---------------]  50.0%  50.0/100.0 MB  10.0 MB/s  ETA 0:05"},
		{40e6, 60e6, 100e6, 2 * time.Second, "m [##################------------]  60.0%  60.0/100.0 MB  10.0 MB/s  ETA 0:04"},
		{0, 100e6, 100e6, 10 * time.Second, "m [##############################] 100.0%  100.0/100.0 MB  10.0 MB/s  ETA 0:00"},
		{0, 0, 100e6, 0, "m [------------------------------]   0.0%  0.0/100.0 MB  0.0 MB/s  ETA --:--"},
		{0, 30e6, -1, 3 * time.Second, "m  30.0 MB  10.0 MB/s"},
	} {
		b := &downloadBar{label: "m", start: start, base: tc.base, done: tc.done, total: tc.total}
		if got := b.line(start.Add(tc.after)); got != tc.want {
			t.Errorf("line = %q\nwant   %q", got, tc.want)
		}
	}
}
