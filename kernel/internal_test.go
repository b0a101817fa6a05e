package kernel

import (
	"context"
	"fmt"
	"image"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stylelab/stylelab/kernel/display"
)

func TestIsComplete(t *testing.T) {
	for code, want := range map[string]string{
		"":                           "complete",
		"1+1":                        "complete",
		"x := 6 * 7":                 "complete",
		"func f() int { return 1 }":  "complete",
		"import \"fmt\"":             "complete",
		"func f() int {":             "incomplete",
		"for i := 0; i < 3; i++ {\n": "incomplete",
		"x := []int{1,":              "incomplete",
		"s := `raw":                  "incomplete",
		"f(1,\n  2":                  "incomplete",
		"x := := 1":                  "invalid",
		"func ) {":                   "invalid",
		"1 +* 2 }":                   "invalid",
		"if x {\n} else }\nfoo(":     "invalid",
	} {
		if got := isComplete(code); got != want {
			t.Errorf("isComplete(%q) = %s, want %s", code, got, want)
		}
	}
}

func TestHelpTopic(t *testing.T) {
	for code, want := range map[string]string{"fmt.Println?": "fmt.Println", "?experiments.OpenLab": "experiments.OpenLab",
		" x ? ": "x", "x?y": "", "a + b?": "", "?": ""} {
		got, ok := helpTopic(code)
		if got != want || ok != (want != "") {
			t.Errorf("helpTopic(%q) = %q, %v; want %q", code, got, ok, want)
		}
	}
}

