package kernel

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/stylelab/stylelab/internal/testenv"
)

// TestCellRunsNetwork: a cell locates and loads the weights, builds the
// network and reads its layer responses with either pooling, all through
// the linked vgg and weights packages.
func TestCellRunsNetwork(t *testing.T) {
	t.Setenv("STYLELAB_CACHE", t.TempDir())
	t.Setenv("STYLELAB_WEIGHTS", testenv.WeightsDir(t))
	in := newTestInterp(t)
	for _, tc := range []struct{ code, want string }{
		{`import ("github.com/stylelab/stylelab/vgg"; "github.com/stylelab/stylelab/weights")`, ""},
		{`path, err := weights.Locate("")` + "\nerr == nil", "true"},
		{`w, err := weights.LoadFeatures(path)` + "\nerr == nil", "true"},
		{`m, err := vgg.New(w)` + "\nerr == nil", "true"},
		{`x := w.Preprocess.Preprocess(make([]float32, 3*32*32))`, ""},
		{`avg, err := m.Features(x, 32, 32, []string{"conv2_1", "pool2"}, vgg.AvgPool)` + "\nerr == nil", "true"},
		{`mx, err := m.Features(x, 32, 32, []string{"pool2"}, vgg.MaxPool)` + "\nerr == nil", "true"},
		{`f := avg["pool2"]` + "\n" + `fmt.Sprint(f.C, f.H, f.W, len(f.Data), avg["conv2_1"].H)`, "128 8 8 8192 16"},
		{`mx["pool2"].Data[0] >= avg["pool2"].Data[0]`, "true"},
	} {
		var o outcome
		in.do(func() { o = in.eval(context.Background(), "cell", tc.code) })
		if o.err != nil {
			t.Fatalf("%s: %+v", tc.code, o.err)
		}
		got := ""
		if len(o.values) > 0 {
			got = fmt.Sprint(o.values[0])
			if s, ok := o.values[0].(string); ok {
				got = s
			}
		}
		if got != tc.want {
			t.Fatalf("%s = %s, want %s", tc.code, strconv.Quote(got), strconv.Quote(tc.want))
		}
	}
}
