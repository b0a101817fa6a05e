package display

import (
	"fmt"
	"html"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/ui"
)

// webLink is a line linking to path on the web page that serves the store
// at db (`stylelab ui` says where in "<db>-ui.json"), or "" when no page
// serves it.
func webLink(db, path, text string) string {
	a, ok := ui.Lookup(db)
	if !ok {
		return ""
	}
	return fmt.Sprintf(`<div class="stylelab-link" style="margin:4px 0"><a href="%s" target="_blank" rel="noopener">%s</a></div>`,
		html.EscapeString(a.URL+strings.TrimPrefix(path, "/")), html.EscapeString(text))
}

// runLink links to run id's page.
func runLink(db string, id int64) string {
	if id <= 0 {
		return ""
	}
	return webLink(db, fmt.Sprintf("runs/%d", id), fmt.Sprintf("Open run %d on Stylelab's web page", id))
}

// runsLink links to a comparison of the runs (two to twelve of them), or
// to the runs page.
func runsLink(db string, ids []int64) string {
	var parts []string
	for _, id := range ids {
		if id > 0 {
			parts = append(parts, strconv.FormatInt(id, 10))
		}
	}
	switch {
	case len(parts) == 1:
		return runLink(db, ids[0])
	case len(parts) >= 2 && len(parts) <= 12:
		return webLink(db, "compare?ids="+strings.Join(parts, ","), "Compare runs "+strings.Join(parts, ", ")+" on Stylelab's web page")
	}
	return webLink(db, "", "Open Stylelab's web page")
}

// recordDB is the store a record was read from: the database beside the
// artifact folder that holds its files ("<db>-artifacts/<run>/<kind>/<name>",
// see package store), else the default store.
func recordDB(rec *store.RunRecord) string {
	for _, a := range rec.Artifacts {
		dir := filepath.Dir(filepath.Dir(filepath.Dir(a.Path)))
		if db, ok := strings.CutSuffix(dir, "-artifacts"); ok && filepath.IsAbs(db) {
			return db
		}
	}
	return defaultDB()
}

// defaultDB is the store that experiments.OpenLab(weights, "") opens.
func defaultDB() string {
	p, err := store.DefaultPath()
	if err != nil {
		return ""
	}
	return p
}
