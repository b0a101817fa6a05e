// Command gen derives the Winograd minimal-filtering matrices F(m,3) by
// Toom-Cook interpolation in exact rational arithmetic and writes them out:
// matrices.go (float64 copies for the filter transform and tests) and
// transforms.h (straight-line C for the 1-D input and output transforms on
// vectors, with rows or columns of opposite points combined as sums and
// differences).
//
// For points a_0..a_{n-2} and infinity (n = m+2), with V the n x n matrix
// evaluating a degree n-1 polynomial at them, correlation of d (n values)
// with g (3 values) is y = AT [(G g) . (BT d)], where BT = V^-T, G evaluates
// g and AT^T evaluates an m-coefficient polynomial. Each row of BT is scaled to
// integers and the matching row of G divided by the same factor.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"math/big"
	"os"
	"strings"
)

// tiles are the output tile sizes and their finite interpolation points.
var tiles = []struct {
	m      int
	points []*big.Rat
}{
	{2, rats("0", "1", "-1")},
	{4, rats("0", "1", "-1", "2", "-2")},
	{6, rats("0", "1", "-1", "2", "-2", "1/2", "-1/2")},
}

func rats(s ...string) []*big.Rat {
	out := make([]*big.Rat, len(s))
	for i, v := range s {
		out[i], _ = new(big.Rat).SetString(v)
	}
	return out
}

type matrix [][]*big.Rat

func newMatrix(r, c int) matrix {
	m := make(matrix, r)
	for i := range m {
		m[i] = make([]*big.Rat, c)
		for j := range m[i] {
			m[i][j] = new(big.Rat)
		}
	}
	return m
}

func pow(a *big.Rat, k int) *big.Rat {
	r := big.NewRat(1, 1)
	for i := 0; i < k; i++ {
		r.Mul(r, a)
	}
	return r
}

// inverse inverts a square matrix by Gauss-Jordan elimination.
func inverse(a matrix) matrix {
	n := len(a)
	aug := newMatrix(n, 2*n)
	for i := range a {
		for j := range a[i] {
			aug[i][j].Set(a[i][j])
		}
		aug[i][n+i].SetInt64(1)
	}
	for col := 0; col < n; col++ {
		p := col
		for aug[p][col].Sign() == 0 {
			p++
		}
		aug[col], aug[p] = aug[p], aug[col]
		inv := new(big.Rat).Inv(aug[col][col])
		for j := range aug[col] {
			aug[col][j].Mul(aug[col][j], inv)
		}
		for i := 0; i < n; i++ {
			if i == col || aug[i][col].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(aug[i][col])
			for j := range aug[i] {
				aug[i][j].Sub(aug[i][j], new(big.Rat).Mul(f, aug[col][j]))
			}
		}
	}
	out := newMatrix(n, n)
	for i := range out {
		for j := range out[i] {
			out[i][j].Set(aug[i][n+j])
		}
	}
	return out
}

// derive returns BT (n x n), G (n x 3) and AT (m x n) for F(m,3).
func derive(m int, points []*big.Rat) (bt, g, at matrix) {
	n := m + 2
	v := newMatrix(n, n)
	g = newMatrix(n, 3)
	at = newMatrix(m, n)
	for i := 0; i < n; i++ {
		finite := i < n-1
		for j := 0; j < n; j++ {
			if finite {
				v[i][j] = pow(points[i], j)
			} else if j == n-1 {
				v[i][j].SetInt64(1)
			}
		}
		for k := 0; k < 3; k++ {
			if finite {
				g[i][k] = pow(points[i], k)
			} else if k == 2 {
				g[i][k].SetInt64(1)
			}
		}
		for k := 0; k < m; k++ {
			if finite {
				at[k][i] = pow(points[i], k)
			} else if k == m-1 {
				at[k][i].SetInt64(1)
			}
		}
	}
	vi := inverse(v)
	bt = newMatrix(n, n)
	for i := range bt {
		for j := range bt[i] {
			bt[i][j].Set(vi[j][i])
		}
	}
	// Scale each row of BT to the smallest integers; divide G's row by the same.
	for i := range bt {
		den := big.NewInt(1)
		for _, x := range bt[i] {
			if x.Sign() != 0 {
				d := x.Denom()
				gcd := new(big.Int).GCD(nil, nil, den, d)
				den.Mul(den, new(big.Int).Div(d, gcd))
			}
		}
		num := new(big.Int)
		for _, x := range bt[i] {
			if x.Sign() != 0 {
				y := new(big.Rat).Mul(x, new(big.Rat).SetInt(den))
				num.GCD(nil, nil, num, new(big.Int).Abs(y.Num()))
			}
		}
		s := new(big.Rat).SetFrac(den, num)
		for j := range bt[i] {
			bt[i][j].Mul(bt[i][j], s)
		}
		for k := range g[i] {
			g[i][k].Quo(g[i][k], s)
		}
	}
	check(m, bt, g, at)
	return bt, g, at
}

