package store

import "sort"

// ParamDiff is one parameter that differs across compared runs.
type ParamDiff struct {
	Key     string
	Values  []string // Values[i] belongs to the i-th record ("" if absent)
	Present []bool   // Present[i] is false where the i-th record lacks the key
}

// DiffParams returns, sorted by key, the parameters whose values are not
// the same in all runs (numbers compared by value, so 1e-3 equals 0.001);
// a key some runs lack differs too. It is the column set of a comparison
// table.
func DiffParams(runs []RunSummary) []ParamDiff {
	keys := map[string]bool{}
	for i := range runs {
		for _, p := range runs[i].Params {
			keys[p.Key] = true
		}
	}
	var out []ParamDiff
	for k := range keys {
		d := ParamDiff{Key: k, Values: make([]string, len(runs)), Present: make([]bool, len(runs))}
		same := true
		for i := range runs {
			d.Values[i], d.Present[i] = runs[i].Param(k)
			if i > 0 && (d.Present[i] != d.Present[0] || canonicalValue(d.Values[i]) != canonicalValue(d.Values[0])) {
				same = false
			}
		}
		if !same {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// DiffRecordParams is DiffParams for full records.
func DiffRecordParams(records []RunRecord) []ParamDiff {
	sums := make([]RunSummary, len(records))
	for i := range records {
		sums[i] = records[i].RunSummary
	}
	return DiffParams(sums)
}
