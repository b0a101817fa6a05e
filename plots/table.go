package plots

import (
	"html"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Table formats header and rows as an aligned plain-text table with a
// rule under the header. Columns whose cells are all numbers are
// right-aligned. Short rows are padded with empty cells; whitespace runs
// in a cell (newlines included) become one space.
func Table(header []string, rows [][]string) string {
	cells, ncol := tableCells(header, rows)
	widths := make([]int, ncol)
	for _, row := range cells {
		for j, c := range row {
			widths[j] = max(widths[j], utf8.RuneCountInString(c))
		}
	}
	right := numericColumns(rows, ncol)
	var b strings.Builder
	for i, row := range cells {
		var line strings.Builder
		for j, c := range row {
			if j > 0 {
				line.WriteString("  ")
			}
			gap := strings.Repeat(" ", widths[j]-utf8.RuneCountInString(c))
			if right[j] {
				line.WriteString(gap + c)
			} else {
				line.WriteString(c + gap)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
		if i == 0 && len(header) > 0 {
			rule := make([]string, ncol)
			for j, w := range widths {
				rule[j] = strings.Repeat("-", w)
			}
			b.WriteString(strings.Join(rule, "  ") + "\n")
		}
	}
	return b.String()
}

// TableHTML formats header and rows as an HTML table with every cell
// escaped; numeric columns are right-aligned.
func TableHTML(header []string, rows [][]string) string {
	cells, ncol := tableCells(header, rows)
	right := numericColumns(rows, ncol)
	var b strings.Builder
	b.WriteString("<table>\n")
	for i, row := range cells {
		tag := "td"
		if i == 0 && len(header) > 0 {
			tag = "th"
		}
		b.WriteString("<tr>")
		for j, c := range row {
			style := ""
			if right[j] {
				style = ` style="text-align:right"`
			}
			b.WriteString("<" + tag + style + ">" + html.EscapeString(c) + "</" + tag + ">")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
	return b.String()
}

// tableCells returns header (if any) then rows, all padded to the widest
// row, with newlines flattened; and the column count.
func tableCells(header []string, rows [][]string) ([][]string, int) {
	all := rows
	if len(header) > 0 {
		all = append([][]string{header}, rows...)
	}
	ncol := 0
	for _, r := range all {
		ncol = max(ncol, len(r))
	}
	out := make([][]string, len(all))
	for i, r := range all {
		out[i] = make([]string, ncol)
		for j, c := range r {
			out[i][j] = strings.Join(strings.Fields(c), " ")
		}
	}
	return out, ncol
}

// numericColumns marks columns whose non-empty body cells all parse as numbers.
func numericColumns(rows [][]string, ncol int) []bool {
	num := make([]bool, ncol)
	seen := make([]bool, ncol)
	for j := range num {
		num[j] = true
	}
	for _, r := range rows {
		for j, c := range r {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			seen[j] = true
			if _, err := strconv.ParseFloat(c, 64); err != nil {
				num[j] = false
			}
		}
	}
	for j := range num {
		num[j] = num[j] && seen[j]
	}
	return num
}
