// Package store owns Stylelab's experiment database: one SQLite file, or a
// PostgreSQL database that the machines of a cluster share, that records
// every style-transfer run (who ran what, with which inputs, weights and
// parameters), its whole metric history, tags, notes and artifacts, and
// answers filter queries over all of it. Both engines have the same schema,
// migrations, query language and guarantees; Open chooses by the location
// (a postgres:// URL, else a file path).
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
// step). A PostgreSQL store keeps them in a folder that every machine
// reaches (Options.Artifacts, $STYLELAB_ARTIFACTS) under their content's
// sha256, "sha256/ab/ab12...png", so that concurrent writers never collide.
// Images are megabytes each; as blobs they would bloat the WAL on every
// snapshot, slow every backup and VACUUM, and be unreadable by image
// viewers and notebooks without a detour through SQL. As files they are
// written atomically (temp file + rename, then the row), and a path plus
// SHA-256 in the artifacts table ties each to its run. Delete removes a
// run's files (content-named ones once no run uses them); GC removes files
// that no row references (a deleted run's, or left by a crash between file
// and row), sparing RUNNING runs and files younger than five minutes.
//
// The schema is versioned (SQLite's PRAGMA user_version, PostgreSQL's
// stylelab_schema table) with an ordered list of migrations per engine,
// applied on Open. Plain SQL tools (sqlite3, psql) can read it; the view
// run_overview shows one line per run.
//
// In PostgreSQL writers do not wait for each other, steps are committed
// with synchronous_commit off (durable against the death of any client;
// a crash of the server may lose its last fraction of a second), and a run
// whose process is on another host is judged by its heartbeat.
//
// StartRun with RunSpec.Exclusive claims a point of a sweep atomically, so
// two sweeps sharing a store never run one point at once: SQLite's single
// writer, or a PostgreSQL advisory lock per point, makes the check and the
// insert one step.
//
// Runs filters runs with a small query language, parsed and compiled to
// SQL by package store/query; RunsPage reads one page of them in any
// order, for long lists.
package store