// check verifies y = AT[(G g) . (BT d)] against direct correlation on integer data.
func check(m int, bt, g, at matrix) {
	n := m + 2
	d := make([]*big.Rat, n)
	for i := range d {
		d[i] = big.NewRat(int64(i*i-3*i+7), 1)
	}
	w := rats("3", "-5", "2")
	prod := make([]*big.Rat, n)
	for i := 0; i < n; i++ {
		gd, bd := new(big.Rat), new(big.Rat)
		for k := 0; k < 3; k++ {
			gd.Add(gd, new(big.Rat).Mul(g[i][k], w[k]))
		}
		for j := 0; j < n; j++ {
			bd.Add(bd, new(big.Rat).Mul(bt[i][j], d[j]))
		}
		prod[i] = new(big.Rat).Mul(gd, bd)
	}
	for k := 0; k < m; k++ {
		y, want := new(big.Rat), new(big.Rat)
		for i := 0; i < n; i++ {
			y.Add(y, new(big.Rat).Mul(at[k][i], prod[i]))
		}
		for j := 0; j < 3; j++ {
			want.Add(want, new(big.Rat).Mul(d[k+j], w[j]))
		}
		if y.Cmp(want) != 0 {
			log.Fatalf("F(%d,3): output %d is %v, want %v", m, k, y, want)
		}
	}
}

func float(x *big.Rat) string {
	f, _ := x.Float64()
	return fmt.Sprintf("%v", f)
}

// cfloat formats x as a C float literal.
func cfloat(x *big.Rat) string {
	s := float(x)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s + "f"
}

// term formats coefficient c times operand x as a C term with its sign.
func term(c *big.Rat, x string, first bool) string {
	abs := new(big.Rat).Abs(c)
	sign := " + "
	if c.Sign() < 0 {
		sign = " - "
	}
	if first {
		sign = ""
		if c.Sign() < 0 {
			sign = "-"
		}
	}
	if abs.Cmp(big.NewRat(1, 1)) == 0 {
		return sign + x
	}
	return sign + x + "*" + cfloat(abs)
}

func sum(coefs []*big.Rat, operands []string) string {
	var b strings.Builder
	for j, c := range coefs {
		if c.Sign() != 0 {
			b.WriteString(term(c, operands[j], b.Len() == 0))
		}
	}
	if b.Len() == 0 {
		return "(vf){0}"
	}
	return b.String()
}

// partner finds a row (of rows) equal to row i up to the signs of some columns,
// with at least one column of each kind.
func partner(rows matrix, i int, used []bool) (int, []bool) {
	for k := range rows {
		if k == i || used[k] {
			continue
		}
		opp := make([]bool, len(rows[i]))
		same, diff, ok := false, false, true
		for j := range rows[i] {
			a, b := rows[i][j], rows[k][j]
			switch {
			case a.Cmp(b) == 0:
				same = same || a.Sign() != 0
			case new(big.Rat).Neg(a).Cmp(b) == 0:
				opp[j], diff = true, true
			default:
				ok = false
			}
		}
		if ok && same && diff {
			return k, opp
		}
	}
	return -1, nil
}

// rowCode emits o[i*os] = sum_j mat[i][j] d[j*ds] for every row, pairing rows
// that differ only in the sign of some columns: o = even +/- odd.
func rowCode(b *bytes.Buffer, mat matrix, in func(j int) string, out func(i int) string) {
	used := make([]bool, len(mat))
	ops := make([]string, len(mat[0]))
	for j := range ops {
		ops[j] = in(j)
	}
	for i := range mat {
		if used[i] {
			continue
		}
		used[i] = true
		k, opp := partner(mat, i, used)
		if k < 0 {
			fmt.Fprintf(b, "\t%s = %s;\n", out(i), sum(mat[i], ops))
			continue
		}
		used[k] = true
		even, odd := make([]*big.Rat, len(opp)), make([]*big.Rat, len(opp))
		for j := range opp {
			even[j], odd[j] = new(big.Rat), new(big.Rat)
			if opp[j] {
				odd[j] = mat[i][j]
			} else {
				even[j] = mat[i][j]
			}
		}
		fmt.Fprintf(b, "\t{\n\t\tvf ev = %s, od = %s;\n\t\t%s = ev + od;\n\t\t%s = ev - od;\n\t}\n", sum(even, ops), sum(odd, ops), out(i), out(k))
	}
}

