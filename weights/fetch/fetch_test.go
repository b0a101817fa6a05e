package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stylelab/stylelab/internal/testenv"
)

// fileServer serves named byte slices on 127.0.0.1 with Range support and
// records the requests; cut, when set for a file, breaks that file's next
// response off after so many bytes.
type fileServer struct {
	*httptest.Server
	mu     sync.Mutex
	files  map[string][]byte
	cut    map[string]int
	ranges []string // "name range" per request
}

func newFileServer(t *testing.T, files map[string][]byte) *fileServer {
	s := &fileServer{files: files, cut: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *fileServer) serve(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	s.mu.Lock()
	data, ok := s.files[name]
	cut := s.cut[name]
	delete(s.cut, name)
	s.ranges = append(s.ranges, name+" "+r.Header.Get("Range"))
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if cut > 0 { // announce everything, send cut bytes, drop the connection
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:cut])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

func (s *fileServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

// testModel is a two-file model with deterministic contents served by a new server.
func testModel(t *testing.T) (Model, map[string][]byte) {
	files := map[string][]byte{"a.bin": make([]byte, 3<<20+17), "b.bin": []byte("small second file")}
	for i := range files["a.bin"] {
		files["a.bin"][i] = byte(i * 7 / 3)
	}
	m := Model{Name: "test-model", Format: "torch"}
	for _, name := range []string{"a.bin", "b.bin"} {
		sum := sha256.Sum256(files[name])
		m.Files = append(m.Files, File{Name: name, URL: "http://unused.invalid/" + name, Size: int64(len(files[name])), SHA256: hex.EncodeToString(sum[:])})
	}
	return m, files
}

func checkFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes, want %d (%v)", name, len(got), len(want), err)
		}
		if _, err := os.Stat(filepath.Join(dir, name+".part")); err == nil {
			t.Fatalf("%s.part left behind", name)
		}
	}
}

// TestDownloadShared downloads the registered TensorFlow.js model from a local
// server holding the shared copy, and verifies it against the registry.
func TestDownloadShared(t *testing.T) {
	src := testenv.WeightsDir(t)
	var reqs int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs++
		mu.Unlock()
		http.FileServer(http.Dir(src)).ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "model")
	var last, total int64
	progress := func(done, tot int64) {
		if done < last || tot != total && total != 0 {
			t.Errorf("progress went from %d/%d to %d/%d", last, total, done, tot)
		}
		last, total = done, tot
	}
	const model = "vgg19-imagenet-tfjs-uint8"
	m, err := Find(model)
	if err != nil {
		t.Fatal(err)
	}
	if err := Download(context.Background(), m, dir, Options{BaseURL: srv.URL, Progress: progress}); err != nil {
		t.Fatal(err)
	}
	if want := int64(143667240 + 25990); last != want || total != want {
		t.Fatalf("progress ended at %d/%d, want %d", last, total, want)
	}
	checks, err := Verify(context.Background(), dir)
	if err != nil || len(checks) != 139 {
		t.Fatalf("Verify: %d files, %v", len(checks), err)
	}
	for _, c := range checks {
		if c.Status != CheckOK || c.Model != model {
			t.Fatalf("%+v", c)
		}
	}
	mu.Lock()
	reqs = 0
	mu.Unlock()
	if err := Download(context.Background(), m, dir, Options{BaseURL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if reqs != 0 {
		t.Fatalf("second Download made %d requests for files already in place", reqs)
	}
}

func TestDownloadResume(t *testing.T) {
	for _, attempts := range []int{1, 3} {
		t.Run(fmt.Sprint("attempts=", attempts), func(t *testing.T) {
			m, files := testModel(t)
			srv := newFileServer(t, files)
			srv.cut["a.bin"] = 1 << 20
			dir := t.TempDir()
			opts := Options{BaseURL: srv.URL, Attempts: attempts}
			err := Download(context.Background(), m, dir, opts)
			if attempts == 1 {
				if err == nil || !strings.Contains(err.Error(), "broke off") || !strings.Contains(err.Error(), srv.URL+"/a.bin") {
					t.Fatalf("cut-off download: %v, want an error saying it broke off", err)
				}
				st, serr := os.Stat(filepath.Join(dir, "a.bin.part"))
				if serr != nil || st.Size() == 0 || st.Size() > 1<<20 {
					t.Fatalf("partial file after the cut: %v %v", st, serr)
				}
				err = Download(context.Background(), m, dir, opts)
			}
			if err != nil {
				t.Fatal(err)
			}
			checkFiles(t, dir, files)
			reqs := srv.requests()
			if len(reqs) != 3 || reqs[0] != "a.bin " || !strings.HasPrefix(reqs[1], "a.bin bytes=") || reqs[1] == "a.bin bytes=0-" {
				t.Fatalf("requests %q, want a.bin, a.bin resumed with a Range, b.bin", reqs)
			}
		})
	}
}

func TestDownloadErrors(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + closed.Addr().String()
	closed.Close()
	for _, tc := range []struct {
		name   string
		edit   func(*Model, map[string][]byte)
		base   string // "" means the test server
		target error
		want   []string
	}{
		{"sha256 mismatch", func(m *Model, files map[string][]byte) { files["a.bin"][5]++ }, "", errChecksum,
			[]string{"a.bin", "sha256", "want ", "corrupt", "deleted it"}},
		{"size mismatch", func(m *Model, files map[string][]byte) { files["b.bin"] = append(files["b.bin"], '!') }, "", errChecksum,
			[]string{"/b.bin announces 18 bytes from byte 0", "published size is 17"}},
		{"404", func(m *Model, files map[string][]byte) { delete(files, "b.bin") }, "", nil,
			[]string{"/b.bin", "404 Not Found"}},
		{"unreachable", nil, deadURL, errUnreachable,
			[]string{deadURL + "/a.bin", "network unreachable", "by hand", "http://unused.invalid/a.bin", "-base-url", "STYLELAB_WEIGHTS_URL", "stylelab weights verify"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, files := testModel(t)
			if tc.edit != nil {
				tc.edit(&m, files)
			}
			srv := newFileServer(t, files)
			base := tc.base
			if base == "" {
				base = srv.URL
			}
			dir := t.TempDir()
			err := Download(context.Background(), m, dir, Options{BaseURL: base, Attempts: 2})
			if err == nil {
				t.Fatal("Download succeeded")
			}
			if tc.target != nil && !errors.Is(err, tc.target) {
				t.Fatalf("error %v is not %v", err, tc.target)
			}
			for _, s := range append(tc.want, dir) {
				if !strings.Contains(err.Error(), s) && !(s == dir && tc.target != errUnreachable) {
					t.Errorf("error lacks %q:\n%v", s, err)
				}
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if tc.target == errChecksum && strings.HasSuffix(e.Name(), ".part") {
					t.Errorf("corrupt %s kept", e.Name())
				}
			}
		})
	}
}

func TestDownloadCancel(t *testing.T) {
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done() // never finishes on its own
	}))
	defer srv.Close()
	m := Model{Name: "slow", Files: []File{{Name: "w.bin", Size: 1000000}}}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; time.Sleep(50 * time.Millisecond); cancel() }()
	dir := t.TempDir()
	err := Download(ctx, m, dir, Options{BaseURL: srv.URL})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "resume") {
		t.Fatalf("cancelled Download returned %v", err)
	}
	if st, err := os.Stat(filepath.Join(dir, "w.bin.part")); err != nil || st.Size() != 1000 {
		t.Fatalf("partial file after cancel: %v, %v", st, err)
	}
}

