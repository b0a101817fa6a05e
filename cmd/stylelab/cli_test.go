package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/store"
)

// cli runs the real stylelab binary with a private store and cache.
type cli struct {
	t              *testing.T
	bin, dir, db   string
	env            []string
	content, style string
}

// built is the stylelab binary, built once per test binary into a folder
// that TestMain removes.
var built struct {
	once     sync.Once
	dir, bin string
	err      error
}

func newCLI(t *testing.T) *cli {
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "stylelab-cli-test-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "stylelab")
		if out, err := exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	dir := t.TempDir()
	c := &cli{t: t, bin: built.bin, dir: dir, db: filepath.Join(dir, "runs.db"),
		content: testenv.Path(t, "images", "tubingen.jpg"), style: testenv.Path(t, "images", "starry_night.jpg")}
	c.env = append(os.Environ(), "STYLELAB_DB="+c.db, "STYLELAB_CACHE="+filepath.Join(dir, "cache"),
		"STYLELAB_WEIGHTS="+testenv.WeightsDir(t))
	return c
}

func (c *cli) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command(c.bin, args...)
	cmd.Env, cmd.Dir = c.env, c.dir
	return cmd
}

// ok runs the command, fails the test on error, and returns its stdout.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	var out, errOut bytes.Buffer
	cmd := c.cmd(args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("stylelab %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// fails runs the command, expects exit status 1, and returns its stderr.
func (c *cli) fails(args ...string) string {
	c.t.Helper()
	var errOut bytes.Buffer
	cmd := c.cmd(args...)
	cmd.Stderr = &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		c.t.Fatalf("stylelab %s: %v, want exit status 1; stderr: %s", strings.Join(args, " "), err, errOut.String())
	}
	return errOut.String()
}

// TestTrackedWorkflow is the tracker's user story from the command line: two
// transfers with different ratios and a small sweep, then listing,
// filtering, comparing, plotting and exporting them.
func TestTrackedWorkflow(t *testing.T) {
	c := newCLI(t)
	base := []string{"run", "-content", c.content, "-style", c.style, "-size", "64", "-iterations", "4"}
	c.ok(append(base, "-ratio", "1e-3", "-name", "low", "-o", "low.png")...)
	c.ok(append(base, "-ratio", "1e-1", "-name", "high", "-o", "high.png", "-snapshot-every", "2")...)
	meta, err := imaging.ReadPNGText(filepath.Join(c.dir, "low.png"))
	if err != nil {
		t.Fatal(err)
	}
	if meta["stylelab.ratio"] != "0.001" || meta["stylelab.style_layers"] != "conv1_1,conv2_1,conv3_1,conv4_1,conv5_1" || len(meta["stylelab.weights_sha256"]) != 64 {
		t.Errorf("output metadata %v lacks the run's settings", meta)
	}
	// The saved image scores what the run logged (pixels stay in range).
	evalOut := c.ok("eval", "-image", filepath.Join(c.dir, "low.png"), "-content", c.content, "-style", c.style, "-ratio", "1e-3")
	var scored float64
	if _, err := fmt.Sscanf(evalOut, "total %g", &scored); err != nil {
		t.Fatalf("eval output %q: %v", evalOut, err)
	}
	st, err := store.Open(c.db)
	if err != nil {
		t.Fatal(err)
	}
	low, err := st.Runs(context.Background(), `name = "low"`)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if len(low) != 1 || math.Abs(scored-low[0].Last["total"]) > 0.01*low[0].Last["total"] {
		t.Errorf("eval scores low.png %g; the run logged %v", scored, low)
	}
	lowImg, err := imaging.Load(filepath.Join(c.dir, "low.png"))
	if err != nil {
		t.Fatal(err)
	}
	styleImg, err := imaging.Load(c.style)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("grain ratio          %.3g  (against %s)", imaging.GrainRatio(lowImg, styleImg), c.style); !strings.Contains(evalOut, want) {
		t.Errorf("eval output\n%s\nlacks %q", evalOut, want)
	}
	sweep := []string{"sweep", "-experiment", "fig4", "-content", c.content, "-style", c.style, "-size", "48", "-iterations", "2",
		"-axis", "style_layers=conv1_1|conv1_1,conv2_1", "-axis", "ratio=1e-4|1e-2"}
	if out := c.ok(sweep...); strings.Count(out, "(ran)") != 4 {
		t.Errorf("first sweep output:\n%s\nwant 4 points run", out)
	}
	if out := c.ok(sweep...); strings.Count(out, "(already finished)") != 4 {
		t.Errorf("second sweep output:\n%s\nwant 4 points skipped", out)
	}
	if out := c.ok("runs", "ls"); strings.Count(out, "FINISHED") != 6 {
		t.Errorf("runs ls:\n%s\nwant 6 finished runs", out)
	}
	out := c.ok("runs", "ls", "-q", `params.ratio <= 1e-3 and params.style_layers = "conv1_1,conv2_1" order by metrics.style`)
	if strings.Count(out, "FINISHED") != 1 || !strings.Contains(out, "fig4") {
		t.Errorf("filtered ls:\n%s\nwant the one fig4 run with ratio 1e-4 and two layers", out)
	}
	if out := c.ok("runs", "compare", "1", "2"); !strings.Contains(out, "ratio") || !strings.Contains(out, "0.1") {
		t.Errorf("runs compare:\n%s\nwant the differing ratio", out)
	}
	c.ok("runs", "grid", "-q", `experiment = "fig4"`, "-rows", "style_layers", "-cols", "ratio", "-cell", "96", "-o", "grid.png")
	c.ok("runs", "plot", "-metric", "total,style", "-o", "curves.png", "1", "2")
	c.ok("runs", "plot", "-metric", "style/conv1_1", "-o", "curves.svg", "1", "2")
	c.ok("runs", "strip", "-o", "strip.png", "2")
	for _, name := range []string{"grid.png", "curves.png", "strip.png"} {
		f, err := os.Open(filepath.Join(c.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 100 || cfg.Height < 100 {
			t.Errorf("%s: %v, %dx%d", name, err, cfg.Width, cfg.Height)
		}
	}
	if svg, err := os.ReadFile(filepath.Join(c.dir, "curves.svg")); err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("curves.svg: %v", err)
	}
	rows, err := csv.NewReader(strings.NewReader(c.ok("runs", "export", "-format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 6*2 {
		t.Errorf("CSV export has %d rows, want the whole history of 6 runs", len(rows))
	}
	records, err := store.ReadJSON(strings.NewReader(c.ok("runs", "export", "-format", "json", "-q", `name = "low"`)))
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 || records[0].LastStep != 4 || len(records[0].Metrics) < 4*6 {
		t.Errorf("JSON export: %d records; want run low with its 4 steps", len(records))
	}
	// A style file whose name has a comma, blended with another by repeating -style.
	data, err := os.ReadFile(c.style)
	if err != nil {
		t.Fatal(err)
	}
	comma := filepath.Join(c.dir, "starry, night.jpg")
	if err := os.WriteFile(comma, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c.ok("run", "-content", c.content, "-style", comma, "-style", c.content, "-style-blend", "0,1", "-size", "48", "-iterations", "1", "-o", "comma.png")
	meta, err = imaging.ReadPNGText(filepath.Join(c.dir, "comma.png"))
	if err != nil {
		t.Fatal(err)
	}
	if meta["stylelab.style_path_1"] != comma || meta["stylelab.style_blend"] != "0,1" {
		t.Errorf("styles recorded as %q blended %q, want %q first with weight 0", meta["stylelab.style_path_1"], meta["stylelab.style_blend"], comma)
	}
}

// TestKilledRunKeepsItsSteps kills a running transfer with SIGKILL: every
// step it logged survives and the run shows as INTERRUPTED.
func TestKilledRunKeepsItsSteps(t *testing.T) {
	c := newCLI(t)
	cmd := c.cmd("run", "-content", c.content, "-style", c.style, "-size", "64", "-iterations", "10000", "-o", "k.png")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	seen := 0
	for deadline := time.Now().Add(3 * time.Minute); seen < 5; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the run logged fewer than 5 steps in 3 minutes")
		}
		seen = stepsLogged(t, c.db)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	s, err := store.Open(c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.Runs(context.Background(), "")
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %v, %v; want one", runs, err)
	}
	if runs[0].Status != store.StatusInterrupted || runs[0].LastStep < seen {
		t.Errorf("after SIGKILL: status %s, last step %d; want INTERRUPTED with at least %d steps", runs[0].Status, runs[0].LastStep, seen)
	}
}

// stepsLogged reads the highest step logged so far, through the sqlite3 shell so
// that the running process's store is not touched.
func stepsLogged(t *testing.T, db string) int {
	if _, err := os.Stat(db); err != nil {
		return 0
	}
	out, err := exec.Command("sqlite3", db, "select coalesce(max(step), 0) from metrics").Output()
	if err != nil {
		return 0
	}
	var n int
	for _, ch := range strings.TrimSpace(string(out)) {
		n = n*10 + int(ch-'0')
	}
	return n
}

// TestRunRefusesBadInput checks the command line's errors name the problem and the fix.
func TestRunRefusesBadInput(t *testing.T) {
	c := newCLI(t)
	missing := filepath.Join(c.dir, "missing.jpg")
	st, err := store.Open(c.db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	style, err := imaging.Load(c.style)
	if err != nil {
		t.Fatal(err)
	}
	stylePNG := filepath.Join(c.dir, "style.png")
	if err := imaging.WritePNG(stylePNG, style, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"run", "-content", missing, "-style", c.style}, []string{"missing.jpg"}},
		{[]string{"run", "-content", c.content, "-style", c.style, "-iterations", "0"}, []string{"iterations 0 is meaningless"}},
		{[]string{"run", "-content", c.content, "-style", c.style, "-size", "0"}, []string{"size 0 is meaningless"}},
		{[]string{"run", "-content", c.content, "-style", c.style, "-alpha", "0", "-beta", "0"}, []string{"alpha and beta are both 0"}},
		{[]string{"run", "-content", c.content, "-style", c.style, "-style", c.content, "-style-blend", "0,0"}, []string{"every style blend weight is 0"}},
		{[]string{"run", "-content", c.content, "-style", stylePNG, "-o", stylePNG}, []string{"is the input image"}},
		{[]string{"run", "-content", c.content, "-style", c.style, "-o", filepath.Join(missing, "out.png")}, []string{"cannot write the output"}},
		{[]string{"run", "-content", c.content, "-style", c.style, "-style-layers", "conv1_1,conv9_9"}, []string{`"conv9_9"`, "valid layers are"}},
		{[]string{"run", "-content", c.content, "-style", c.style, "-ratio", "-1"}, []string{"ratio -1 is meaningless", "> 0"}},
		{[]string{"run", "-content", c.content, "-style", c.style, "-style-layer-weights", "1,2"}, []string{"style_layer_weights", "2 values for 5 style layers"}},
		{[]string{"run", "-content", c.content, "-style", c.style, "-o", "out.jpg"}, []string{"must end in .png"}},
		{[]string{"run", "-weights", missing}, []string{"missing.jpg", "weights fetch"}},
		{[]string{"frobnicate"}, []string{`unknown command "frobnicate"`, "Usage"}},
		{[]string{"runs", "ls", "-q", "params.ratio <<= 1"}, []string{"params.ratio <<= 1", "^"}},
	}
	for _, tc := range tests {
		stderr := c.fails(tc.args...)
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("stylelab %s: stderr %q does not mention %q", strings.Join(tc.args, " "), stderr, w)
			}
		}
	}
	// No weights anywhere: the error says how to get them.
	c.env = append(os.Environ(), "STYLELAB_DB="+c.db, "STYLELAB_CACHE="+filepath.Join(c.dir, "empty-cache"), "STYLELAB_WEIGHTS=")
	if stderr := c.fails("run"); !strings.Contains(stderr, "no VGG-19 weights found") || !strings.Contains(stderr, "stylelab weights fetch") {
		t.Errorf("without weights: %q", stderr)
	}
}

// TestNormalisedNetworkCLI runs a transfer on the normalised network and
// scores its output with eval under the same flags: both use the network
// normalised over the given photos, which the output records.
func TestNormalisedNetworkCLI(t *testing.T) {
	c := newCLI(t)
	set := filepath.Join(c.dir, "photos")
	if err := os.Mkdir(set, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"cat1.jpg", "dingo.jpg", "dog1.jpg", "house1.jpg"} {
		data, err := os.ReadFile(testenv.Path(t, "imagenet-check", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(set, n), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flags := []string{"-content", c.content, "-style", c.style, "-network", "normalised", "-normalise-images", set}
	c.ok(append([]string{"run", "-size", "48", "-iterations", "3", "-o", "norm.png"}, flags...)...)
	c.ok("run", "-content", c.content, "-style", c.style, "-size", "48", "-iterations", "1", "-o", "raw.png")
	meta, err := imaging.ReadPNGText(filepath.Join(c.dir, "norm.png"))
	if err != nil {
		t.Fatal(err)
	}
	rawMeta, err := imaging.ReadPNGText(filepath.Join(c.dir, "raw.png"))
	if err != nil {
		t.Fatal(err)
	}
	if meta["stylelab.network"] != "normalised" || meta["stylelab.normalise_images"] != set || rawMeta["stylelab.network"] != "raw" ||
		meta["stylelab.weights_sha256"] == rawMeta["stylelab.weights_sha256"] {
		t.Errorf("normalised output records network %q, images %q, weights %s (raw: %q, %s)", meta["stylelab.network"],
			meta["stylelab.normalise_images"], meta["stylelab.weights_sha256"], rawMeta["stylelab.network"], rawMeta["stylelab.weights_sha256"])
	}
	evalOut := c.ok(append([]string{"eval", "-image", filepath.Join(c.dir, "norm.png")}, flags...)...)
	var scored float64
	if _, err := fmt.Sscanf(evalOut, "total %g", &scored); err != nil {
		t.Fatalf("eval output %q: %v", evalOut, err)
	}
	st, err := store.Open(c.db)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := st.Runs(context.Background(), `params.network = "normalised"`)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || math.Abs(scored-runs[0].Last["total"]) > 0.01*runs[0].Last["total"] {
		t.Errorf("eval scores norm.png %g; the normalised run logged %v", scored, runs)
	}
}