// colCode emits o[i*os] = sum_j mat[i][j] d[j*ds] for every row, first
// combining pairs of inputs whose columns differ only in the sign of some
// rows into their sum and difference.
func colCode(b *bytes.Buffer, mat matrix, in func(j int) string, out func(i int) string) {
	cols := newMatrix(len(mat[0]), len(mat))
	for i := range mat {
		for j := range mat[i] {
			cols[j][i].Set(mat[i][j])
		}
	}
	used := make([]bool, len(cols))
	type pair struct {
		j, k int
		opp  []bool
	}
	var pairs []pair
	for j := range cols {
		if used[j] {
			continue
		}
		used[j] = true
		if k, opp := partner(cols, j, used); k >= 0 {
			used[k] = true
			pairs = append(pairs, pair{j, k, opp})
			fmt.Fprintf(b, "\tvf s%d = %s + %s, t%d = %s - %s;\n", j, in(j), in(k), j, in(j), in(k))
		}
	}
	paired := map[int]bool{}
	for _, p := range pairs {
		paired[p.j], paired[p.k] = true, true
	}
	for i := range mat {
		var coefs []*big.Rat
		var ops []string
		for j := range mat[i] {
			if !paired[j] {
				coefs, ops = append(coefs, mat[i][j]), append(ops, in(j))
			}
		}
		for _, p := range pairs {
			v := "s"
			if p.opp[i] {
				v = "t"
			}
			coefs, ops = append(coefs, mat[i][p.j]), append(ops, fmt.Sprintf("%s%d", v, p.j))
		}
		fmt.Fprintf(b, "\t%s = %s;\n", out(i), sum(coefs, ops))
	}
}

func main() {
	var c, g bytes.Buffer
	c.WriteString("// Code generated by gen/main.go; DO NOT EDIT.\n\n")
	c.WriteString("// One-dimensional Winograd transforms on vectors of the including\n// template's type vf: BT (input, n -> n) and AT (output, n -> m).\n// d[j*ds] is the j-th input, o[i*os] the i-th output.\n\n")
	g.WriteString("// Code generated by gen/main.go; DO NOT EDIT.\n\npackage winograd\n\n")
	g.WriteString("// transforms holds F(m,3)'s matrices by output tile size m.\nvar transforms = map[int]matrices{\n")
	for _, t := range tiles {
		bt, gm, at := derive(t.m, t.points)
		in := func(j int) string { return fmt.Sprintf("d[%d*ds]", j) }
		out := func(i int) string { return fmt.Sprintf("o[%d*os]", i) }
		fmt.Fprintf(&c, "static inline void FN(bt%d)(const vf *restrict d, long ds, vf *restrict o, long os)\n{\n", t.m)
		rowCode(&c, bt, in, out)
		c.WriteString("}\n\n")
		fmt.Fprintf(&c, "static inline void FN(at%d)(const vf *restrict d, long ds, vf *restrict o, long os)\n{\n", t.m)
		colCode(&c, at, in, out)
		c.WriteString("}\n\n")
		pts := make([]string, len(t.points))
		for i, p := range t.points {
			pts[i] = p.RatString()
		}
		fmt.Fprintf(&g, "\t%d: { // points %s, infinity\n", t.m, strings.Join(pts, ", "))
		for _, x := range []struct {
			name string
			m    matrix
		}{{"bt", bt}, {"g", gm}, {"at", at}} {
			fmt.Fprintf(&g, "\t\t%s: [][]float64{\n", x.name)
			for _, row := range x.m {
				vals := make([]string, len(row))
				for j, v := range row {
					vals[j] = float(v)
				}
				fmt.Fprintf(&g, "\t\t\t{%s},\n", strings.Join(vals, ", "))
			}
			g.WriteString("\t\t},\n")
		}
		g.WriteString("\t},\n")
	}
	g.WriteString("}\n")
	src, err := format.Source(g.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("matrices.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("transforms.h", c.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