// TestDownloadUnknownHash covers files published without size (and with only a
// hash prefix), and a corrupt file already in place being replaced.
func TestDownloadUnknownHash(t *testing.T) {
	m, files := testModel(t)
	sum := sha256.Sum256(files["a.bin"])
	m.Files[0].Size, m.Files[0].SHA256 = 0, hex.EncodeToString(sum[:4])
	srv := newFileServer(t, files)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "b.bin"), []byte("corrupt second file"), 0o644); err != nil {
		t.Fatal(err)
	}
	var totals []int64
	err := Download(context.Background(), m, dir, Options{BaseURL: srv.URL, Progress: func(_, total int64) { totals = append(totals, total) }})
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, files)
	if want := int64(len(files["a.bin"]) + len(files["b.bin"])); totals[0] != want || totals[len(totals)-1] != want {
		t.Fatalf("progress totals %d ... %d, want %d once the server announced a.bin's length", totals[0], totals[len(totals)-1], want)
	}
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	checks, err := Verify(ctx, testenv.WeightsDir(t))
	if err != nil || len(checks) != 139 {
		t.Fatalf("shared weights: %d checks, %v", len(checks), err)
	}
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	json, err := os.ReadFile(filepath.Join(testenv.WeightsDir(t), "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	partial := filepath.Join(dir, "partial")
	os.Mkdir(partial, 0o755)
	os.WriteFile(filepath.Join(partial, "model.json"), json, 0o644)
	os.WriteFile(filepath.Join(partial, "group1-shard2of138.bin"), []byte("bad"), 0o644)
	for _, tc := range []struct {
		name, path, status, err string
	}{
		{"caffe, no published hash", write("VGG_ILSVRC_19_layers.caffemodel", "x"), CheckUnknown, ""},
		{"torchvision prefix mismatch", write("vgg19-dcbb9e9d.pth", "not the real file"), CheckMismatch, "1 of 1 files missing or corrupt"},
		{"tfjs with missing and bad shards", partial, "", "138 of 139 files missing or corrupt: group1-shard1of138.bin MISSING, group1-shard2of138.bin MISMATCH"},
		{"unknown file", write("other.bin", "x"), "", "holds no file of a known model"},
		{"missing path", filepath.Join(dir, "nope"), "", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checks, err := Verify(ctx, tc.path)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "fetch: ")) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if tc.status != "" && (len(checks) != 1 || checks[0].Status != tc.status) {
				t.Fatalf("checks %+v, want one %s", checks, tc.status)
			}
		})
	}
}

func TestModels(t *testing.T) {
	models := Models()
	sums, err := os.ReadFile(filepath.Join(testenv.WeightsDir(t), "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		for _, f := range m.Files {
			if !strings.HasSuffix(f.URL, "/"+f.Name) {
				t.Errorf("%s: URL %s does not end in its name", f.Name, f.URL)
			}
			switch m.Format {
			case "tfjs": // every hash and size matches the shared copy
				st, err := os.Stat(filepath.Join(testenv.WeightsDir(t), f.Name))
				if err != nil || st.Size() != f.Size || !bytes.Contains(sums, []byte(f.SHA256+"  "+f.Name+"\n")) {
					t.Errorf("%s: size %d, sha256 %s disagree with the shared copy (%v)", f.Name, f.Size, f.SHA256, err)
				}
			case "torch":
				if f.SHA256 != "dcbb9e9d" || !strings.Contains(f.Name, f.SHA256) {
					t.Errorf("torchvision file %s: hash prefix %q", f.Name, f.SHA256)
				}
			case "caffe":
				if f.SHA256 != "" || !strings.Contains(m.Note, "no sha256") {
					t.Errorf("caffe file claims a hash %q", f.SHA256)
				}
			}
		}
	}
	if _, err := Find("vgg16"); err == nil || !strings.Contains(err.Error(), "vgg19-torchvision") {
		t.Fatalf("unknown model error %v does not list the known ones", err)
	}
}
