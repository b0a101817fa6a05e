package query

import (
	"sort"
	"strings"
)

type fieldKind int

const (
	fieldRun fieldKind = iota
	fieldParam
	fieldMetric
	fieldTag
)

type colType int

const (
	colNum colType = iota
	colText
	colTime
	colStatus
)

// runColumn is a whitelisted run field: the SQL column and how to compare.
type runColumn struct {
	sql string
	typ colType
}

// runFields is the whitelist of run fields a query may name.
func runFields() map[string]runColumn {
	return map[string]runColumn{
		"id":         {"r.id", colNum},
		"name":       {"r.name", colText},
		"experiment": {"r.experiment", colText},
		"status":     {"r.status", colStatus},
		"started":    {"r.started", colTime},
		"ended":      {"r.ended", colTime},
		"duration":   {"r.duration", colNum},
		"host":       {"r.host", colText},
		"commit":     {"r.git_commit", colText},
		"version":    {"r.version", colText},
		"seed":       {"r.seed", colNum},
		"pid":        {"r.pid", colNum},
		"message":    {"r.message", colText},
		"error":      {"r.message", colText},
		"weights":    {"r.weights_sha256", colText},
		"hash":       {"r.params_hash", colText},
		"uuid":       {"r.uuid", colText},
	}
}

func runFieldNames() string {
	var names []string
	for n := range runFields() {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// fieldRef is a resolved field: a run column, a param key, a metric key
// with its aggregate (last, min, max), or the run's tags.
type fieldRef struct {
	kind fieldKind
	col  runColumn // fieldRun
	key  string    // fieldParam, fieldMetric
	agg  string    // fieldMetric: last, min or max (a column of metric_summary)
	text string
}

func resolveField(q string, t token) (fieldRef, error) {
	head := strings.ToLower(t.segs[0].text)
	rest := t.segs[1:]
	switch {
	case len(rest) == 0 && (head == "tag" || head == "tags"):
		return fieldRef{kind: fieldTag, text: t.text}, nil
	case len(rest) == 0:
		if c, ok := runFields()[head]; ok {
			return fieldRef{kind: fieldRun, col: c, text: t.text}, nil
		}
		return fieldRef{}, errorAt(q, t.pos, "unknown field %q; expected a run field (%s), params.%s, metrics.%s or tag", t.text, runFieldNames(), t.text, t.text)
	case head == "params" || head == "param":
		return fieldRef{kind: fieldParam, key: joinSegs(rest), text: t.text}, nil
	case head == "metrics" || head == "metric":
		agg := "last"
		if last := rest[len(rest)-1]; len(rest) > 1 && !last.quoted {
			switch strings.ToLower(last.text) {
			case "min", "max", "last":
				agg = strings.ToLower(last.text)
				rest = rest[:len(rest)-1]
			}
		}
		return fieldRef{kind: fieldMetric, key: joinSegs(rest), agg: agg, text: t.text}, nil
	}
	return fieldRef{}, errorAt(q, t.pos, "unknown field %q; expected a run field (%s), params.KEY, metrics.KEY[.min|.max] or tag (quote keys with dots or spaces: params.\"a b\")", t.text, runFieldNames())
}

func joinSegs(segs []segment) string {
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = s.text
	}
	return strings.Join(parts, ".")
}
