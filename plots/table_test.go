package plots

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		rows   [][]string
		want   string
	}{
		{
			"numbers right-aligned",
			[]string{"layer", "weight", "loss"},
			[][]string{{"conv1_1", "1e-3", "12.5"}, {"conv5_1", "1", "3"}},
			"layer    weight  loss\n" +
				"-------  ------  ----\n" +
				"conv1_1    1e-3  12.5\n" +
				"conv5_1       1     3\n",
		},
		{
			"ragged rows padded, newlines flattened",
			[]string{"a", "b"},
			[][]string{{"x\ny", "z", "extra"}, {"w"}},
			"a    b\n" +
				"---  -  -----\n" +
				"x y  z  extra\n" +
				"w\n",
		},
		{"no header", nil, [][]string{{"ab", "c"}, {"d", "ef"}}, "ab  c\nd   ef\n"},
		{"unicode width", []string{"name"}, [][]string{{"Tübingen"}, {"x"}}, "name\n--------\nTübingen\nx\n"},
		{"empty", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Table(tt.header, tt.rows); got != tt.want {
				t.Errorf("Table =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestTableHTML(t *testing.T) {
	got := TableHTML([]string{"name", "loss"}, [][]string{{"<b>Starry & Night</b>", "0.5"}, {`"q"`}})
	want := "<table>\n" +
		`<tr><th>name</th><th style="text-align:right">loss</th></tr>` + "\n" +
		`<tr><td>&lt;b&gt;Starry &amp; Night&lt;/b&gt;</td><td style="text-align:right">0.5</td></tr>` + "\n" +
		`<tr><td>&#34;q&#34;</td><td style="text-align:right"></td></tr>` + "\n" +
		"</table>\n"
	if got != want {
		t.Errorf("TableHTML =\n%s\nwant\n%s", got, want)
	}
	var doc struct {
		Rows []struct {
			Cells []string `xml:",any"`
		} `xml:"tr"`
	}
	if err := xml.NewDecoder(strings.NewReader(got)).Decode(&doc); err != nil {
		t.Fatalf("TableHTML is not well-formed: %v", err)
	}
	if len(doc.Rows) != 3 || doc.Rows[1].Cells[0] != "<b>Starry & Night</b>" {
		t.Errorf("decoded rows %q, want the original text back", doc.Rows)
	}
}
