package ui

import (
	"context"
	"image"
	"image/color"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/store"
)

// xssName and friends are stored as they are and must show as text.
const (
	xssName = `<img src=x onerror=alert(1)>`
	xssExp  = `<b>x</b>`
	xssTag  = `"><svg/onload=alert(3)>`
	xssNote = `<script>alert(2)</script> too bright`
	xssVal  = `<i>v</i>`
)

// fixture is a store with a handful of runs made through the store's API
// and a Server over it.
type fixture struct {
	st   *store.Store
	srv  *Server
	run  map[string]int64       // run ids by name
	art  map[string]int64       // artifact ids: "<run name>/<kind>"
	live *store.Run             // a run left RUNNING
	logs *strings.Builder       // what the server logged
	opt  Options                // as given to New
	imgs map[string]*image.RGBA // final images by run name
}

// solid is a w×h image of one colour.
func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return img
}

func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	data, err := imaging.EncodePNG(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func newFixture(t *testing.T, opt Options) *fixture {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	f := &fixture{st: st, run: map[string]int64{}, art: map[string]int64{}, logs: &strings.Builder{}, imgs: map[string]*image.RGBA{}}
	ctx := context.Background()
	type spec struct {
		name, exp string
		params    []string
		colour    color.RGBA
		tags      []string
		note      string
		live      bool
	}
	for _, s := range []spec{
		{name: "low", exp: "fig4", params: []string{"ratio", "1e-3", "style_layers", "conv1_1", "iterations", "3"}, colour: color.RGBA{200, 0, 0, 255}, tags: []string{"fig3"}, note: "first try"},
		{name: "high", exp: "fig4", params: []string{"ratio", "1e-2", "style_layers", "conv1_1", "iterations", "3"}, colour: color.RGBA{0, 200, 0, 255}},
		{name: "deep", exp: "fig4", params: []string{"ratio", "1e-3", "style_layers", "conv1_1,conv2_1", "iterations", "3"}, colour: color.RGBA{0, 0, 200, 255}},
		{name: xssName, exp: xssExp, params: []string{"ratio", "1e-3", "style_layers", xssVal, "iterations", "3"}, colour: color.RGBA{200, 200, 0, 255}, tags: []string{xssTag}, note: xssNote},
		{name: "missing", exp: "fig4", params: []string{"ratio", "5e-3", "style_layers", "conv1_1", "iterations", "3"}, colour: color.RGBA{90, 90, 90, 255}},
		{name: "live", exp: "fig4", params: []string{"ratio", "1e-4", "style_layers", "conv1_1", "iterations", "3"}, colour: color.RGBA{0, 120, 255, 255}, live: true},
	} {
		var ps []store.Param
		for i := 0; i < len(s.params); i += 2 {
			ps = append(ps, store.Param{Key: s.params[i], Value: s.params[i+1]})
		}
		r, err := st.StartRun(ctx, store.RunSpec{Name: s.name, Experiment: s.exp, Params: ps, Tags: s.tags, Seed: 7,
			Version: "v-test", Commit: "abc123", WeightsSHA256: strings.Repeat("ab", 32),
			Inputs: []store.Input{{Role: "content", Path: "/data/tubingen.jpg", SHA256: strings.Repeat("cd", 32)}}})
		if err != nil {
			t.Fatal(err)
		}
		f.run[s.name] = r.ID()
		steps := 3
		if s.live {
			steps = 1
		}
		for i := 0; i < steps; i++ {
			k := float64(i + 1)
			m := map[string]float64{"total": 1e6 / k * (1 + float64(r.ID())/10), "content": 1e3 / k, "style": 1e5 / k, "style/conv1_1": 5e4 / k}
			if err := r.LogStep(i, k/10, m); err != nil {
				t.Fatal(err)
			}
		}
		f.imgs[s.name] = solid(40, 30, s.colour)
		if _, err := r.SaveArtifact(store.KindSnapshot, "snap.png", 0, pngBytes(t, solid(40, 30, color.RGBA{128, 128, 128, 255}))); err != nil {
			t.Fatal(err)
		}
		if s.note != "" {
			if err := st.Note(ctx, r.ID(), s.note); err != nil {
				t.Fatal(err)
			}
		}
		if s.live {
			f.live = r
			continue
		}
		path, err := r.SaveArtifact(store.KindFinal, "final.png", steps, pngBytes(t, f.imgs[s.name]))
		if err != nil {
			t.Fatal(err)
		}
		if s.name == "missing" {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := r.SaveArtifact(store.KindPlot, "losses.png", steps, pngBytes(t, solid(8, 6, color.RGBA{1, 2, 3, 255}))); err != nil {
			t.Fatal(err)
		}
		if err := r.Finish(store.StatusFinished, ""); err != nil {
			t.Fatal(err)
		}
	}
	for name, id := range f.run {
		arts, err := st.Artifacts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range arts {
			f.art[name+"/"+a.Kind] = a.ID
		}
	}
	if opt.Poll == 0 {
		opt.Poll = 20 * time.Millisecond
	}
	if opt.Log == nil {
		opt.Log = log.New(f.logs, "", 0)
	}
	f.opt = opt
	if f.srv, err = New(st, opt); err != nil {
		t.Fatal(err)
	}
	return f
}

// response is a finished request's status, headers and body.
type response struct {
	status int
	header http.Header
	body   string
}

// get asks the server for target with the Host a browser on loopback sends.
func (f *fixture) get(t *testing.T, target string, header ...string) response {
	t.Helper()
	return f.do(t, httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8787"+target, nil), header...)
}

// post sends a form as the page would, with extra headers as name, value pairs.
func (f *fixture) post(t *testing.T, target string, form url.Values, header ...string) response {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8787"+target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.do(t, r, header...)
}

func (f *fixture) do(t *testing.T, r *http.Request, header ...string) response {
	t.Helper()
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			r.Host = header[i+1]
			continue
		}
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	res := w.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Body.Close(); err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(body)}
}

// mustContain fails the test for each want missing from body.
func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// newLoopbackServer serves h on 127.0.0.1 for the test; it returns the base URL.
func newLoopbackServer(t *testing.T, s *Server) string {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close() // ends live streams, so that Close does not wait on them
		ts.Close()
	})
	return ts.URL
}
