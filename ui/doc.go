// Package ui serves Stylelab's web page for browsing, comparing and
// watching runs: a table of a store's runs filtered by the query language,
// a page per run (images, snapshots, loss curves, provenance, tags and
// notes), comparisons, grids by parameters, and live updates of running
// runs by server-sent events.
//
// Everything is in the binary: html/template pages, a little hand-written
// JavaScript and CSS embedded with go:embed; nothing is fetched from
// elsewhere, so it works offline. Pages are rendered on the server and the
// scripts only add to them (zoom, curves, live updates), inserting text
// with textContent, never as HTML.
//
// The server is meant for one person's machine: it listens on loopback
// unless told otherwise (Listen), answers only requests whose Host is a
// loopback name then (against DNS rebinding), sends a strict
// Content-Security-Policy, and takes edits (tags, notes) only as POSTs
// with the per-process CSRF token and a same-origin Origin, never in
// read-only mode. Artifacts are served by their id in the store, opened
// inside the store's artifact folder; a URL never names a file.
//
// While it serves, the file "<db>-ui.json" beside the store says where
// (Publish); Lookup reads it, which is how notebooks link to run pages.
package ui
