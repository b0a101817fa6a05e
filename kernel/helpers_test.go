package kernel_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// python is Debian's Python, which has Jupyter (the first python3 on PATH
// may be another one).
const python = "/usr/bin/python3"

var (
	tmpRoot string // removed after the tests
	built   struct {
		once sync.Once
		bin  string
		err  error
	}
)

func TestMain(m *testing.M) {
	var err error
	tmpRoot, err = os.MkdirTemp("", "stylelab-kernel-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// repoRoot is the module's root directory.
func repoRoot(tb testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("cannot find the test's source")
	}
	return filepath.Dir(filepath.Dir(file))
}

// stylelabBinary builds cmd/stylelab once for all tests.
func stylelabBinary(tb testing.TB) string {
	tb.Helper()
	built.once.Do(func() {
		built.bin = filepath.Join(tmpRoot, "bin", "stylelab")
		cmd := exec.Command("go", "build", "-o", built.bin, "./cmd/stylelab")
		cmd.Dir = repoRoot(tb)
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build ./cmd/stylelab: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built.bin
}

// requireJupyter fails (or skips with -short) when Debian's Jupyter
// packages are missing.
func requireJupyter(tb testing.TB, modules ...string) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("drives real Jupyter; skipped with -short")
	}
	args := []string{"-c", "import " + strings.Join(append([]string{"jupyter_client"}, modules...), ", ")}
	if out, err := exec.Command(python, args...).CombinedOutput(); err != nil {
		tb.Fatalf("Jupyter is not installed (run scripts/install-deps.sh: jupyter-client, jupyter-nbconvert, python3-nbclient, python3-jupyter-kernel-test): %v\n%s", err, out)
	}
}

// installKernel runs `stylelab kernel install -prefix` into a fresh
// directory and returns the environment that makes Jupyter find it (and
// only keeps its files in temporary directories).
func installKernel(tb testing.TB) []string {
	tb.Helper()
	bin := stylelabBinary(tb)
	prefix := tb.TempDir()
	out, err := exec.Command(bin, "kernel", "install", "-prefix", prefix).CombinedOutput()
	if err != nil {
		tb.Fatalf("stylelab kernel install: %v\n%s", err, out)
	}
	data := filepath.Join(prefix, "share", "jupyter")
	env := append(os.Environ(),
		"JUPYTER_PATH="+data,
		"JUPYTER_RUNTIME_DIR="+tb.TempDir(),
		"JUPYTER_PLATFORM_DIRS=1",
		"PYDEVD_DISABLE_FILE_VALIDATION=1",
		"PYTHONUNBUFFERED=1",
	)
	cmd := exec.Command("/usr/bin/jupyter", "kernelspec", "list")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil || !bytes.Contains(out, []byte(filepath.Join(data, "kernels", "stylelab"))) {
		tb.Fatalf("jupyter kernelspec list does not show the installed kernel (%v):\n%s", err, out)
	}
	return env
}

var (
	testLine = regexp.MustCompile(`^(test_\w+) \(([\w.]+)\)`)
	ranLine  = regexp.MustCompile(`^Ran (\d+) tests? in`)
)

// runUnittest runs a Python unittest module of kernel/testdata and
// requires all of its want tests to pass: none failed, errored or skipped.
func runUnittest(t *testing.T, module string, want int, env []string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-Xfrozen_modules=off", "-m", "unittest", "-v", module)
	cmd.Dir = filepath.Join(repoRoot(t), "kernel", "testdata")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("%s: %v\n%s", module, err, text)
	}
	ran := -1
	var final string
	var names []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if m := testLine.FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
		}
		if m := ranLine.FindStringSubmatch(line); m != nil {
			fmt.Sscan(m[1], &ran)
		}
		if line == "OK" || strings.HasPrefix(line, "OK (") || strings.HasPrefix(line, "FAILED") {
			final = line
		}
	}
	// unittest's last line is "OK" only when every test passed; skips and
	// expected failures add "(skipped=N)" and the like.
	if final != "OK" || ran != want || strings.Contains(text, "skipped") {
		t.Fatalf("%s: %d tests ran (want %d), final %q; every test must pass, none skipped:\n%s", module, ran, want, final, text)
	}
	t.Logf("%s: all %d tests passed: %s", module, ran, strings.Join(names, ", "))
}
