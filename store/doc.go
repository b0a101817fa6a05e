// Package store owns Stylelab's experiment database: one SQLite file that
// records every style-transfer run (who ran what, with which inputs, weights
// and parameters), its whole metric history, tags, notes and artifacts, and
// answers filter queries over all of it.
//
// The engine logs as it goes: StartRun, then LogStep once per optimisation
// step, SaveArtifact for images and plots, and Finish. Each LogStep is one
// small write transaction in WAL mode with synchronous=NORMAL, so a step is
// on disk (in the WAL, in the OS page cache) as soon as LogStep returns and
// survives a SIGKILL of the process; only a power loss can drop the last
// few steps. Several processes may log into one file at once; SQLite's
// busy timeout serialises their writes.
//
// Runs whose owning process died without Finish are found on Open and
// marked INTERRUPTED. A run records its host, pid and the process start
// identity (boot id and start time from /proc), so a recycled pid is not
// mistaken for the original owner; where /proc cannot answer (another host,
// another OS) a run is stale once its heartbeat, refreshed every few seconds
// while the run is live, is older than two minutes.
//
// Artifacts are files beside the database, not blobs in it: the directory
// "<db path>-artifacts/<run id>/<kind>/<name>" (snapshot names carry their
// step). Images are megabytes each; as blobs they would bloat the WAL on
// every snapshot, slow every backup and VACUUM, and be unreadable by image
// viewers and notebooks without a detour through SQL. As files they are
// written atomically (temp file + rename, then the row), and a path plus
// SHA-256 in the artifacts table ties each to its run. Delete removes a
// run's directory; GC removes files that no row references (a deleted
// run's, or left by a crash between file and row), sparing RUNNING runs
// and files younger than five minutes.
//
// The schema is versioned with PRAGMA user_version and an ordered list of
// migrations applied on Open. Plain SQL tools can read the file; the view
// run_overview shows one line per run.
//
// Runs filters runs with a small query language, parsed and compiled to
// SQL by package store/query; RunsPage reads one page of them in any
// order, for long lists.
package store