func TestHistoryQuery(t *testing.T) {
	var h history
	for i, in := range []string{"1+1", "6*7", "x := 1", "6*7", "fmt.Println(6*7)"} {
		h.add(historyEntry{line: i + 1, input: in})
	}
	lines := func(es []historyEntry) (out []int) {
		for _, e := range es {
			out = append(out, e.line)
		}
		return out
	}
	for _, c := range []struct {
		r    historyRequest
		want []int
	}{
		{historyRequest{HistAccessType: "tail", N: 2}, []int{4, 5}},
		{historyRequest{HistAccessType: "range", Session: historySession, Start: 2, Stop: 4}, []int{2, 3}},
		{historyRequest{HistAccessType: "range", Session: 7, Start: 1, Stop: 4}, nil},
		{historyRequest{HistAccessType: "search", Pattern: "6?7"}, []int{2, 4}},
		{historyRequest{HistAccessType: "search", Pattern: "6?7", Unique: true}, []int{4}},
		{historyRequest{HistAccessType: "search", Pattern: "*6*7*", N: 2}, []int{4, 5}},
		{historyRequest{HistAccessType: "search", Pattern: "[!6]*"}, []int{1, 3, 5}},
	} {
		if got := lines(h.query(c.r)); !equalInts(got, c.want) {
			t.Errorf("%+v: lines %v, want %v", c.r, got, c.want)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDottedAtAndOffsets(t *testing.T) {
	code := "x := transfer.Defaults().Size"
	if got := dottedAt(code, strings.Index(code, "Def")+2); got != "transfer.Defaults" {
		t.Errorf("dottedAt = %q", got)
	}
	if got := runeOffset("é1+1", 2); got != 3 {
		t.Errorf("runeOffset = %d, want 3", got)
	}
	if got := byteOffset("ab\ncd", 2, 2); got != 4 {
		t.Errorf("byteOffset = %d, want 4", got)
	}
}

// TestCaptureSync checks that Sync forwards everything written before it,
// in order, keeping multi-byte characters whole.
func TestCaptureSync(t *testing.T) {
	var mu sync.Mutex
	var got strings.Builder
	c, err := newCapture("stdout", func(name, text string) {
		mu.Lock()
		defer mu.Unlock()
		got.WriteString(text)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := strings.Repeat("héllo wörld ✓\n", 5000)
	for i := 0; i < len(want); i += 7 {
		c.w.WriteString(want[i:min(i+7, len(want))])
	}
	c.Sync()
	mu.Lock()
	defer mu.Unlock()
	if got.String() != want {
		t.Fatalf("forwarded %d bytes, want %d", got.Len(), len(want))
	}
}

func TestHeldBack(t *testing.T) {
	if n := heldBack([]byte("abc\x00styl")); n != 5 {
		t.Errorf("partial marker: held back %d", n)
	}
	if n := heldBack([]byte("ab\xc3")); n != 1 {
		t.Errorf("partial rune: held back %d", n)
	}
	if n := heldBack([]byte("abé")); n != 0 {
		t.Errorf("whole text: held back %d", n)
	}
}

func newTestInterp(t *testing.T) *interp {
	t.Helper()
	in, err := newInterp(io.Discard, func() func(any, []byte) { return func(any, []byte) {} })
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestEval(t *testing.T) {
	in := newTestInterp(t)
	eval := func(code string) outcome {
		var o outcome
		in.do(func() { o = in.eval(context.Background(), "cell", code) })
		return o
	}
	if o := eval("x := 20\nx*2 + 2"); o.err != nil || len(o.values) != 1 || o.values[0] != 42 {
		t.Errorf("x*2+2: %+v", o)
	}
	if o := eval(`fmt.Println("hi")`); o.err != nil || len(o.values) != 0 {
		t.Errorf("fmt.Println shows a result: %+v", o)
	}
	if o := eval("x"); o.err != nil || o.values[0] != 20 {
		t.Errorf("variables do not persist: %+v", o)
	}
	for code, name := range map[string]string{
		"x := := 1":          "SyntaxError",
		"undefinedName + 1":  "CompileError",
		`panic("boom")`:      "panic",
		`var a []int; a[3]`:  "panic",
		`import "net/smtp2"`: "ImportError",
	} {
		o := eval(code)
		if o.err == nil || o.err.Name != name {
			t.Errorf("%q: error %+v, want %s", code, o.err, name)
		}
	}
	if o := eval(`import "github.com/stylelab/stylelab/transfer"` + "\ntransfer.Defaults().Size"); o.err != nil || o.values[0] != 512 {
		t.Errorf("transfer: %+v", o)
	}
	// A run's status compares with a literal in a cell.
	if o := eval(`import "github.com/stylelab/stylelab/store"` + "\nvar st store.Status = store.StatusFinished\nst == \"FINISHED\""); o.err != nil || o.values[0] != true {
		t.Errorf("status compared with a literal: %+v", o)
	}
	// The notebooks' comparison of two results renders as HTML.
	o := eval(`import (
	"image"
	"github.com/stylelab/stylelab/kernel/display"
	"github.com/stylelab/stylelab/transfer"
)
img := image.NewRGBA(image.Rect(0, 0, 32, 24))
cfg := transfer.Defaults()
cfg.ContentImage, cfg.Styles, cfg.Size = img, []transfer.Style{{Image: img}}, 32
p1, _ := cfg.Resolve()
cfg.Seed = 7
p2, _ := cfg.Resolve()
first := &transfer.Result{Plan: p1, RunID: 1}
second := &transfer.Result{Plan: p2, RunID: 2}
display.Compare(first, second)`)
	if o.err != nil || len(o.values) != 1 {
		t.Fatalf("display.Compare: %+v", o)
	}
	if b, ok := renderValues(o.values); !ok || !strings.Contains(fmt.Sprint(b.Data["text/html"]), ">seed</th>") {
		t.Errorf("display.Compare renders as %v", b.Data)
	}
	// ctx is the cell's context
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in.do(func() { o = in.eval(ctx, "cell", "ctx.Err()") })
	if o.err != nil || len(o.values) != 1 || o.values[0] != context.Canceled {
		t.Errorf("ctx.Err() = %+v, want context.Canceled", o)
	}
}

func TestInterruptInterpretedLoop(t *testing.T) {
	in := newTestInterp(t)
	done := make(chan outcome)
	go in.do(func() { done <- in.eval(context.Background(), "cell", "n := 0\nfor {\n\tn++\n}") })
	time.Sleep(200 * time.Millisecond)
	in.interrupt()
	select {
	case o := <-done:
		if o.err == nil || o.err.Name != "Interrupted" {
			t.Fatalf("outcome %+v, want Interrupted", o)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not stop")
	}
	var o outcome
	in.do(func() { o = in.eval(context.Background(), "cell", "n > 0") })
	if o.err != nil || o.values[0] != true {
		t.Errorf("after the interrupt: %+v", o)
	}
}

func TestCompleteAndInspect(t *testing.T) {
	in := newTestInterp(t)
	var start int
	var matches []string
	in.do(func() { start, matches = in.complete("x := fmt.Sprin") })
	if start != len("x := fmt.") || strings.Join(matches, ",") != "Sprint,Sprintf,Sprintln" {
		t.Errorf("complete fmt.Sprin: %d %v", start, matches)
	}
	// a linked package not imported yet
	in.do(func() { start, matches = in.complete("plots.Loss") })
	if start != len("plots.") || strings.Join(matches, ",") != "LossCurves" {
		t.Errorf("complete plots.Loss: %d %v", start, matches)
	}
	var doc string
	var ok bool
	in.do(func() { doc, ok = in.inspect("lab, err := experiments.OpenLab(w, db)", 27) })
	if !ok || !strings.Contains(doc, "func OpenLab(weightsPath, dbPath string) (*Lab, error)") || !strings.Contains(doc, "loads the weights") {
		t.Errorf("inspect experiments.OpenLab: %v %q", ok, doc)
	}
	in.do(func() {
		in.eval(context.Background(), "cell", `import "github.com/stylelab/stylelab/experiments"`+"\nvar lab *experiments.Lab\ny := 3")
		doc, ok = in.inspect("lab.Run", 5)
	})
	if !ok || !strings.Contains(doc, "func (l *Lab) Run(") {
		t.Errorf("inspect lab.Run: %v %q", ok, doc)
	}
	in.do(func() { doc, ok = in.inspect("y", 1) })
	if !ok || !strings.Contains(doc, "var y int = 3") {
		t.Errorf("inspect y: %v %q", ok, doc)
	}
	in.do(func() {
		in.eval(context.Background(), "cell", `import "github.com/stylelab/stylelab/transfer"`+"\ncfg := transfer.Defaults()")
		doc, ok = in.inspect("cfg.Iterations", 14)
	})
	if !ok || !strings.HasPrefix(doc, "cfg.Iterations int = 500") || !strings.Contains(doc, "type Config struct") {
		t.Errorf("inspect cfg.Iterations: %v %q", ok, doc)
	}
}

func TestRenderValues(t *testing.T) {
	b, ok := renderValues([]any{image.NewRGBA(image.Rect(0, 0, 4, 3))})
	if !ok || b.Data["image/png"] == nil {
		t.Errorf("image: %v", b.Data)
	}
	b, _ = renderValues([]any{1, "a"})
	if b.Data["text/plain"] != "1\n\"a\"" {
		t.Errorf("two values: %v", b.Data)
	}
	_ = display.Bundle{}
}

// TestIsCompleteDeep classifies deeply nested code: open brackets are
// incomplete, balanced ones complete, a wrong closing bracket invalid,
// and nesting beyond maxNesting invalid.
func TestIsCompleteDeep(t *testing.T) {
	const n = 10000
	for _, c := range []struct {
		name, code, want string
	}{
		{"open parentheses", "x := " + strings.Repeat("(", n), "incomplete"},
		{"open braces", "func f() " + strings.Repeat("{", n), "incomplete"},
		{"open brackets", "x := " + strings.Repeat("[", n), "incomplete"},
		{"open composite literals", "x := " + strings.Repeat("[]any{", n), "incomplete"},
		{"balanced parentheses", "x := " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n), "complete"},
		{"balanced blocks", "func f() " + strings.Repeat("{", n) + strings.Repeat("}", n), "complete"},
		{"a wrong closing bracket", "x := " + strings.Repeat("(", n) + "]", "invalid"},
		{"a closing bracket first", "} " + strings.Repeat("(", n), "invalid"},
		{"open raw string after nesting", "x := " + strings.Repeat("(", n) + "`raw", "incomplete"},
		{"brackets inside a string", `s := "` + strings.Repeat("(", n) + `"`, "complete"},
		{"beyond the nesting bound", "x := " + strings.Repeat("(", maxNesting+1), "invalid"},
		{"shallow, invalid", "x := := 1 (", "invalid"},
	} {
		if got := isComplete(c.code); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// BenchmarkIsComplete times is_complete on n nested open parentheses and
// on n balanced ones: ns/op grows in proportion to n.
func BenchmarkIsComplete(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		for _, c := range []struct{ name, code string }{
			{"open", "x := " + strings.Repeat("(", n)},
			{"balanced", "x := " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n)},
		} {
			b.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(b *testing.B) {
				for b.Loop() {
					isComplete(c.code)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/bracket")
			})
		}
	}
}

// TestEvalNestingBound refuses a cell nested beyond maxNesting before
// parsing it.
func TestEvalNestingBound(t *testing.T) {
	in := newTestInterp(t)
	var o outcome
	in.do(func() {
		o = in.eval(context.Background(), "cell", "x := "+strings.Repeat("(", maxNesting+1)+"1"+strings.Repeat(")", maxNesting+1))
	})
	if o.err == nil || o.err.Name != "SyntaxError" || !strings.Contains(o.err.Value, "at most 100000") {
		t.Errorf("outcome %+v, want a SyntaxError about nesting", o.err)
	}
}

// TestGoroutinePanics runs cells whose goroutines panic: each panic is
// reported (with the cell's goroutine long gone on), the interpreter lives
// on, and the rewritten go statements keep Go's semantics: the function
// and its arguments are evaluated by the go statement, a panic while
// evaluating them is the cell's.
func TestGoroutinePanics(t *testing.T) {
	reports := make(chan string, 16)
	in, err := newInterp(io.Discard, func() func(any, []byte) {
		return func(v any, _ []byte) { reports <- fmt.Sprint(v) }
	})
	if err != nil {
		t.Fatal(err)
	}
	eval := func(code string) outcome {
		var o outcome
		in.do(func() { o = in.eval(context.Background(), "cell", code) })
		return o
	}
	for _, c := range []struct {
		name, code string
		report     string // the panic reported, "" for none
		result     any    // the cell's value, nil for none
		cellPanic  bool   // the cell itself panics
	}{
		{"panic in a literal", `go func() { panic("boom") }()`, "boom", nil, false},
		{"index out of range", "go func() { var a []int; _ = a[5] }()", "reflect: slice index out of range", nil, false},
		{"nil map", "go func() { var m map[string]int; m[\"a\"] = 1 }()", "assignment to entry in nil map", nil, false},
		{"builtin panic", `go panic("direct")`, "direct", nil, false},
		{"nested goroutines", `go func() { go func() { panic("inner") }() }()`, "inner", nil, false},
		{"in a function declared by a cell", "func worker(n int) { panic(fmt.Sprint(\"worker \", n)) }\ngo worker(7)", "worker 7", nil, false},
		{"arguments evaluated by the go statement",
			"got := make(chan int)\nsend := func(v int) { got <- v }\nx := 1\ngo send(x)\nx = 2\nv := <-got\nv", "", 1, false},
		{"function evaluated by the go statement",
			"out := make(chan string)\nf := func() { out <- \"first\" }\ngo f()\nf = func() { out <- \"second\" }\nw := <-out\nw", "", "first", false},
		{"loop variables", "sum := make(chan int, 3)\nfor i := 1; i <= 3; i++ {\n\tgo func(n int) { sum <- n }(i)\n}\n<-sum + <-sum + <-sum", "", 6, false},
		{"panic while evaluating the function", "var fs []func()\ngo fs[3]()", "", nil, true},
		{"the interpreter lives on", "6 * 7", "", 42, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := eval(c.code)
			switch {
			case c.cellPanic:
				if o.err == nil || o.err.Name != "panic" {
					t.Fatalf("the cell did not panic: %+v", o)
				}
			case o.err != nil:
				t.Fatalf("the cell failed: %v", o.err)
			case c.result != nil && (len(o.values) != 1 || o.values[0] != c.result):
				t.Errorf("result %v, want %v", o.values, c.result)
			}
			if c.report == "" {
				return
			}
			select {
			case got := <-reports:
				if got != c.report {
					t.Errorf("reported %q, want %q", got, c.report)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no panic reported")
			}
		})
	}
	select {
	case r := <-reports:
		t.Errorf("an unexpected report: %s", r)
	default:
	}
}

func TestRecoverGoroutines(t *testing.T) {
	code := "x := 1\ngo f(x, g(2))\nfunc h() {\n\tgo func() { go k() }()\n}"
	nodes, fset, err := parse("cell", code)
	if err != nil {
		t.Fatal(err)
	}
	want := "x := 1\n" +
		"__stylelab_go(func(__stylelab_ready func()) { defer f(x, g(2)); __stylelab_ready() })\n" +
		"func h() {\n" +
		"\t__stylelab_go(func(__stylelab_ready func()) { defer func() { __stylelab_go(func(__stylelab_ready func()) { defer k(); __stylelab_ready() }) }(); __stylelab_ready() })\n}"
	if got := recoverGoroutines(code, fset, nodes); got != want {
		t.Errorf("rewritten:\n%s\nwant:\n%s", got, want)
	}
}

// TestAbandonBlockedCell interrupts cells blocked in compiled code, which
// gomacro cannot stop, and abandons them as the kernel does: later cells
// run on a new runner with the session's variables, an interpreted loop
// inside a function is still interrupted, and an abandoned cell woken up
// finishes its statement, then stops and returns.
func TestAbandonBlockedCell(t *testing.T) {
	in := newTestInterp(t)
	eval := func(code string) outcome {
		var o outcome
		in.do(func() { o = in.eval(context.Background(), "cell", code) })
		return o
	}
	if o := eval("x := 41\nwake := make(chan int)"); o.err != nil {
		t.Fatal(o.err)
	}
	block := func(code string) <-chan struct{} {
		ctx, cancel := context.WithCancel(context.Background())
		done := in.start(func() { in.eval(ctx, "cell", code) })
		time.Sleep(200 * time.Millisecond)
		cancel()
		in.interrupt()
		select {
		case <-done:
			t.Fatalf("%q returned: it was not blocked", code)
		case <-time.After(interruptGrace):
		}
		in.abandon()
		return done
	}
	asleep := block(`import "time"` + "\ntime.Sleep(time.Hour)")
	woken := block("v := <-wake\nx = 0")
	if o := eval("x + 1"); o.err != nil || len(o.values) != 1 || o.values[0] != 42 {
		t.Fatalf("after abandoning two cells, x + 1 = %+v", o)
	}

	// An interpreted loop in a function stops on interrupt on the new runner.
	done := make(chan outcome, 1)
	go in.do(func() {
		done <- in.eval(context.Background(), "cell", "func spin() int {\n\tn := 0\n\tfor {\n\t\tn++\n\t}\n}\nspin()")
	})
	time.Sleep(200 * time.Millisecond)
	in.interrupt()
	select {
	case o := <-done:
		if o.err == nil || o.err.Name != "Interrupted" {
			t.Fatalf("spin: %+v, want Interrupted", o)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an interpreted loop in a function did not stop on the new runner")
	}

	if o := eval("wake <- 5"); o.err != nil {
		t.Fatal(o.err)
	}
	select {
	case <-woken:
	case <-time.After(10 * time.Second):
		t.Fatal("the abandoned cell, woken up, did not stop")
	}
	if o := eval("v"); o.err != nil || o.values[0] != 5 {
		t.Errorf("the woken statement's assignment: v = %+v, want 5", o)
	}
	select {
	case <-asleep:
		t.Error("a cell sleeping for an hour returned")
	default:
	}
}

// TestExitIntercepted calls os.Exit and log.Fatalf in cells: each ends the
// cell with an Exit error, and the session goes on.
func TestExitIntercepted(t *testing.T) {
	in := newTestInterp(t)
	for code, want := range map[string]string{
		"import \"os\"\nos.Exit(3)":                 "os.Exit(3) was called",
		"import \"log\"\nlog.Fatalf(\"bad %d\", 7)": "os.Exit(1) was called",
		"import \"log\"\nlog.Fatal(\"bad\")":        "os.Exit(1) was called",
	} {
		var o outcome
		in.do(func() { o = in.eval(context.Background(), "cell", code) })
		if o.err == nil || o.err.Name != "Exit" || !strings.Contains(o.err.Value, want) {
			t.Errorf("%q: %+v, want an Exit error saying %q", code, o.err, want)
		}
	}
	var o outcome
	in.do(func() { o = in.eval(context.Background(), "cell", "6 * 7") })
	if o.err != nil || o.values[0] != 42 {
		t.Errorf("after the exits: %+v", o)
	}
}

// TestGuard runs a cell that recurses without end and one that allocates
// without end under a guard with small bounds: the guard trips, with the
// right error, and interrupts each.
func TestGuard(t *testing.T) {
	in := newTestInterp(t)
	for _, c := range []struct {
		name, code, want string
		g                guard
	}{
		{"recursion", "func down(n int) int { return down(n+1) + 1 }\ndown(0)", "StackOverflow", guard{maxStack: 128 << 20, memoryLimit: 1 << 40}},
		{"allocation", "var keep [][]byte\nfor {\n\tkeep = append(keep, make([]byte, 1<<20))\n}", "MemoryError", guard{maxStack: 1 << 30, memoryLimit: 256 << 20}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tripped := make(chan *cellError, 1)
			stop := c.g.watch(func(e *cellError) {
				tripped <- e
				in.interrupt()
			})
			var o outcome
			in.do(func() { o = in.eval(context.Background(), "cell", c.code) })
			stop()
			if o.err == nil || o.err.Name != "Interrupted" {
				t.Fatalf("outcome %+v, want Interrupted", o.err)
			}
			select {
			case e := <-tripped:
				if e.Name != c.want {
					t.Errorf("tripped with %s (%s), want %s", e.Name, e.Value, c.want)
				}
			default:
				t.Error("the guard did not trip")
			}
		})
	}
	var o outcome
	in.do(func() { o = in.eval(context.Background(), "cell", "keep = nil\nlen(keep)") })
	if o.err != nil || o.values[0] != 0 {
		t.Errorf("after the guards: %+v", o)
	}
}

func TestCrashReport(t *testing.T) {
	const log = "stylelab kernel: 2026/01/01 shutting down\n"
	for _, c := range []struct {
		name, stderr, reason, first string // first: the report's first line
	}{
		{"stack overflow", log + "runtime: goroutine stack exceeds 1048576-byte limit\nruntime: sp=0x1 stack=[0x1, 0x2]\nfatal error: stack overflow\n\nruntime stack:\nruntime.throw()\n",
			"fatal error: stack overflow", "runtime: goroutine stack exceeds 1048576-byte limit"},
		{"panic", log + "panic: in a callback\n\ngoroutine 67 [running]:\nmain.f()\n", "panic: in a callback", "panic: in a callback"},
		{"the last of two", "panic: old\n" + log + "fatal error: concurrent map writes\n", "fatal error: concurrent map writes", "fatal error: concurrent map writes"},
		{"no report", log, "the kernel process ended without a crash report", "The kernel's last words:"},
	} {
		reason, tb := crashReport(c.stderr)
		if !strings.HasPrefix(reason, c.reason) {
			t.Errorf("%s: reason %q, want %q", c.name, reason, c.reason)
		}
		if len(tb) < 4 || tb[0] != "KernelDied: "+reason || tb[3] != c.first {
			t.Errorf("%s: traceback %q", c.name, tb)
		}
	}
	long := "panic: x\n" + strings.Repeat("frame\n", 500)
	if _, tb := crashReport(long); len(tb) != 3+crashReportLines+1 || !strings.Contains(tb[len(tb)-1], "more lines") {
		t.Errorf("a long report: %d lines, last %q", len(tb), tb[len(tb)-1])
	}
	tail := &tailBuffer{max: 8}
	fmt.Fprint(tail, "0123456789", "ab")
	if tail.String() != "456789ab" {
		t.Errorf("tail %q", tail)
	}
}
